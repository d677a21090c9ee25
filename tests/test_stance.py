"""The learned stance model's code (link/stance.py), exercised on a tiny model: real HealthVer and
Citation-Integrity rows from ../shared/benchmarks, embedded by a small deterministic word-hashing
embedder instead of all-MiniLM-L6-v2 (which the semantic extra brings, and CI does not install).
Building, storing, reading and predicting are the code `tracker model build` and `tracker suggest` run."""

import csv
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")

from tracker.claims.catalog import Claim  # noqa: E402
from tracker.link import stance  # noqa: E402
from tracker.link.stance import Embeddings, StanceModel  # noqa: E402
from tracker.link.suggest import suggest, suggest_for_claims  # noqa: E402

from .support.embedding import hashed  # noqa: E402
from .support.linked import CLAIMS, DILIN  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"
BENCHMARKS = SHARED / "benchmarks"
pytestmark = pytest.mark.skipif(not BENCHMARKS.is_dir(), reason="../shared/benchmarks is not beside the checkout")


class CountingModel(StanceModel):
    def __init__(self, *args):
        super().__init__(*args)
        self.asked = 0

    def predict(self, claim, sentences):
        self.asked += 1
        return super().predict(claim, sentences)


@pytest.fixture(scope="module")
def examples():
    healthver = stance.healthver_examples(BENCHMARKS / "healthver" / "healthver_dev.csv")[:150]
    citint = stance.citint_examples(BENCHMARKS / "citint", "train")[:60]
    return healthver + citint


@pytest.fixture(scope="module")
def spec(examples):
    return stance.train(examples, stance.example_features(Embeddings(hashed), examples))


def test_the_model_reads_as_scikit_learn_fitted_it(examples, spec, tmp_path):
    """Prediction is hand-written (no scikit-learn at suggestion time): it must give the fitted model's answer."""
    from sklearn.linear_model import LogisticRegression

    rows = stance.example_features(Embeddings(hashed), examples)
    fitted = LogisticRegression(C=stance.REGULARISATION, max_iter=3000, class_weight="balanced")
    fitted.fit(np.asarray(rows), [e.label for e in examples],
               sample_weight=[stance.CITATION_WEIGHT if e.source == "citint" else 1.0 for e in examples])
    path = stance.write_model(spec, tmp_path / "model.json")
    model = StanceModel(stance.read_model(path), hashed)
    assert spec["classes"] == ["Neutral", "Refutes", "Supports"]
    assert spec["trained_on"]["examples"] == {"citint": 60, "healthver": 150}
    for example, row in zip(examples[::20], rows[::20]):
        read = model.predict(example.claim, stance.evidence_sentences(example.evidence))
        probabilities = fitted.predict_proba(np.asarray([row]))[0]
        assert read.stance == stance.LABELS[fitted.classes_[int(np.argmax(probabilities))]]
        assert read.probability == pytest.approx(probabilities.max(), abs=2e-3)


def test_the_same_data_builds_the_same_model(examples, spec):
    again = stance.train(examples, stance.example_features(Embeddings(hashed), examples))
    assert json.dumps(again) == json.dumps(spec)
    other = stance.train(examples[:-1], stance.example_features(Embeddings(hashed), examples[:-1]))
    assert other["trained_on"]["sha256"] != spec["trained_on"]["sha256"]


def test_a_claim_without_findings_gets_the_learned_reading_with_its_sentence_and_reason(spec):
    model = CountingModel(spec, hashed)
    example = stance.healthver_examples(BENCHMARKS / "healthver" / "healthver_dev.csv")[200]
    claim = Claim(id="benchmark", statement=example.claim, category="safety", pubmed="-")
    made = suggest(claim, {"title": None, "abstract": example.evidence, "mesh": [], "keywords": []}, "unknown", model)
    assert model.asked == 1
    assert made.method == f"learned model ({model.version})" and model.version.startswith("stance-lr-1:")
    assert made.stance in ("supports", "contradicts", "mentions")
    assert made.sentence.text in stance.evidence_sentences(example.evidence)
    assert example.evidence[made.sentence.start:made.sentence.end] == made.sentence.text
    assert "learned stance model" in made.reason and 0 < made.confidence <= 1


def test_a_finding_of_the_catalog_comes_before_the_model(linked, spec):
    model = CountingModel(spec, hashed)
    paper = {**linked["papers"].get(DILIN), "mesh": [], "keywords": []}  # the DILIN liver-injury series
    made = suggest(CLAIMS["liver-protective"], paper, "case-series", model)
    assert made.stance == "contradicts" and made.method == "catalog findings"
    assert model.asked == 0


def test_a_new_model_recomputes_suggestions_and_never_touches_a_decision(linked, spec, tmp_path):
    """The catalog's claims as if they had no findings (as a claim a person just added has none): the
    learned model reads every relevant pair, and a person's decision is still the stance shown."""
    decisions = list(linked.query("SELECT * FROM curation ORDER BY claim_id, pmid"))
    claims = [replace(CLAIMS[row[0]], findings=[]) for row in
              linked.execute("SELECT DISTINCT claim_id FROM claim_papers") if row[0] in CLAIMS]
    model = StanceModel(spec, hashed)
    first = suggest_for_claims(linked, claims, stance=model)
    assert first.computed == first.pairs > 0  # the model is an input: every suggestion is recomputed
    assert suggest_for_claims(linked, claims, stance=model).computed == 0
    learned = list(linked.query("SELECT * FROM suggestions WHERE method LIKE 'learned model%'"))
    relevant = linked.execute("SELECT count(*) FROM claim_papers WHERE relevant = 1").fetchone()[0]
    assert len(learned) == relevant > 0
    assert all(row["method"] == f"learned model ({model.version})" and row["sentence"] for row in learned)
    assert list(linked.query("SELECT * FROM curation ORDER BY claim_id, pmid")) == decisions
    shown = {(r["claim_id"], r["pmid"]): r for r in linked.query(
        "SELECT claim_id, pmid, stance, suggested_stance FROM claim_evidence WHERE stance IS NOT NULL")}
    decided = [d for d in decisions if (d["claim_id"], d["pmid"]) in shown]
    assert decided and all(shown[(d["claim_id"], d["pmid"])]["stance"] == d["stance"] for d in decided)


def test_a_missing_benchmark_folder_or_a_foreign_model_file_is_a_clear_error(tmp_path):
    from tracker.core.errors import TrackerError

    with pytest.raises(TrackerError, match="benchmarks are not there"):
        stance.training_examples(tmp_path)
    (tmp_path / "model.json").write_text(json.dumps({"version": "stance-lr-0"}))
    with pytest.raises(TrackerError, match="rebuild it with `tracker model build`"):
        stance.read_model(tmp_path / "model.json")
    (tmp_path / "model.json").write_text("{half")
    with pytest.raises(TrackerError, match="not a stance model"):
        stance.read_model(tmp_path / "model.json")


def test_model_build_writes_where_show_says(run, tmp_path, monkeypatch):
    """The command end to end where the semantic extra is installed; without it, a clear error and no file."""
    from tracker.link.semantic import available

    monkeypatch.setenv("TRACKER_MODELS", str(tmp_path / "models"))
    shared = tmp_path / "shared" / "benchmarks"
    (shared / "healthver").mkdir(parents=True)
    (shared / "citint").mkdir()
    with (BENCHMARKS / "healthver" / "healthver_dev.csv").open(encoding="utf-8", newline="") as source, \
            (shared / "healthver" / "healthver_dev.csv").open("w", encoding="utf-8", newline="") as copy:
        reader = csv.DictReader(source)
        writer = csv.DictWriter(copy, reader.fieldnames)
        writer.writeheader()
        writer.writerows(row for _, row in zip(range(40), reader))
    train = (BENCHMARKS / "citint" / "claims_train.jsonl").read_text(encoding="utf-8").splitlines()[:20]
    (shared / "citint" / "claims_train.jsonl").write_text("\n".join(train) + "\n", encoding="utf-8")
    shutil.copy(BENCHMARKS / "citint" / "corpus.jsonl", shared / "citint" / "corpus.jsonl")
    result = run("model", "build", "--shared", shared.parent, "-q")
    path = tmp_path / "models" / f"{stance.VERSION}.json"
    if not available():
        assert result.exit_code != 0 and "pip install -e '.[semantic]'" in result.output
        assert not path.exists()
        return
    assert result.exit_code == 0, result.output
    assert str(path) in result.output and "40 healthver" in result.output
    shown = run("model", "show")
    assert str(path) in shown.output and "stance-lr-1" in shown.output


def test_suggest_without_a_built_model_says_nothing_of_one(linked, run, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_MODELS", str(tmp_path / "none"))
    result = run("suggest", "--no-semantic")
    assert result.exit_code == 0, result.output
    assert "learned stance model" not in result.output
    assert not list(linked.query("SELECT 1 FROM suggestions WHERE method LIKE 'learned%'"))
