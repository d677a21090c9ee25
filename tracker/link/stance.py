"""A learned stance model: does a paper's text support the claim, contradict it, or neither?

Logistic regression over all-MiniLM-L6-v2 embeddings (the semantic extra) and a few word cues.
For a claim and a paper it reads the claim's embedding against the whole abstract and against the
abstract sentence closest to the claim (products and differences of the vectors, their cosines),
plus word overlap, negations ("no significant", "did not"), words of direction (increase, reduce)
and hedges, in the abstract and in that sentence.

It is trained on real claims no one here wrote (../shared/benchmarks): HealthVer dev (health claims
against abstract passages) and Citation-Integrity train (citing sentences against the cited
abstract), the latter at half weight. `tracker model build` builds it in about four minutes on
2 cores and caches it outside the repository (`model_path()`); nothing is committed but this code.
Measured in `tracker bench evidence` (docs/linking-and-evidence.md, "Evidence quality"): it is far from a trained NLI
model, and the tracker uses it only where a claim's catalog findings say nothing (link/suggest.py).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import InputError, TrackerError

VERSION = "stance-lr-1"
EMBEDDING = "all-MiniLM-L6-v2"
LABELS = {"Supports": "supports", "Refutes": "contradicts", "Neutral": "mentions"}
CITATION_WEIGHT = 0.5  # Citation-Integrity's citing sentences are further from web claims than HealthVer's
REGULARISATION = 0.2  # scikit-learn's C, chosen on HealthVer dev folds held out by topic
_MARKER = re.compile(r"\[?<\|[^|]*\|>\]?")  # Citation-Integrity's citation markers, such as [<|cit|>]
_WORD = re.compile(r"[a-z][a-z0-9-]{2,}")
_NEGATION = re.compile(r"\b(?:no|not|none|without|lack\w*|fail\w*|neither|nor|never|cannot|unlikely|insufficient)\b"
                       r"|n't\b", re.IGNORECASE)
_NO_EFFECT = re.compile(r"\b(?:no|not) (?:significant|statistically|associated|effect|difference|evidence)|did not|"
                        r"does not|was not|were not|no association|not associated", re.IGNORECASE)
_UP = re.compile(r"\b(?:increas\w*|higher|more|elevat\w*|improv\w*|enhanc\w*|benefi\w*|protect\w*|effective)\b",
                 re.IGNORECASE)
_DOWN = re.compile(r"\b(?:decreas\w*|lower|less|reduc\w*|worse\w*|harm\w*|ineffective|risk)\b", re.IGNORECASE)
_HEDGE = re.compile(r"\b(?:may|might|could|possibl\w*|potential\w*|suggest\w*)\b", re.IGNORECASE)

Embed = Callable[[list[str]], "object"]  # texts -> an array of unit vectors, one row per text


def model_path() -> Path:
    """Where the built model is cached: TRACKER_MODELS, else $XDG_CACHE_HOME (~/.cache)/kratom-tracker."""
    folder = os.environ.get("TRACKER_MODELS") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / \
        "kratom-tracker"
    return Path(folder) / f"{VERSION}.json"


def _cues(claim: str, text: str) -> list[float]:
    claim_words, text_words = set(_WORD.findall(claim.lower())), set(_WORD.findall(text.lower()))
    return [len(claim_words & text_words) / max(1, len(claim_words)), len(_NEGATION.findall(text)) / 5,
            len(_NEGATION.findall(claim)), float(bool(_NEGATION.search(text)) != bool(_NEGATION.search(claim))),
            len(_NO_EFFECT.findall(text)) / 3, len(_UP.findall(text)) / 5, len(_DOWN.findall(text)) / 5,
            len(_UP.findall(claim)), len(_DOWN.findall(claim)), len(_HEDGE.findall(claim)),
            len(_HEDGE.findall(text)) / 5, float("?" in claim)]


class Embeddings:
    """Unit vectors of texts, each computed once (a paper's sentences recur across claims). With a `store`
    (link/semantic.py's VectorStore), once for good: what is not in memory is looked up there first, and what
    is embedded is kept there; memory then holds at most KEPT vectors."""

    KEPT = 100_000  # about 150 MB of all-MiniLM-L6-v2 vectors

    def __init__(self, embed: Embed, store=None):
        self.embed = embed
        self.store = store
        self.cache: dict[str, object] = {}

    def __call__(self, texts: Iterable[str]) -> list:
        texts = list(texts)
        found = {t: self.cache[t] for t in texts if t in self.cache}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing and self.store is not None:
            found.update(self.store.get(missing))
            missing = [t for t in missing if t not in found]
        if missing:
            embedded = dict(zip(missing, self.embed(missing)))
            if self.store is not None:
                self.store.put(embedded)
            found.update(embedded)
        if self.store is not None and len(self.cache) > self.KEPT:
            self.cache.clear()
        self.cache.update(found)
        return [found[t] for t in texts]


def evidence_sentences(text: str) -> list[str]:
    """The sentences of an evidence text, split as the tracker splits an abstract."""
    from .rationale import paper_sentences

    return [s.text for s in paper_sentences(None, text)] or [text]


def features(embeddings: Embeddings, claim: str, evidence: str, sentences: list[str]) -> tuple[list[float], int]:
    """The feature vector of a claim against an evidence text, and the index of the sentence closest to the claim."""
    import numpy

    claim_vector, evidence_vector, *sentence_vectors = embeddings([claim, evidence, *sentences])
    similarities = numpy.array([float(claim_vector @ s) for s in sentence_vectors])
    closest = int(numpy.argmax(similarities))
    sentence_vector = sentence_vectors[closest]
    parts = [claim_vector * evidence_vector, numpy.abs(claim_vector - evidence_vector),
             claim_vector * sentence_vector, numpy.abs(claim_vector - sentence_vector),
             [float(claim_vector @ evidence_vector), similarities.max(), similarities.mean()],
             _cues(claim, evidence), _cues(claim, sentences[closest])]
    return numpy.concatenate([numpy.asarray(p, dtype=numpy.float32).ravel() for p in parts]).tolist(), closest


@dataclass
class StancePrediction:
    stance: str  # supports | contradicts | mentions
    probability: float
    sentence: int  # index into the sentences given: the one closest to the claim


class StanceModel:
    def __init__(self, spec: dict, embed: Embed | Embeddings):
        import numpy

        self.spec = spec
        # The version names the method, the digest what it learned from: either changing recomputes suggestions.
        self.version = f"{spec['version']}:{spec['trained_on']['sha256'][:12]}"
        self.classes = spec["classes"]
        self.coef = numpy.asarray(spec["coef"], dtype=numpy.float64)
        self.intercept = numpy.asarray(spec["intercept"], dtype=numpy.float64)
        self.embeddings = embed if isinstance(embed, Embeddings) else Embeddings(embed)

    def predict(self, claim: str, sentences: list[str]) -> StancePrediction:
        """What the text made of `sentences` says of the claim."""
        import numpy

        vector, closest = features(self.embeddings, claim, " ".join(sentences), sentences)
        logits = self.coef @ numpy.asarray(vector) + self.intercept
        probabilities = numpy.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        best = int(numpy.argmax(probabilities))
        return StancePrediction(LABELS[self.classes[best]], round(float(probabilities[best]), 3), closest)


# ---- building it from the shared benchmarks ----

@dataclass
class Example:
    claim: str
    evidence: str
    label: str  # Supports | Refutes | Neutral
    group: str  # what must stay on one side of a split: HealthVer's topic, Citation-Integrity's claim
    source: str  # healthver | citint


def without_markers(text: str) -> str:
    """A Citation-Integrity citing sentence without its citation markers, spaces made single."""
    return " ".join(_MARKER.sub(" ", text).split())


def healthver_examples(path: Path) -> list[Example]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [Example(" ".join(r["claim"].split()), " ".join(r["evidence"].split()), r["label"],
                        f"healthver-{r['topic_ip']}", "healthver") for r in csv.DictReader(handle)]


def citint_examples(folder: Path, split: str) -> list[Example]:
    documents = {}
    with (folder / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            document = json.loads(line)
            documents[document["doc_id"]] = " ".join(document["abstract"])
    found = []
    with (folder / f"claims_{split}.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            claim = json.loads(line)
            text = without_markers(claim["claim"])
            for doc_id in claim["cited_doc_ids"]:
                if doc_id in documents:
                    labels = [a["label"] for a in claim["evidence"].get(str(doc_id), [])]
                    label = {"SUPPORT": "Supports", "REFUTE": "Refutes"}.get(labels[0] if labels else "", "Neutral")
                    found.append(Example(text, documents[doc_id], label, f"citint-{claim['id']}", "citint"))
    return found


def training_examples(shared: Path) -> list[Example]:
    """HealthVer dev and Citation-Integrity train: the data the shipped model learns from."""
    benchmarks = Path(shared) / "benchmarks"
    healthver, citint = benchmarks / "healthver" / "healthver_dev.csv", benchmarks / "citint"
    if not healthver.is_file() or not (citint / "claims_train.jsonl").is_file():
        raise InputError(f"{benchmarks}: the HealthVer and Citation-Integrity benchmarks are not there "
                         "(give --shared, the folder holding benchmarks/)")
    return healthver_examples(healthver) + citint_examples(citint, "train")


def example_features(embeddings: Embeddings, examples: list[Example], progress=None) -> list[list[float]]:
    rows = []
    for number, example in enumerate(examples, start=1):
        rows.append(features(embeddings, example.claim, example.evidence, evidence_sentences(example.evidence))[0])
        if progress and (number % 100 == 0 or number == len(examples)):
            progress(number, len(examples))
    return rows


def train(examples: list[Example], rows: list[list[float]]) -> dict:
    """A model spec (plain JSON) fitted to these examples and their feature rows."""
    import numpy
    from sklearn.linear_model import LogisticRegression

    if len({e.label for e in examples}) < 2:
        raise InputError("the training examples need at least two stances")
    weights = [CITATION_WEIGHT if e.source == "citint" else 1.0 for e in examples]
    fitted = LogisticRegression(C=REGULARISATION, max_iter=3000, class_weight="balanced")
    fitted.fit(numpy.asarray(rows), [e.label for e in examples], sample_weight=weights)
    learned = "\x1e".join(f"{e.claim}\x1f{e.evidence}\x1f{e.label}" for e in examples)
    digest = hashlib.sha256(learned.encode()).hexdigest()
    counts = {source: sum(e.source == source for e in examples) for source in sorted({e.source for e in examples})}
    return {"version": VERSION, "embedding": EMBEDDING, "classes": [str(c) for c in fitted.classes_],
            "coef": numpy.round(fitted.coef_, 6).tolist(), "intercept": numpy.round(fitted.intercept_, 6).tolist(),
            "trained_on": {"examples": counts, "sha256": digest}}


def trained_on(spec: dict) -> str:
    """What a model learned from, in words: "1917 healthver, 2138 citint"."""
    return ", ".join(f"{n} {source}" for source, n in spec["trained_on"]["examples"].items())


def write_model(spec: dict, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(spec), encoding="utf-8")
    partial.replace(path)  # a reader never sees half a model
    return path


def read_model(path: Path) -> dict:
    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TrackerError(f"{path}: not a stance model ({error}); rebuild it with `tracker model build`") from error
    if spec.get("version") != VERSION:
        raise TrackerError(f"{path}: a {spec.get('version')} model, this tracker reads {VERSION}; "
                           "rebuild it with `tracker model build`")
    return spec


def load_stance_model(semantic, embeddings: Embeddings | None = None) -> StanceModel | None:
    """The cached model, embedding with the semantic index `semantic` (through `embeddings`, such as the stored
    ones of link/semantic.py, where given); None without one (the extra is missing or was turned off) or before
    the model is built."""
    path = model_path()
    if semantic is None or not path.is_file():
        return None
    return StanceModel(read_model(path), embeddings or semantic.embed)
