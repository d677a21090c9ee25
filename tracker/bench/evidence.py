"""Benchmark: what the tracker says about evidence, on real claims no one here wrote, each figure beside
a baseline computed in the same run (../shared/benchmarks/README.md describes the data).

- retrieval, Citation-Integrity dev: each citing sentence is a query over the 3,063 documents; the
  cited document is the relevant one. recall@10 and MRR of the linker's retrieval (its full-text
  query, fused with semantic similarity when the extra is installed, exactly as `tracker link`
  fuses them) beside a plain FTS5 BM25 query of the claim's words.
- rationale, Citation-Integrity dev: for each cited document with an annotated sentence, is the
  sentence the tracker shows the annotated one? The rules (link/rationale.py) and, with the semantic
  extra, the learned ranker (link/ranker.py, trained on train as `tracker model build` trains it),
  beside the plain baseline (the sentence sharing the most words with the claim) and random choice;
  then the ranker on five folds of train held out by citing sentence. The dataset lists the annotated
  sentence first, so every method sees the sentences in a seeded random order (nothing scores a place).
- stance, HealthVer dev and Citation-Integrity dev: macro-F1 of the suggested stance
  (link/suggest.py) beside the majority class and a
  word-overlap rule.

Tune only on training and development data; these figures are from the development splits.

    tracker bench evidence [--shared ../shared] [--no-semantic] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sqlite3
import time
from collections import Counter
from pathlib import Path

from ..claims.catalog import Claim
from ..claims.match import words
from ..core.schema import PAPER_SEARCH, ensure_schema
from ..link import index, ranker, stance
from ..link.link import fuse
from ..link.rationale import PaperSentence, RationaleScorer
from ..link.suggest import suggest
from ..serve.process import TRACKER_COMMAND
from .common import ROOT, SHARED

NEGATION = re.compile(r"\b(no|not|none|without|lack\w*|fail\w*|neither|nor|never)\b", re.I)


def claim_of(text: str) -> Claim:
    return Claim(id="benchmark", statement=text, category="safety", pubmed="-")


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    labels = sorted(set(gold))
    scores = []
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, predicted))
        fp = sum(p == label and g != label for g, p in zip(gold, predicted))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


# ---- Citation-Integrity ----

def load_citint(folder: Path, split: str):
    docs = {d["doc_id"]: d for d in map(json.loads, (folder / "corpus.jsonl").open(encoding="utf-8"))}
    claims = [json.loads(line) for line in (folder / f"claims_{split}.jsonl").open(encoding="utf-8")]
    return docs, claims


def plain_bm25(db, text: str, depth: int) -> list[int]:
    """A plain FTS5 query of the claim's words (OR-ed), ranked by bm25()."""
    terms = ['"' + w + '"' for w in dict.fromkeys(re.findall(r"[a-z0-9]+", text.lower()))]
    if not terms:
        return []
    return [r[0] for r in db.execute("SELECT rowid FROM plain WHERE plain MATCH ? ORDER BY bm25(plain) LIMIT ?",
                                     [" OR ".join(terms), depth])]


def retrieval(docs: dict, claims: list, semantic) -> dict:
    import sqlite_utils

    db = sqlite_utils.Database(sqlite3.connect(":memory:"))
    ensure_schema(db)
    db.execute("CREATE VIRTUAL TABLE plain USING fts5(title, abstract)")
    rows = [(doc_id, d["title"] or "", " ".join(d["abstract"])) for doc_id, d in docs.items()]
    db.conn.executemany(f"INSERT INTO {PAPER_SEARCH} (rowid, title, abstract, mesh, keywords) VALUES (?, ?, ?, '', '')",
                        rows)
    db.conn.executemany("INSERT INTO plain (rowid, title, abstract) VALUES (?, ?, ?)", rows)
    doc_ids = [r[0] for r in rows]
    matrix = semantic.embed([f"{t}. {a}" for _, t, a in rows]) if semantic else None
    results = {"plain FTS5 BM25 (baseline)": [], "linker: full text": [], "linker (as tracker link fuses)": []}
    for claim in claims:
        text = stance.without_markers(claim["claim"])
        wanted = set(claim["cited_doc_ids"]) & set(docs)
        if not wanted:
            continue
        fts = [pmid for pmid, _ in index.search(db, index.fts_query(index.query_terms(claim_of(text))), 100)]
        rankings = {"fts": fts}
        if matrix is not None:
            scores = matrix @ semantic.embed([text])[0]
            rankings["semantic"] = [doc_ids[i] for i in scores.argsort()[::-1][:100]]
        fused = fuse(rankings)
        ranked = {"plain FTS5 BM25 (baseline)": plain_bm25(db, text, 100), "linker: full text": fts,
                  "linker (as tracker link fuses)": sorted(fused, key=lambda p: (-fused[p], -p))}
        for name, order in ranked.items():
            first = next((i for i, d in enumerate(order, start=1) if d in wanted), None)
            results[name].append((first is not None and first <= 10, 1 / first if first else 0.0))
    return {name: {"recall@10": sum(h for h, _ in v) / len(v), "MRR": sum(r for _, r in v) / len(v), "claims": len(v)}
            for name, v in results.items()}


def rationale(folder: Path, semantic, limit: int | None) -> dict:
    """Is the sentence shown for a cited paper one the annotators marked? Citation-Integrity dev, each paper's
    sentences in a seeded random order (the dataset lists the marked ones first). The tracker's rules, and,
    with the semantic extra, the learned ranker as `tracker model build` builds it (trained on train), beside the
    plain baseline (the sentence sharing the most words with the claim) and random choice (its expected hit
    rate). Then the ranker on 5 folds of train held out by citing sentence, each beside the baseline."""
    dev = ranker.citint_rank_examples(folder, "dev")[:limit]
    baseline = ranker.hit_rate(dev, [ranker.most_shared_words(e.claim, e.sentences) for e in dev])
    figures = {"plain shared-word baseline": baseline,
               "random choice (expected)": sum(sum(e.marked) / len(e.marked) for e in dev) / len(dev),
               "tracker rationale, rules (without the ranker)": ranker.hit_rate(dev, [_rules_pick(e) for e in dev]),
               "papers": len(dev)}
    if semantic is None:
        figures["learned ranker"] = "not measured: it needs the semantic extra"
        return figures
    from sklearn.model_selection import GroupKFold

    train = ranker.citint_rank_examples(folder, "train")[:limit and 5 * limit]
    frequency, documents = ranker.document_frequency(folder)
    vectors = stance.Embeddings(semantic.embed)
    rows = ranker.example_rows(vectors, train, frequency, documents)
    shipped = ranker.RationaleRanker(ranker.train(train, rows, frequency, documents), vectors)
    learned = ranker.hit_rate(dev, [_ranker_pick(shipped, e) for e in dev])
    figures["tracker rationale, learned ranker (as tracker link picks it)"] = learned
    figures["learned ranker / plain baseline"] = round(learned / baseline, 3)
    folds = []
    for kept, held in GroupKFold(5).split(train, groups=[e.group for e in train]):
        model = ranker.RationaleRanker(ranker.train([train[i] for i in kept], [rows[i] for i in kept], frequency,
                                                    documents), vectors)
        out = [train[i] for i in held]
        mine = ranker.hit_rate(out, [_ranker_pick(model, e) for e in out])
        plain = ranker.hit_rate(out, [ranker.most_shared_words(e.claim, e.sentences) for e in out])
        folds.append({"papers": len(out), "learned ranker": round(mine, 3), "plain baseline": round(plain, 3),
                      "ratio": round(mine / plain, 3)})
    figures["Citation-Integrity train, 5 folds held out by citing sentence"] = folds
    return figures


def _sentences(example: ranker.RankExample) -> list[PaperSentence]:
    return [PaperSentence(text, "abstract", 0, 0) for text in example.sentences]


def _rules_pick(example: ranker.RankExample) -> int:
    sentences = _sentences(example)
    return sentences.index(RationaleScorer(claim_of(example.claim)).best(sentences))


def _ranker_pick(model: ranker.RationaleRanker, example: ranker.RankExample) -> int:
    sentences = _sentences(example)
    return sentences.index(model.best(example.claim, sentences))


def overlap_rule(claim: str, evidence: str) -> str:
    """The baseline: little shared vocabulary is neutral; shared, with a negation, refutes; else supports."""
    shared = set(words(claim)) & set(words(evidence))
    if len(shared) < 2:
        return "Neutral"
    return "Refutes" if NEGATION.search(evidence) and not NEGATION.search(claim) else "Supports"


STANCE_AS = {"supports": "Supports", "contradicts": "Refutes", "mentions": "Neutral", "unrelated": "Neutral"}


def suggested(examples: list[stance.Example], model) -> list[str]:
    """The tracker's suggestion for each example, as `tracker suggest` makes it for a claim with no findings."""
    return [STANCE_AS[suggest(claim_of(e.claim), {"title": None, "abstract": e.evidence, "mesh": [], "keywords": []},
                              "unknown", model).stance] for e in examples]


def stance_figures(examples: list[stance.Example], models: list[tuple[object, list[int]]], method: str) -> dict:
    """Macro-F1 of the suggestions; `models` pairs each model with the examples it suggests for."""
    gold = [e.label for e in examples]
    made = [""] * len(examples)
    for model, positions in models:
        for position, label in zip(positions, suggested([examples[i] for i in positions], model)):
            made[position] = label
    majority = Counter(gold).most_common(1)[0][0]
    return {"suggested stance": macro_f1(gold, made),
            "majority class (baseline)": macro_f1(gold, [majority] * len(gold)),
            "word-overlap rule (baseline)": macro_f1(gold, [overlap_rule(e.claim, e.evidence) for e in examples]),
            "pairs": len(examples), "method": method}


def stance_benchmarks(shared: Path, semantic, limit: int | None) -> dict:
    """HealthVer dev: five folds held out by topic, each suggested for by a model built as `tracker model build`
    builds it from the other folds and Citation-Integrity train (the shipped model learned from all of HealthVer
    dev, so it is never scored there). Citation-Integrity dev: the shipped recipe, trained on HealthVer dev and
    Citation-Integrity train, as `tracker model build` makes it."""
    benchmarks = shared / "benchmarks"
    healthver = stance.healthver_examples(benchmarks / "healthver" / "healthver_dev.csv")[:limit]
    citint_dev = stance.citint_examples(benchmarks / "citint", "dev")[:limit]
    if semantic is None:
        method = "catalog findings only (the learned model needs the semantic extra)"
        return {"stance (HealthVer dev)": stance_figures(healthver, [(None, list(range(len(healthver))))], method),
                "stance (Citation-Integrity dev)": stance_figures(citint_dev, [(None, list(range(len(citint_dev))))],
                                                                  method)}
    from sklearn.model_selection import GroupKFold

    embeddings = stance.Embeddings(semantic.embed)
    citint_train = stance.citint_examples(benchmarks / "citint", "train")
    train_rows = stance.example_features(embeddings, citint_train)
    healthver_rows = stance.example_features(embeddings, healthver)
    folds = []
    for train, test in GroupKFold(5).split(healthver, groups=[e.group for e in healthver]):
        spec = stance.train([healthver[i] for i in train] + citint_train,
                            [healthver_rows[i] for i in train] + train_rows)
        folds.append((stance.StanceModel(spec, embeddings), list(test)))
    shipped = stance.StanceModel(stance.train(healthver + citint_train, healthver_rows + train_rows), embeddings)
    return {"stance (HealthVer dev)": stance_figures(
                healthver, folds, f"learned model ({stance.VERSION}), 5 folds held out by topic"),
            "stance (Citation-Integrity dev)": stance_figures(
                citint_dev, [(shipped, list(range(len(citint_dev))))],
                f"learned model ({stance.VERSION}) trained on HealthVer dev and Citation-Integrity train")}


# ---- the kratom starter papers ----

def kratom(gold_path: Path) -> dict:
    """On a database built as `tracker run` builds it offline: precision of each claim's first five
    relevant candidates and the share of right suggestions, against tests/gold/kratom_links.tsv (judged
    from titles); and how many suggestions go against a decision of db/curation.csv."""
    import os
    import subprocess
    import tempfile

    import sqlite_utils

    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "kratom.db"
        env = {**os.environ, "TRACKER_DB": str(db_path), "TRACKER_EUTILS_URL": "http://127.0.0.1:9/",
               "TRACKER_BACKOFF_SECONDS": "0.01"}
        subprocess.run([*TRACKER_COMMAND, "run"],  # as scripts/run builds it
                       env=env, check=True, capture_output=True)
        db = sqlite_utils.Database(db_path)
        with gold_path.open(encoding="utf-8", newline="") as handle:
            gold = {(r["claim_id"], int(r["pmid"])): r for r in csv.DictReader(handle, delimiter="\t")}
        shown = list(db.query("""SELECT * FROM (SELECT claim_id, pmid, row_number() OVER (PARTITION BY claim_id
                                 ORDER BY rank) AS n FROM claim_papers WHERE relevant = 1 AND rank IS NOT NULL)
                                 WHERE n <= 5"""))
        judged = [gold[(r["claim_id"], r["pmid"])] for r in shown if (r["claim_id"], r["pmid"]) in gold]
        suggested = {(r["claim_id"], r["pmid"]): r["stance"] for r in db.query("SELECT * FROM suggestions")}
        right = [suggested.get((g["claim_id"], int(g["pmid"]))) == g["stance"] for g in gold.values()]
        opposite = list(db.query("""SELECT c.claim_id, c.pmid FROM curation c JOIN suggestions s
                                    ON s.claim_id = c.claim_id AND s.pmid = c.pmid
                                    WHERE (c.stance = 'supports' AND s.stance = 'contradicts')
                                       OR (c.stance = 'contradicts' AND s.stance = 'supports')"""))
        agree = db.execute("""SELECT count(*), coalesce(sum(c.stance = s.stance), 0) FROM curation c
                              JOIN suggestions s ON s.claim_id = c.claim_id AND s.pmid = c.pmid""").fetchone()
    return {"precision of the first 5 relevant candidates": sum(g["relevant"] == "y" for g in judged) / len(judged),
            "relevant candidates shown (first 5 per claim)": len(shown), "of them judged": len(judged),
            "right suggestions (judged pairs)": sum(right) / len(right), "judged pairs": len(right),
            "suggestions against a decision in db/curation.csv": len(opposite),
            "suggestions equal to a decision": f"{agree[1]} of {agree[0]}"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--no-semantic", action="store_true")
    parser.add_argument("--limit", type=int, help="Only the first N claims of each set (a quick look).")
    args = parser.parse_args(argv)
    benchmarks = args.shared / "benchmarks"
    semantic = None
    if not args.no_semantic:
        from tracker.link import semantic as extra

        semantic = extra.SemanticIndex() if extra.available() else None
    docs, dev = load_citint(benchmarks / "citint", "dev")
    dev = dev[: args.limit] if args.limit else dev
    started = time.perf_counter()
    report = {"retrieval (Citation-Integrity dev)": retrieval(docs, dev, semantic),
              "rationale (Citation-Integrity dev)": rationale(benchmarks / "citint", semantic, args.limit)}
    report.update(stance_benchmarks(args.shared, semantic, args.limit))
    report["kratom starter papers (judged from titles; development figures)"] = kratom(
        ROOT / "tests" / "gold" / "kratom_links.tsv")
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["semantic"] = bool(semantic)
    print(json.dumps(report, indent=2))
    return 0
