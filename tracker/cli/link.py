"""`tracker link` and `tracker curate`: the papers that bear on each claim, and a person's decisions."""

from __future__ import annotations

from pathlib import Path

import click

from ..core import paths
from ..core.errors import InputError
from ..link import ranker as rationale_ranker
from ..link import stance as stance_model
from ..link.curate import load_curation, read_curation
from ..link.link import DEFAULT_TOP, claims_to_link, learned_models, link_claims
from ..link.related import find_related
from ..link.semantic import semantic_index
from ..link.suggest import add_requested, read_pairs, suggest_for_claims
from ..papers.client import EutilsClient
from .common import (
    Progress,
    db_path,
    open_database,
    quiet_option,
    semantic_option,
)


@click.command("link")
@click.option("--claim", "claim_ids", multiple=True, help="Link only this claim (repeatable). Default: all active claims.")
@click.option("--top", type=click.IntRange(1, 10000), default=DEFAULT_TOP, show_default=True,
              help="Candidate papers to keep per claim.")
@semantic_option
@quiet_option("No progress and no summary.")
@click.pass_context
def link(ctx, claim_ids, top, use_semantic, quiet):
    """Find the papers that bear on each canonical claim and store them in claim_papers.

    Candidates come from the claim's own PubMed search (synced as claim-<id>), full-text
    retrieval over titles, abstracts, MeSH and keywords with the claim's synonyms, and, with the
    semantic extra installed, embedding similarity. Each link keeps its scores, the methods that
    found it, its rank, the paper's evidence level and flags, and the abstract sentence that best
    matches the claim. Relinking adds and updates; it never deletes a link or a person's stance.
    """
    database = open_database(ctx)
    claims = claims_to_link(database, claim_ids)
    semantic = semantic_index(use_semantic)
    progress = Progress(quiet)
    results = link_claims(database, claims, top=top, semantic=semantic,
                          progress=lambda number, total, claim_id: progress.show(f"linking {number}/{total}: {claim_id}"))
    progress.done()
    if not quiet:
        methods = "PubMed search, full text" + (", semantic" if semantic else "")
        click.echo(f"Linked {len(results)} claims ({methods}):")
        for stats in results:
            click.echo(f"  {stats.claim_id}: {stats.kept} papers kept of {stats.candidates} candidates, {stats.new} new")


@click.command("curate")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def curate(ctx, path):
    """Load a person's decisions: stance per claim and paper, from PATH or else the database's own
    decisions file, curation.csv beside it (db/curation.csv for db/tracker.db).

    Columns: claim_id, pmid, stance (supports, contradicts, mentions, unrelated), note,
    reviewer, date (YYYY-MM-DD). The file replaces what was loaded before. Decisions about papers
    not yet in the database wait for them; conflicting rows are reported and the latest applies.
    """
    if path is None:
        path = paths.curation_file(db_path(ctx))
        if not path.exists():
            raise InputError(f"{path} does not exist: a database's decisions file is curation.csv beside it. Name "
                             f"the file to load (tracker curate {paths.shown(paths.CURATION)}); `tracker run` starts "
                             "one from the project's decisions")
    decisions = read_curation(path)
    result = load_curation(open_database(ctx), decisions)
    click.echo(f"{result.decisions} decisions in {path}: {result.applied} about papers in the database, "
               f"{len(result.pending)} waiting for their paper"
               + ("" if result.changed else "; the same as already loaded, nothing changed"))
    for claim_id in result.unknown_claims:
        click.echo(f"  warning: {claim_id} is not a claim in the catalog; its decisions are kept", err=True)
    for conflict in result.conflicts:
        click.echo(f"  conflict: {conflict}", err=True)


@click.command("suggest")
@click.option("--claim", "claim_ids", multiple=True, help="Only this claim (repeatable). Default: all active claims.")
@click.option("--pairs", "pairs_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A CSV with a claim_id,pmid header: pairs to make candidates (found 'by request') and suggest for.")
@semantic_option
@click.pass_context
def suggest(ctx, claim_ids, pairs_path, use_semantic):
    """Suggest a stance for each candidate paper of each claim, with the sentence it rests on and why.

    A suggestion is never a decision: it is stored apart, never changes db/curation.csv's decisions,
    and where a person decided, the decision is shown as the stance. Suggestions are recomputed
    only when the claim, the paper or the method changed. `tracker link` runs this after linking.
    With --pairs, unknown claims or PMIDs are refused before anything is written. Where a claim's
    catalog findings say nothing, the learned stance model (`tracker model build`) reads the
    abstract, when it is built and the semantic extra is installed.
    """
    database = open_database(ctx)
    claims = claims_to_link(database, claim_ids)
    pairs = read_pairs(database, pairs_path) if pairs_path else None
    built = stance_model.model_path().is_file() or rationale_ranker.ranker_path().is_file()
    semantic = semantic_index(use_semantic) if built else None
    model, ranker = learned_models(database, semantic)
    if pairs is not None:
        added = add_requested(database, pairs)
        claims = [c for c in claims if c.id in {claim_id for claim_id, _ in pairs}]
        click.echo(f"{len(pairs)} pairs in {pairs_path}: {added} new candidates (found by request)")
    stats = suggest_for_claims(database, claims, stance=model, ranker=ranker)
    learned = ([f"learned stance model {model.version}"] if model else []) + \
        ([f"rationale ranker {ranker.version}"] if ranker else [])
    click.echo(f"Suggestions for {stats.pairs} claim-paper pairs of {stats.claims} claims: {stats.computed} new or "
               f"recomputed, {stats.pairs - stats.computed} already current"
               + (f" ({'; '.join(learned)})" if learned else ""))


@click.group("model")
def model():
    """The learned stance model and rationale ranker: built from ../shared's benchmarks, cached outside the
    repository."""


@model.command("build")
@click.option("--shared", type=click.Path(file_okay=False, path_type=Path), default=paths.ROOT.parent / "shared",
              show_default="../shared", help="The folder holding benchmarks/ (HealthVer, Citation-Integrity).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the stance model (the ranker goes beside it). Default: the cache (`tracker "
                   "model show` says where).")
@click.option("--if-missing", is_flag=True, help="Build only what is not built yet.")
@quiet_option("No progress display.")
def model_build(shared, output, if_missing, quiet):
    """Build the learned stance model and the rationale ranker (about eight minutes on 2 cores; needs the
    semantic extra).

    The rationale ranker (logistic regression over word, phrase and all-MiniLM-L6-v2 similarity
    features, trained on Citation-Integrity train) then picks the sentence of each paper that bears on
    the claim. The stance model: logistic regression over all-MiniLM-L6-v2 embeddings and word cues,
    trained on HealthVer dev and Citation-Integrity train. `tracker link` and `tracker suggest` use it
    where a claim's
    catalog findings say nothing; every suggestion it makes names it.
    """
    path = output or stance_model.model_path()
    ranker_path = path.parent / rationale_ranker.ranker_path().name
    if if_missing and path.is_file() and ranker_path.is_file():
        click.echo(f"The stance model and the rationale ranker are already built: {path}, {ranker_path}")
        return
    semantic = semantic_index(True)
    progress = Progress(quiet)
    if not (if_missing and path.is_file()):
        examples = stance_model.training_examples(shared)
        rows = stance_model.example_features(stance_model.Embeddings(semantic.embed), examples,
                                             progress=lambda n, total: progress.show(f"embedding {n}/{total} examples"))
        progress.done()
        spec = stance_model.train(examples, rows)
        stance_model.write_model(spec, path)
        click.echo(f"Built {spec['version']} from {len(examples)} examples ({stance_model.trained_on(spec)}): {path}")
    citint = Path(shared) / "benchmarks" / "citint"
    papers = rationale_ranker.citint_rank_examples(citint, "train")
    frequency, documents = rationale_ranker.document_frequency(citint)
    rows = rationale_ranker.example_rows(stance_model.Embeddings(semantic.embed), papers, frequency, documents,
                                         progress=lambda n, total: progress.show(f"ranker: {n}/{total} papers"))
    progress.done()
    spec = rationale_ranker.train(papers, rows, frequency, documents)
    stance_model.write_model(spec, ranker_path)
    click.echo(f"Built {spec['version']} from {spec['trained_on']['papers']} Citation-Integrity train papers "
               f"({spec['trained_on']['sentences']} sentences): {ranker_path}")


@model.command("show")
def model_show():
    """Where the stance model is and what it was trained on."""
    path = stance_model.model_path()
    if not path.is_file():
        click.echo(f"No stance model at {path}; `tracker model build` builds it.")
    else:
        spec = stance_model.read_model(path)
        click.echo(f"{spec['version']} at {path}\n  embedding: {spec['embedding']}\n  classes: "
                   f"{', '.join(spec['classes'])}\n  trained on: {stance_model.trained_on(spec)} "
                   f"(sha256 {spec['trained_on']['sha256'][:12]})")
    path = rationale_ranker.ranker_path()
    if not path.is_file():
        click.echo(f"No rationale ranker at {path}; `tracker model build` builds it (the rules pick the sentence).")
        return
    spec = rationale_ranker.read_ranker(path)
    click.echo(f"{spec['version']} at {path}\n  embedding: {spec['embedding']}\n  trained on: "
               f"{spec['trained_on']['papers']} Citation-Integrity train papers, {spec['trained_on']['sentences']} "
               f"sentences (sha256 {spec['trained_on']['sha256'][:12]})")


@click.command("related")
@quiet_option("No progress display.")
@click.pass_context
def related(ctx, quiet):
    """Ask PubMed (ELink) for the papers related to and citing each paper a person decided on, and make
    them candidates for the same claim (run `tracker link` after, or let the pipeline do it).

    Uses the sync's rate limit and retries; a decided paper is asked again only after 30 days.
    """
    database = open_database(ctx)
    progress = Progress(quiet)
    stats = find_related(database, EutilsClient(),
                         progress=lambda s: progress.show(f"{s.links} links from {s.requests} requests"))
    progress.done()
    click.echo(f"{stats.sources} decided papers asked: {stats.links} links recorded, {stats.fetched} new records "
               f"fetched in {stats.requests} requests" + (f"; {len(stats.missing)} linked PMIDs returned no record"
                                                          if stats.missing else ""))


COMMANDS = (link, curate, suggest, related, model)
