"""Benchmark: `tracker link` for every catalog claim against 10,000 and 100,000 stored papers.

The papers are the real fixture records re-issued under distinct PMIDs (the same files as
`tracker bench load`), stored with `tracker load`. For each size, in a fresh process:
building the full-text index (once, after a load), then linking all claims of db/claims.yml
(full text only: a benchmark has no PubMed and no semantic extra), then linking again with the
index current, as a scheduled run does. Reported: seconds per claim, and the ratio between sizes.
Target: 10x the papers costs at most 3x the time per claim.

With --rationale (the semantic extra and the built models): the time to make every suggestion with the
rationale picked by the rules and by the learned ranker in turn, and what reading each candidate the first
time adds (measure_rationale says how). Target: the ranker at most 1.2x the rules.

    tracker bench link [--sizes 1000 10000 100000] [--top 50] [--rationale [--rounds 3]]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from .common import ROOT, in_child, stored_database


def fresh(path: Path):
    """The database with its links, levels, suggestions and index cleared, the catalog loaded; (db, claims)."""
    from tracker.claims.catalog import read_catalog
    from tracker.claims.store import active_claims, load_claims
    from tracker.core.database import open_db
    from tracker.core.schema import ensure_schema
    from tracker.link import index

    db = open_db(path)
    db.execute("DELETE FROM claim_papers")
    db.execute(f"DROP TABLE IF EXISTS {index.FTS_TABLE}")
    db.execute(f"DROP TABLE IF EXISTS {index.STATE_TABLE}")
    db.execute("DELETE FROM paper_evidence")
    db.execute("DELETE FROM suggestions")  # kept by hash: a database linked before would make "first" a relink
    db.conn.commit()
    ensure_schema(db)  # the index tables again, empty
    catalog = read_catalog(ROOT / "db" / "claims.yml")
    load_claims(db, catalog.claims, categories=catalog.categories)
    return db, active_claims(db)


def measure(path: Path, top: int) -> dict:
    """Runs in a child process: index, link, relink."""
    from tracker.link import index
    from tracker.link.link import link_claims

    db, claims = fresh(path)
    papers = db["papers"].count
    started = time.perf_counter()
    indexed = index.refresh_index(db)
    index_seconds = time.perf_counter() - started
    started = time.perf_counter()
    first = link_claims(db, claims, top=top)
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    link_claims(db, claims, top=top)
    again_seconds = time.perf_counter() - started
    return {
        "papers": papers,
        "claims": len(claims),
        "indexed": indexed,
        "index_seconds": index_seconds,
        "first_per_claim": first_seconds / len(claims),
        "again_per_claim": again_seconds / len(claims),
        "links": sum(s.kept for s in first),
    }


def measure_rationale(path: Path, top: int, rounds: int) -> dict:
    """Runs in a child process, with the semantic extra and the built models: every catalog claim's suggestions
    made, the rationale picked by the rules and by the learned ranker in turn (rules first, then alternating),
    seconds per claim.

    The records are not about kratom, so no candidate would be on a claim's topic and the ranker would read none:
    here every candidate counts as on the topic, the ranker's worst case. They are 164 real records under many
    PMIDs (and a claim's candidates are often copies of one record), so nothing a paper's reading computes may
    carry to its copies: what a run keeps in memory (sentence vectors, read from `text_embeddings` as a scheduled
    run reads those of the papers it read before; the ranker's facts of each sentence) is kept apart for each
    PMID (PaperMemory), for all the claims that read that paper, as a run keeps it. Vectors of single words are
    shared, as a run shares them: words recur across papers. What reading a paper the first time adds, embedding its
    sentences and new words once, is timed apart, paper by paper."""
    from tracker.link import index, ranker as ranker_module, suggest as suggest_module
    from tracker.link.link import link_claim
    from tracker.link.ranker import load_ranker
    from tracker.link.rationale import paper_sentences
    from tracker.link.relevance import Relevance
    from tracker.link.semantic import VectorStore, semantic_index
    from tracker.link.stance import Embeddings, load_stance_model
    from tracker.link.suggest import suggest_for_claims

    suggest_module.relevance = lambda *args, **kwargs: Relevance(True, 2.0, "every candidate (benchmark)")
    db, claims = fresh(path)
    semantic = semantic_index(True)
    if load_ranker(semantic) is None or load_stance_model(semantic) is None:
        raise SystemExit("build the models first: `tracker model build` (semantic extra)")
    index.refresh_index(db)
    embedded = semantic.refresh(db)
    for claim in claims:
        link_claim(db, claim, top=top, semantic=semantic)
    db.execute("DELETE FROM text_embeddings")
    db.conn.commit()

    # Reading each candidate the first time: its sentences (with the claim, as a reading embeds them) and the
    # words no paper before it had, embedded one paper at a time.
    pmids = [r[0] for r in db.execute("SELECT DISTINCT pmid FROM claim_papers")]
    papers = {row["pmid"]: row for row in db.query("SELECT pmid, title, abstract FROM papers")}
    seen_words: set[str] = set()
    started = time.perf_counter()
    for pmid in pmids:
        sentences = [s.text for s in paper_sentences(papers[pmid]["title"], papers[pmid]["abstract"])]
        if len(sentences) < 2:
            continue
        semantic.embed(sentences)
        new_words = {w for s in sentences for w in ranker_module._facts(s).tokens} - seen_words
        seen_words |= new_words
        if new_words:
            semantic.embed(sorted(new_words))
    first_reading = time.perf_counter() - started

    stored = Embeddings(semantic.embed, VectorStore(db))
    memory = PaperMemory(ranker_module._facts.__wrapped__)
    stored.cache = memory
    ranker_module._facts = memory.facts
    reading = suggest_module.suggest

    def read_apart(claim, paper, *args, **kwargs):
        memory.pmid = paper["pmid"]
        return reading(claim, paper, *args, **kwargs)

    suggest_module.suggest = read_apart
    seconds = {"rules": [], "learned ranker": []}
    for number in range(rounds + 1):  # the first round fills text_embeddings and is not counted
        for name in (("rules", "learned ranker") if number % 2 == 0 else ("learned ranker", "rules")):
            db.execute("DELETE FROM suggestions")
            db.conn.commit()
            memory.forget()  # a run starts with nothing in memory
            stance = load_stance_model(semantic, stored)
            ranker = load_ranker(semantic, stored) if name == "learned ranker" else None
            started = time.perf_counter()
            suggest_for_claims(db, claims, stance=stance, ranker=ranker)
            if number:
                seconds[name].append((time.perf_counter() - started) / len(claims))
    return {"papers": db["papers"].count, "claims": len(claims), "embedded": embedded, "candidates": len(pmids),
            "first_reading": first_reading / len(claims), "stored": db["text_embeddings"].count,
            **{name: sorted(values)[len(values) // 2] for name, values in seconds.items()}, "rounds": rounds}


class PaperMemory:
    """What a run keeps in memory while reading papers (sentence vectors, the ranker's facts of each sentence), kept
    apart for each PMID, so that copies of one record share nothing, as distinct papers would not; vectors of
    single words are shared, as words recur across papers. Stands in for Embeddings.cache and the ranker's facts."""

    def __init__(self, compute_facts):
        self.compute_facts = compute_facts
        self.pmid = None
        self.forget()

    def forget(self) -> None:
        self.by_paper: dict = {}
        self.words: dict = {}

    def _here(self, key: str) -> dict:
        return self.words if " " not in key else self.by_paper.setdefault(self.pmid, {})

    def __contains__(self, text) -> bool:
        return text in self._here(text)

    def __getitem__(self, text):
        return self._here(text)[text]

    def __len__(self) -> int:
        return 0  # never over Embeddings.KEPT: a run of this size keeps all

    def update(self, found: dict) -> None:
        for text, vector in found.items():
            self._here(text)[text] = vector

    def clear(self) -> None:
        self.forget()

    def facts(self, sentence: str) -> tuple:
        kept = self.by_paper.setdefault(("facts", self.pmid), {})
        if sentence not in kept:
            kept[sentence] = self.compute_facts(sentence)
        return kept[sentence]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--top", type=int, default=50)
    parser.add_argument("--rationale", action="store_true", help="instead: link and suggest with the semantic "
                        "extra, the rationale picked by the rules and by the learned ranker in turn, at each size")
    parser.add_argument("--rounds", type=int, default=3, help="with --rationale: runs of each (default 3)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        found = measure_rationale(args.child, args.top, args.rounds) if args.rationale else measure(args.child, args.top)
        print(json.dumps(found))
        return 0
    if args.rationale:
        for size in args.sizes:
            print(f"linking against {size:,} papers, rules and learned ranker in turn ...", flush=True)
            found = in_child("link", ["--child", str(stored_database(size)), "--top", str(args.top), "--rationale",
                                      "--rounds", str(args.rounds)])
            if "failed" in found:
                raise SystemExit(f"failed: {found['failed']}")
            print(f"{found['papers']:,} papers, {found['claims']} claims, {found['candidates']:,} candidates, every "
                  f"one counted on its claim's topic; median of {found['rounds']} runs each, vectors read from the "
                  f"database ({found['stored']:,} stored):\n"
                  f"  suggest with the rules:          {found['rules']:.3f} s/claim\n"
                  f"  suggest with the learned ranker: {found['learned ranker']:.3f} s/claim "
                  f"(x{found['learned ranker'] / found['rules']:.2f}; target at most x1.2)\n"
                  f"  reading each candidate the first time (embedding its sentences and new words, once for good): "
                  f"{found['first_reading']:.3f} s/claim more")
        return 0
    results = []
    for size in args.sizes:
        path = stored_database(size)
        print(f"linking against {size:,} papers ...", flush=True)
        measured = in_child("link", ["--child", str(path), "--top", str(args.top)])
        if "failed" in measured:
            raise SystemExit(f"linking against {size:,} papers failed: {measured['failed']}")
        results.append(measured)
    print()
    print("| papers | claims | index build s | link s/claim (first) | link s/claim (again) | links kept |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['papers']:,} | {r['claims']} | {r['index_seconds']:.1f} | {r['first_per_claim']:.3f} | "
              f"{r['again_per_claim']:.3f} | {r['links']:,} |")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        factor = large["papers"] / small["papers"]
        print(f"\n{factor:.0f}x the papers: time per claim x{large['first_per_claim'] / small['first_per_claim']:.2f} "
              f"(first link), x{large['again_per_claim'] / small['again_per_claim']:.2f} (again); target at most x3")
    return 0

