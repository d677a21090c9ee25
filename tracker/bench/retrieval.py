"""Benchmark: the linker's retrieval against plain BM25 on real claims (HealthVer dev split).

The corpus is HealthVer's distinct evidence passages (from scientific abstracts), each claim is
a query, and the passages paired with it (any label) are the relevant ones
(../shared/benchmarks/README.md). Both rankings are computed in this run:

- plain BM25: Okapi BM25 (k1 = 1.2, b = 0.75) over lower-cased word tokens, no stemming;
- the linker: the tracker's own full-text side, i.e. `query_terms` and `fts_query` of
  tracker/link/index.py against its FTS5 index (Porter stemming, stop words dropped, bm25()),
  and, when the semantic extra is installed, fused with all-MiniLM-L6-v2 similarity by
  reciprocal rank exactly as `tracker link` fuses its methods.

Reported: recall@5, recall@10 and nDCG@10 (binary relevance), averaged over claims.

    tracker bench retrieval [--csv PATH] [--no-semantic]
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from .common import SHARED

DEFAULT_CSV = SHARED / "benchmarks" / "healthver" / "healthver_dev.csv"
DEPTH = 100  # ranks kept per query per method before fusion


def load_benchmark(path: Path):
    passages: dict[str, int] = {}
    relevant: dict[str, set[int]] = defaultdict(set)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            evidence = " ".join(row["evidence"].split())
            claim = " ".join(row["claim"].split())
            if not evidence or not claim:
                continue
            number = passages.setdefault(evidence, len(passages) + 1)
            relevant[claim].add(number)
    corpus = {number: text for text, number in passages.items()}
    return corpus, dict(relevant)


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


class PlainBM25:
    def __init__(self, corpus: dict[int, str], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.docs = {n: Counter(tokens(t)) for n, t in corpus.items()}
        self.lengths = {n: sum(c.values()) for n, c in self.docs.items()}
        self.average = sum(self.lengths.values()) / len(self.lengths)
        df = Counter(w for c in self.docs.values() for w in c)
        count = len(self.docs)
        self.idf = {w: math.log(1 + (count - n + 0.5) / (n + 0.5)) for w, n in df.items()}
        self.postings: dict[str, list[int]] = defaultdict(list)
        for n, c in self.docs.items():
            for w in c:
                self.postings[w].append(n)

    def rank(self, query: str, depth: int) -> list[int]:
        scores: dict[int, float] = defaultdict(float)
        for w in set(tokens(query)):
            for n in self.postings.get(w, ()):
                tf = self.docs[n][w]
                norm = tf + self.k1 * (1 - self.b + self.b * self.lengths[n] / self.average)
                scores[n] += self.idf[w] * tf * (self.k1 + 1) / norm
        return sorted(scores, key=lambda n: (-scores[n], n))[:depth]


class LinkerRetrieval:
    """The tracker's FTS side, on an index holding the passages as abstracts."""

    def __init__(self, corpus: dict[int, str]):
        import sqlite_utils

        from tracker.core.schema import ensure_schema
        from tracker.link import index

        self.index = index
        self.db = sqlite_utils.Database(sqlite3.connect(":memory:"))
        ensure_schema(self.db)
        self.db.conn.executemany(
            f"INSERT INTO {index.FTS_TABLE} (rowid, title, abstract, mesh, keywords) VALUES (?, '', ?, '', '')",
            list(corpus.items()),
        )

    def rank(self, claim_text: str, depth: int) -> list[int]:
        from tracker.claims.catalog import Claim

        claim = Claim(id="q", statement=claim_text, category="safety", pubmed="-")
        return [n for n, _ in self.index.search(self.db, self.index.fts_query(self.index.query_terms(claim)), depth)]


class SemanticRetrieval:
    def __init__(self, corpus: dict[int, str]):
        from tracker.link.semantic import SemanticIndex

        self.model = SemanticIndex()
        self.numbers = list(corpus)
        self.matrix = self.model.embed([corpus[n] for n in self.numbers])

    def rank(self, claim_text: str, depth: int) -> list[int]:
        import numpy

        scores = self.matrix @ self.model.embed([claim_text])[0]
        return [self.numbers[i] for i in numpy.argsort(-scores)[:depth]]


def metrics(ranked: list[int], relevant: set[int]) -> tuple[float, float, float]:
    recall5 = len(set(ranked[:5]) & relevant) / len(relevant)
    recall10 = len(set(ranked[:10]) & relevant) / len(relevant)
    dcg = sum(1 / math.log2(i + 2) for i, n in enumerate(ranked[:10]) if n in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return recall5, recall10, dcg / ideal


def evaluate(name, rank, queries) -> dict:
    started = time.perf_counter()
    totals = [0.0, 0.0, 0.0]
    for claim, relevant in queries.items():
        for i, value in enumerate(metrics(rank(claim), relevant)):
            totals[i] += value
    count = len(queries)
    return {"method": name, "recall@5": totals[0] / count, "recall@10": totals[1] / count,
            "ndcg@10": totals[2] / count, "seconds": time.perf_counter() - started}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="HealthVer CSV (default: ../shared/...)")
    parser.add_argument("--no-semantic", action="store_true", help="Skip the semantic extra even if installed.")
    args = parser.parse_args(argv)
    if not args.csv.exists():
        print(f"{args.csv}: not found; pass --csv PATH to healthver_dev.csv", file=sys.stderr)
        return 2
    corpus, queries = load_benchmark(args.csv)
    print(f"HealthVer dev: {len(corpus)} distinct evidence passages, {len(queries)} claims, "
          f"{sum(len(r) for r in queries.values())} relevant pairs", flush=True)
    bm25 = PlainBM25(corpus)
    linker = LinkerRetrieval(corpus)
    rows = [
        evaluate("plain BM25 (baseline)", lambda q: bm25.rank(q, DEPTH), queries),
        evaluate("linker: full text (FTS5)", lambda q: linker.rank(q, DEPTH), queries),
    ]
    from tracker.link import semantic as semantic_extra

    if not args.no_semantic and semantic_extra.available():
        from tracker.link.link import fuse

        model = SemanticRetrieval(corpus)
        rows.append(evaluate("linker: semantic only", lambda q: model.rank(q, DEPTH), queries))

        def fused(q):
            scores = fuse({"fts": linker.rank(q, DEPTH), "semantic": model.rank(q, DEPTH)})
            return sorted(scores, key=lambda n: (-scores[n], n))

        rows.append(evaluate("linker: full text + semantic (as tracker link)", fused, queries))
    else:
        print("(semantic extra not installed: pip install -e '.[semantic]' to add its rows)")
    print()
    print("| method | recall@5 | recall@10 | nDCG@10 | seconds |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['method']} | {row['recall@5']:.3f} | {row['recall@10']:.3f} | {row['ndcg@10']:.3f} | "
              f"{row['seconds']:.1f} |")
    return 0

