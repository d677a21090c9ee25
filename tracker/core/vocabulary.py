"""The fixed words the stages and the database's views share: evidence levels and stances."""

from __future__ import annotations

# Kinds of study, strongest design first (papers/evidence.py decides which a paper is).
LEVELS = (
    "systematic-review",
    "rct",
    "clinical-trial",
    "observational",
    "case-series",
    "case-report",
    "animal",
    "in-vitro",
    "narrative-review",
    "opinion",
    "unknown",
)
HUMAN = frozenset({"systematic-review", "rct", "clinical-trial", "observational", "case-series", "case-report"})
PRECLINICAL = frozenset({"animal", "in-vitro"})

# A person's decision about a claim and a paper (db/curation.csv).
STANCES = ("supports", "contradicts", "mentions", "unrelated")
# The order pages and reports list decided papers in: what goes against a claim first.
STANCE_RANK = {"contradicts": 0, "supports": 1, "mentions": 2, "unrelated": 3}
