"""The kind of evidence a paper is, from PubMed's publication types and MeSH, else its words.

Order matters: the strongest design a record shows wins, and animal or in-vitro work is
recognised from MeSH only when the record is not also indexed with Humans. Records not yet
indexed (no MeSH, only "Journal Article") fall back to words in the title and abstract, and
starter records to the design the bibliography gives. `basis` says which of these decided.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlite_utils.utils import chunks

from .store import mesh_descriptors

_PUBLICATION_TYPES = [
    ("systematic-review", {"Systematic Review", "Meta-Analysis"}),
    ("rct", {"Randomized Controlled Trial"}),
    ("clinical-trial", {"Clinical Trial", "Controlled Clinical Trial", "Clinical Trial, Phase I",
                        "Clinical Trial, Phase II", "Clinical Trial, Phase III", "Clinical Trial, Phase IV",
                        "Pragmatic Clinical Trial", "Equivalence Trial"}),
    ("observational", {"Observational Study", "Multicenter Study", "Comparative Study"}),
]
_OBSERVATIONAL_MESH = {"Cross-Sectional Studies", "Cohort Studies", "Case-Control Studies", "Surveys and Questionnaires",
                       "Retrospective Studies", "Prospective Studies", "Longitudinal Studies", "Poison Control Centers"}
_ANIMAL_MESH = {"Animals", "Rats", "Mice", "Rats, Sprague-Dawley", "Rats, Wistar", "Zebrafish", "Disease Models, Animal"}
_IN_VITRO_MESH = {"In Vitro Techniques", "Cell Line", "Microsomes, Liver", "Hepatocytes", "HEK293 Cells", "Cell Survival",
                  "Cell Line, Tumor", "Hep G2 Cells", "Radioligand Assay", "CHO Cells"}
_OPINION_TYPES = {"Editorial", "Comment", "Letter", "News", "Newspaper Article", "Interview"}
# Each level's title/abstract pattern, and the words (lower case) at least one of which it needs: most
# records have none of a level's words, and looking for a word is far cheaper than running the regex.
_WORDS = [
    ("systematic-review", r"\bmeta-analys[ie]s\b|\bsystematic review\b|\bscoping review\b",
     ("meta-analys", "review")),
    ("rct", r"\brandomi[sz]ed\b.{0,40}\btrial\b|\bplacebo-controlled\b", ("randomi", "placebo-controlled")),
    ("clinical-trial", r"\bclinical trial\b|\bopen-label\b|\bphase (?:i|ii|iii|1|2|3)\b",
     ("clinical trial", "open-label", "phase ")),
    ("case-series", r"\bcase series\b|\b(?:[3-9]|\d\d+|three|four|five|six|seven|eight|nine|ten) (?:patients|cases)\b",
     ("case series", " patients", " cases")),
    ("case-report", r"\bcase report\b|\bcase of\b|\b\d{1,2}-year-old\b"
     r"|\ba (?:young |middle-aged )?(?:man|woman|patient)\b",
     ("case report", "case of", "-year-old", "a man", "a woman", "a patient", "a young ", "a middle-aged ")),
    ("observational", r"\bsurvey\b|\bcross-sectional\b|\bcohort\b|\bretrospective\b|\bprospective\b"
     r"|\bpoison (?:control|center)", ("survey", "cross-sectional", "cohort", "retrospective", "prospective", "poison ")),
    ("animal", r"\b(?:rats?|mice|mouse|murine|zebrafish|rodents?|monkeys?|dogs)\b",
     ("rat", "mice", "mouse", "murine", "zebrafish", "rodent", "monkey", "dogs")),
    ("in-vitro", r"\bin vitro\b|\bcell lines?\b|\bmicrosom|\bhepatocytes\b|\breceptor binding\b|\bHEK\b|\bCHO cells\b",
     ("in vitro", "cell line", "microsom", "hepatocytes", "receptor binding", "hek", "cho cells")),
    ("narrative-review", r"\breview\b|\boverview\b", ("review", "overview")),
    ("opinion", r"\beditorial\b|\bcommentary\b|\bperspective\b|\bletter\b",
     ("editorial", "commentary", "perspective", "letter")),
]
_SEED_DESIGNS = [
    ("systematic-review", r"systematic review|meta-analysis"),
    ("rct", r"randomi[sz]ed"),
    ("clinical-trial", r"clinical trial|clinical (?:pk|ddi)|pharmacokinetic"),
    ("case-series", r"case series"),
    ("case-report", r"case report"),
    ("observational", r"survey|cross-sectional|cohort|observational|poison|outbreak"),
    ("animal", r"animal|rat|mice|mouse"),
    ("in-vitro", r"in vitro|pharmacolog|receptor"),
    ("narrative-review", r"review|monograph"),
    ("opinion", r"editorial|comment|letter"),
]


@dataclass(frozen=True)
class EvidenceLevel:
    level: str
    basis: str  # what decided it, for a reader


# Each pattern twice: case-blind, and in lower case for text lowered once (several times faster on long text).
_WORD_SEARCHES = [(level, re.compile(pattern, re.IGNORECASE), re.compile(pattern.lower()), needs)
                  for level, pattern, needs in _WORDS]


def _words_level(text: str) -> EvidenceLevel | None:
    lowered = text.lower()
    # Lowering keeps every offset, and matches as re.IGNORECASE does, unless the text has a letter that
    # lowers to two, or one of the two that re.IGNORECASE also equates with 'i' and 's'.
    exact = len(lowered) == len(text) and "\u0131" not in text and "\u017f" not in text
    for level, blind, lower, needs in _WORD_SEARCHES:
        if exact and not any(word in lowered for word in needs):
            continue
        found = lower.search(lowered) if exact else blind.search(text)
        if found:
            return EvidenceLevel(level, f"title/abstract word: {text[found.start():found.end()]}")
    return None


def evidence_level(
    publication_types: list[str],
    mesh: list[str],
    title: str | None,
    abstract: str | None,
    seed_design: str | None = None,
) -> EvidenceLevel:
    types = set(publication_types or [])
    headings = set(mesh or [])
    for level, names in _PUBLICATION_TYPES:
        found = sorted(types & names)
        if found:
            return EvidenceLevel(level, f"publication type: {found[0]}")
    if "Case Reports" in types:
        series = re.search(_WORDS[3][1], f"{title or ''} {abstract or ''}", re.IGNORECASE)
        if series:
            return EvidenceLevel("case-series", f"publication type: Case Reports; word: {series.group(0)}")
        return EvidenceLevel("case-report", "publication type: Case Reports")
    found = sorted(headings & _OBSERVATIONAL_MESH)
    if found and "Humans" in headings:
        return EvidenceLevel("observational", f"MeSH: {found[0]}")
    if "Humans" not in headings:
        found = sorted(headings & _IN_VITRO_MESH)
        if found:
            return EvidenceLevel("in-vitro", f"MeSH: {found[0]}")
        found = sorted(headings & _ANIMAL_MESH)
        if found:
            return EvidenceLevel("animal", f"MeSH: {found[0]}")
    if types & {"Review"}:
        return EvidenceLevel("narrative-review", "publication type: Review")
    found = sorted(types & _OPINION_TYPES)
    if found:
        return EvidenceLevel("opinion", f"publication type: {found[0]}")
    if seed_design:
        for level, pattern in _SEED_DESIGNS:
            if re.search(pattern, seed_design, re.IGNORECASE):
                return EvidenceLevel(level, f"starter bibliography design: {seed_design}")
    if not headings or headings <= {"Humans"}:  # not yet indexed: read the words
        by_words = _words_level(f"{title or ''}\n{abstract or ''}")
        if by_words:
            return by_words
    if found := sorted(headings & _OBSERVATIONAL_MESH):
        return EvidenceLevel("observational", f"MeSH: {found[0]}")
    return EvidenceLevel("unknown", "no publication type, MeSH heading or word shows the design")


def _stale_inputs(db, stale: list[int]) -> tuple[dict, dict]:
    """MeSH descriptors and starter-bibliography designs of the papers whose level must be decided again."""
    mesh = mesh_descriptors(db, stale)
    seed: dict[int, str] = {}
    if stale:
        marks = ", ".join("?" for _ in stale)
        if db["seed_bibliography"].exists():
            seed = dict(db.execute(f"SELECT pmid, kind FROM seed_bibliography WHERE pmid IN ({marks})", stale).fetchall())
    return mesh, seed


def paper_levels_for(db, pmids) -> dict[int, EvidenceLevel]:
    """Evidence levels of these papers, kept in paper_evidence until a paper's content changes.

    This is the one place a paper's level is decided and stored; run it where papers arrive
    (load, seed, sync, curate, link), so what reads paper_evidence (views, exports) only reads.
    """
    levels: dict[int, EvidenceLevel] = {}
    for chunk in chunks(list(dict.fromkeys(pmids)), 500):
        chunk = list(chunk)
        marks = ", ".join("?" for _ in chunk)
        papers = {row["pmid"]: row for row in db.query(
            f"SELECT p.pmid, p.publication_types, p.title, p.abstract, p.content_hash, e.level, e.basis, "
            f"e.content_hash AS level_hash FROM papers p LEFT JOIN paper_evidence e ON e.pmid = p.pmid "
            f"WHERE p.pmid IN ({marks})", chunk)}
        stale = [pmid for pmid, row in papers.items() if row["level_hash"] is None or row["level_hash"] != row["content_hash"]]
        mesh, seed = _stale_inputs(db, stale)
        fresh_rows = []
        for pmid, row in papers.items():
            if pmid in stale:
                level = evidence_level(json.loads(row["publication_types"] or "[]"), mesh.get(pmid, []),
                                       row["title"], row["abstract"], seed.get(pmid))
                fresh_rows.append({"pmid": pmid, "level": level.level, "basis": level.basis,
                                   "content_hash": row["content_hash"]})
            else:
                level = EvidenceLevel(row["level"], row["basis"])
            levels[pmid] = level
        if fresh_rows:
            db["paper_evidence"].upsert_all(fresh_rows, pk="pmid")
    return levels


def refresh_evidence_levels(db) -> int:
    """Decide the level of every paper that is new or changed since its level was decided; returns how many."""
    stale = [row[0] for row in db.execute(
        "SELECT p.pmid FROM papers p LEFT JOIN paper_evidence e ON e.pmid = p.pmid "
        "WHERE e.content_hash IS NULL OR e.content_hash IS NOT p.content_hash")]
    with db.atomic():
        paper_levels_for(db, stale)
    return len(stale)
