"""The rationale: the sentence of each paper quoted beside a claim. The learned ranker's code (link/ranker.py)
on a tiny ranker (real Citation-Integrity train rows from ../shared, embedded by the hashed stand-in; the
figures come from `tracker bench evidence` with all-MiniLM-L6-v2), the hard cases a fact-checker meets, and
where the quoted sentence comes from, said on the pages and in the exports."""

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")

from tracker.link import ranker  # noqa: E402
from tracker.link.stance import Embeddings  # noqa: E402
from tracker.link.rationale import PaperSentence, RationaleScorer, paper_sentences  # noqa: E402
from tracker.link.suggest import suggest, suggest_for_claims  # noqa: E402

from .support.built import built_records  # noqa: E402,F401  (a fixture)
from .support.embedding import hashed  # noqa: E402
from .support.linked import CLAIMS  # noqa: E402

CITINT = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "citint"
needs_shared = pytest.mark.skipif(not CITINT.is_dir(), reason="../shared/benchmarks is not beside the checkout")

# A structured abstract written for these tests (no real paper): its OBJECTIVE restates the claim's words,
# its RESULTS sentence answers it with fewer of them.
LIVER = replace(CLAIMS["liver-injury-long-term"])
QUESTION = "We aimed to determine whether long-term heavy kratom use causes liver damage in adults."
ANSWER = "Nine of 40 long-term users had raised ALT, and two developed cholestatic hepatitis after heavy use."
STRUCTURED = (f"OBJECTIVE: {QUESTION}\n\nMETHODS: Adults who used kratom daily for over a year were followed "
              f"for 12 months.\n\nRESULTS: {ANSWER}\n\nCONCLUSIONS: Liver tests are advised for regular users.")


@pytest.fixture(scope="module")
def papers():
    if not CITINT.is_dir():
        pytest.skip("../shared/benchmarks is not beside the checkout")
    return ranker.citint_rank_examples(CITINT, "train")[:300]


@pytest.fixture(scope="module")
def frequency():
    return ranker.document_frequency(CITINT)


@pytest.fixture(scope="module")
def spec(papers, frequency):
    rows = ranker.example_rows(Embeddings(hashed), papers, *frequency)
    return ranker.train(papers, rows, *frequency)


def test_the_ranker_is_what_scikit_learn_fitted_and_reads_back(papers, frequency, spec, tmp_path):
    from sklearn.linear_model import LogisticRegression

    rows = ranker.example_rows(Embeddings(hashed), papers, *frequency)
    flat = np.asarray([row for paper in rows for row in paper])
    marked = [m for p in papers for m in p.marked]
    fitted = LogisticRegression(C=ranker.REGULARISATION, max_iter=5000).fit(
        (flat - np.asarray(spec["mean"])) / np.asarray(spec["scale"]), marked)
    assert np.allclose(fitted.coef_[0], spec["coef"], atol=1e-3)
    assert len(spec["coef"]) == len(ranker.FEATURES) == len(rows[0][0])
    path = tmp_path / "ranker.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    model = ranker.RationaleRanker(ranker.read_ranker(path), hashed)
    assert model.version.startswith("rationale-lr-1:") and len(model.version) == len("rationale-lr-1:") + 12
    # Its scores are the fitted model's decision function on the same rows.
    scores = model.scores(papers[0].claim, papers[0].sentences)
    expected = fitted.decision_function((np.asarray(rows[0]) - np.asarray(spec["mean"])) / np.asarray(spec["scale"]))
    assert np.allclose(scores, expected, atol=1e-2)
    assert spec["trained_on"]["papers"] == 300 and spec["documents"] > 1000 and len(json.dumps(spec)) < 10 * 2**20


def test_the_same_data_builds_the_same_ranker_and_other_data_another(papers, frequency, spec):
    again = ranker.train(papers, ranker.example_rows(Embeddings(hashed), papers, *frequency), *frequency)
    assert again == spec
    fewer = ranker.train(papers[:-5], ranker.example_rows(Embeddings(hashed), papers[:-5], *frequency),
                         *frequency)
    assert fewer["trained_on"]["sha256"] != spec["trained_on"]["sha256"]


@needs_shared
def test_the_training_papers_show_no_place_and_the_baseline_is_the_plain_count():
    papers = ranker.citint_rank_examples(CITINT, "dev")
    # The dataset lists each marked sentence first; the order given is shuffled, seeded.
    assert sum(p.marked[0] for p in papers) < 0.5 * len(papers)
    assert papers == ranker.citint_rank_examples(CITINT, "dev")
    claim = "kratom causes liver injury"
    assert ranker.most_shared_words(claim, ["kratom use", "liver injury after kratom", "liver injury"]) == 1


def test_a_results_sentence_that_answers_the_claim_beats_the_objective_that_restates_it(spec):
    sentences = paper_sentences("Kratom and the liver: a follow-up study", STRUCTURED)
    sections = {s.text: s.section for s in sentences}
    assert sections[QUESTION] == "OBJECTIVE" and sections[ANSWER] == "RESULTS"
    claim_text = RationaleScorer(LIVER).text
    shared = [len(set(ranker.words(claim_text)) & set(ranker.words(s.text))) for s in sentences]
    # The plain count quotes the question: it shares the most words with the claim.
    assert sentences[shared.index(max(shared))].text == QUESTION
    model = ranker.RationaleRanker(spec, hashed)
    assert model.best(claim_text, sentences).text == ANSWER
    assert RationaleScorer(LIVER).best(sentences).text == ANSWER  # the rules, without a ranker, too


def test_a_sentence_that_only_asks_is_not_quoted_for_one_that_reports(spec):
    # The same two sentences in an unlabelled abstract (no section to go by), through `suggest` as linking runs it.
    model = ranker.RationaleRanker(spec, hashed)
    claim_text = RationaleScorer(LIVER).text
    asks, reports = model.scores(claim_text, [QUESTION, ANSWER])
    assert asks > reports  # learned alone, the question's shared words win
    features = ranker.sentence_features(claim_text, [QUESTION, ANSWER], Embeddings(hashed),
                                        spec["document_frequency"], spec["documents"])
    assert [row[ranker.FEATURES.index("asks")] for row in features] == [1.0, 0.0]
    paper = {"title": None, "abstract": f"{QUESTION} {ANSWER}", "mesh": [], "keywords": []}
    assert suggest(LIVER, paper, "observational", ranker=model).rationale.text == ANSWER
    # The rules alone still quote the question here: a penalty large enough for it cost the rules on
    # Citation-Integrity dev (0.455 at -2, 0.442 at -100), so they are left as measured.


def test_suggestions_recompute_when_a_ranker_is_built(linked, spec):
    model = ranker.RationaleRanker(spec, hashed)
    claims = [CLAIMS["liver-injury-long-term"]]
    before = dict(linked.execute("SELECT pmid, inputs FROM suggestions WHERE claim_id = 'liver-injury-long-term'"))
    stats = suggest_for_claims(linked, claims, ranker=model)
    assert stats.computed == stats.pairs > 0  # a new ranker: every pair again
    after = dict(linked.execute("SELECT pmid, inputs FROM suggestions WHERE claim_id = 'liver-injury-long-term'"))
    assert all(after[p] != before[p] for p in before)
    assert suggest_for_claims(linked, claims, ranker=model).computed == 0  # current now


def test_the_ranker_reads_papers_on_the_claims_topic_and_the_rules_the_others(spec):
    model = ranker.RationaleRanker(spec, hashed)
    on_topic = {"title": "Kratom and the liver: a follow-up study", "abstract": STRUCTURED, "mesh": [], "keywords": []}
    made = suggest(LIVER, on_topic, "observational", ranker=model)
    assert made.topic.relevant and made.rationale.text == ANSWER and made.rationale.section == "RESULTS"
    # Off the topic (no kratom named): the rules' sentence, and no sentence is embedded.
    off_topic = {"title": None, "abstract": STRUCTURED.replace("kratom", "the supplement"), "mesh": [], "keywords": []}
    asked = []
    counting = ranker.RationaleRanker(spec, lambda texts: asked.extend(texts) or hashed(texts))
    made = suggest(LIVER, off_topic, "observational", ranker=counting)
    assert not made.topic.relevant and asked == []
    title_only = {"title": "Kratom-associated cholestatic liver injury after long-term use", "abstract": None,
                  "mesh": [], "keywords": []}
    titled = suggest(LIVER, title_only, "case-report", ranker=counting)  # one sentence: nothing to rank
    assert titled.rationale.field == "title" and asked == []
    assert made.rationale == suggest(LIVER, off_topic, "observational").rationale


def test_a_title_quoted_for_want_of_an_abstract_says_so_on_the_pages_and_in_the_exports(built_records):
    from click.testing import CliRunner

    from tracker.cli import cli
    from tracker.core.database import open_db

    from .support.serving import get

    db = open_db(built_records)
    title_only = db.execute("""SELECT claim_id, pmid FROM claim_evidence WHERE rationale_field = 'title'
                               AND relevant = 1 AND pmid IN (SELECT pmid FROM papers WHERE coalesce(abstract, '') = '')
                               ORDER BY claim_id, pmid""").fetchall()
    with_abstract = db.execute("""SELECT rationale_section, rationale_source FROM claim_evidence
                                  WHERE rationale_field = 'abstract'""").fetchall()
    assert title_only and with_abstract
    assert all(source == ("from the abstract, " + section + " section" if section else "from the abstract")
               for section, source in with_abstract)
    claim_id, pmid = title_only[0]
    page = get(built_records, f"/tracker/claims/{claim_id}").text
    row = page[page.index(f'id="pmid-{pmid}"'):]
    row = row[:row.index("</tr>")]
    assert 'class="sentence-source">from the title; no abstract stored</small>' in row
    exported = CliRunner().invoke(cli, ["--db", str(built_records), "export", "links", "--claim", claim_id])
    assert exported.exit_code == 0, exported.output
    rows = {r["pmid"]: r for r in csv.DictReader(io.StringIO(exported.output))}
    assert rows[str(pmid)]["rationale_source"] == "from the title; no abstract stored"
    assert rows[str(pmid)]["rationale_field"] == "title"
    report = CliRunner().invoke(cli, ["--db", str(built_records), "export", "report", "--claim", claim_id])
    assert "(from the title; no abstract stored)" in report.output


def test_a_finding_named_in_a_question_is_not_stated():
    # "We aimed to determine whether ... causes liver damage" names the claim's finding; it reports nothing.
    asking = suggest(LIVER, {"title": None, "abstract": QUESTION, "mesh": [], "keywords": []}, "observational")
    reporting = suggest(LIVER, {"title": None, "abstract": f"{QUESTION} {ANSWER}", "mesh": [], "keywords": []},
                        "observational")
    assert reporting.method == "catalog findings" and reporting.stance == "supports"
    assert reporting.sentence.text == ANSWER
    assert asking.method != "catalog findings" and asking.stance != "supports"


def test_a_papers_vectors_are_embedded_once_and_kept_in_the_database(db, spec, monkeypatch):
    from tracker.core.schema import ensure_schema
    from tracker.link.semantic import VectorStore

    ensure_schema(db)
    on_topic = {"title": "Kratom and the liver: a follow-up study", "abstract": STRUCTURED, "mesh": [], "keywords": []}
    asked = []
    first = Embeddings(lambda texts: asked.extend(texts) or hashed(texts), VectorStore(db))
    made = suggest(LIVER, on_topic, "observational", ranker=ranker.RationaleRanker(spec, first))
    assert made.rationale.text == ANSWER
    assert asked and len(asked) == len(set(asked))  # each text once, the paper's sentences and words among them
    assert all(s.text in asked for s in paper_sentences(on_topic["title"], STRUCTURED))
    assert db["text_embeddings"].count == len(asked)
    stored = VectorStore(db).get(asked)
    assert set(stored) == set(asked)
    assert np.allclose(np.array([stored[t] for t in asked]), hashed(asked), atol=1e-6)  # float32 of the same
    # Another run (nothing in memory) reads them back and embeds nothing, and picks the same sentence.
    again = []
    second = Embeddings(lambda texts: again.extend(texts) or hashed(texts), VectorStore(db))
    assert suggest(LIVER, on_topic, "observational", ranker=ranker.RationaleRanker(spec, second)).rationale == \
        made.rationale
    assert again == []
    # Memory holds a bounded number of vectors; what it let go is read from the database again.
    monkeypatch.setattr(Embeddings, "KEPT", 3)
    bounded = Embeddings(lambda texts: again.extend(texts) or hashed(texts), VectorStore(db))
    for _ in range(2):
        assert suggest(LIVER, on_topic, "observational", ranker=ranker.RationaleRanker(spec, bounded)).rationale == \
            made.rationale
    assert again == [] and len(bounded.cache) < len(asked)
