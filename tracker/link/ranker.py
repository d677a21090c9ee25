"""A learned rationale ranker: which sentence of a paper bears on the claim, the one a fact-checker quotes.

Logistic regression over features of each sentence against the claim, scored sentence by sentence and
compared within the paper:
- words shared with the claim: the raw count, weighted by rarity among the paper's sentences and by
  rarity among abstracts (document frequencies learned with the model), a BM25-style score that
  saturates and allows for length, shared word pairs, the share of the claim's words covered and of
  the sentence's words that are the claim's; each also as its distance from the paper's best;
- all-MiniLM-L6-v2 (the semantic extra): the cosine of claim and sentence, against the paper's best
  and as a z-score among its sentences; and a soft overlap, where a claim word counts when a word of
  the sentence is close to it ("hepatic" for "liver");
- words that mark what a sentence does: asks or aims ("whether", "we aimed to"), reports results (p
  values, percentages, "significantly"), concludes ("these findings"), reports others' work;
- its length.

It learns from Citation-Integrity train (../shared/benchmarks): citing sentences, each with the cited
paper's sentences and the ones annotators marked. What that data cannot teach is kept from the rules
(link/rationale.py), added to the learned score: a sentence stating one of the claim's catalog
findings, and the section of a structured abstract (its abstracts have no sections). The claim's text
is its statement and synonyms, as for the rules.

`tracker model build` builds it beside the stance model (about two minutes more on 2 cores) and caches
it outside the repository; without it, or without the semantic extra, the rules pick the sentence.
Measured in `tracker bench evidence` (docs/linking-and-evidence.md, "Evidence quality").
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple
from pathlib import Path

from ..core.errors import InputError, TrackerError
from .rationale import ASKS
from .rationale import SECTION_WEIGHT, PaperSentence, word_pairs, word_rarity, words
from .stance import EMBEDDING, Embeddings, model_path, without_markers

VERSION = "rationale-lr-1"
REGULARISATION = 0.003  # scikit-learn's C, chosen on Citation-Integrity dev among 0.003 to 0.3
SOFT_MATCH = 0.7  # the cosine at which a sentence's word stands in for a claim's word (chosen among 0.6 to 0.8)
MIN_DOCUMENT_FREQUENCY = 2  # words in fewer abstracts are not kept in the model: they count as rare
# The rules' knowledge the benchmark cannot teach, in the learned score's units (log-odds).
FINDING_BONUS = 2.0
SECTION_SCALE = 0.4  # times the rules' section weight: RESULTS and CONCLUSIONS +0.6, BACKGROUND -0.4
# A sentence that asks or states an aim restates the question, however many of the claim's words it shares:
# the benchmark teaches a small negative weight (on dev the penalty moved 0.503 to 0.507); it never counts as
# stating a finding.
ASKING_PENALTY = 1.0

_TOKEN = re.compile(r"[a-z][a-z0-9-]{2,}")
# What a sentence does, matched in its lower-cased text (without re.I: twice as fast, the same matches).
_ASKS = re.compile(ASKS.pattern)
_RESULTS = re.compile(r"(?:\bp\s*[<=>]|\d+(?:\.\d+)?\s*%|\b(?:significant(?:ly)?|increased|decreased|reduced|higher|"
                      r"lower|associated|showed|found|demonstrat\w+|suggest\w*|indicat\w+|revealed|conclude\w*)\b)")
_SETTING = re.compile(r"\b(?:is a|are a|remains?|however|little is known|unknown|unclear)\b")
_CONCLUDES = re.compile(r"\b(?:in conclusion|conclu\w+|these (?:results|findings|data)|our (?:results|findings|data)|"
                        r"taken together|together,|overall,|highlight\w*|implications?)\b")
_WE_SHOW = re.compile(r"\b(?:we (?:show|found|report|demonstrate|observed|identified|describe)|here,? we|"
                      r"this study (?:shows|demonstrates))\b")
_METHODS = re.compile(r"\b(?:were (?:randomi[sz]ed|enrolled|recruited|included|collected|measured|analy[sz]ed)|"
                      r"we (?:performed|conducted|used|analy[sz]ed|collected|enrolled)|using|retrospective|"
                      r"prospective|cohort of)\b")
_OTHERS = re.compile(r"\b(?:previous(?:ly)?|prior|earlier|other (?:studies|groups|authors)|reported (?:by|in)|et al)\b")
FEATURES = ("shared", "shared_rare_here", "shared_pairs", "claim_covered", "sentence_shared", "length",
            "shared_from_best", "rare_here_from_best", "pairs_from_best", "shared_of_best", "rare_here_of_best",
            "asks", "results_cues", "setting", "question_mark", "concludes", "we_show", "methods", "others",
            "shared_rare", "rare_from_best", "bm25", "bm25_from_best",
            "cosine", "cosine_from_best", "cosine_z", "soft", "soft_from_best", "soft_of_best")


def ranker_path() -> Path:
    """Where the built ranker is cached: beside the stance model."""
    return model_path().parent / f"{VERSION}.json"


def _tokens(text: str) -> list[str]:
    from ..claims.match import STOP_WORDS

    return [w for w in dict.fromkeys(_TOKEN.findall(text.lower())) if w not in STOP_WORDS]


class SentenceFacts(NamedTuple):
    """What a sentence is, whatever the claim."""

    words: tuple[str, ...]  # stemmed, as the rules count them
    word_set: frozenset
    pairs: frozenset  # adjacent words
    tokens: tuple[str, ...]  # plain words, for word vectors
    cues: tuple[float, ...]  # what it does: asks, results, setting, question mark, concludes, we show, methods, others
    counts: Counter  # its words counted


@lru_cache(maxsize=50_000)
def _facts(sentence: str) -> SentenceFacts:
    """A sentence's facts. A paper is read once per claim: they are computed once."""
    found = words(sentence)
    lower = sentence.lower()
    cues = (float(bool(_ASKS.search(lower))), len(_RESULTS.findall(lower)), float(bool(_SETTING.search(lower))),
            float("?" in sentence), float(bool(_CONCLUDES.search(lower))), float(bool(_WE_SHOW.search(lower))),
            float(bool(_METHODS.search(lower))), float(bool(_OTHERS.search(lower))))
    return SentenceFacts(tuple(found), frozenset(found), frozenset(word_pairs(sentence)), tuple(_tokens(sentence)),
                         cues, Counter(found))


def sentence_features(claim: str, sentences: list[str], vectors: Embeddings, frequency: dict[str, int],
                      documents: int) -> list[list[float]]:
    """One row of FEATURES per sentence: the sentence against the claim and against the paper's other sentences."""
    import numpy

    claim_facts = _facts(claim)
    claim_words, claim_pairs = claim_facts.word_set, claim_facts.pairs
    facts = [_facts(s) for s in sentences]
    sets = [f.word_set for f in facts]
    rare_here = word_rarity(sets)

    def rare(word: str) -> float:
        return math.log((documents + 1) / (frequency.get(word, 0) + 1)) + 1

    shared_words = [claim_words & s for s in sets]
    shared = [len(found) for found in shared_words]
    weighted_here = [sum(rare_here.get(w, 1.0) for w in found) for found in shared_words]
    weighted = [sum(rare(w) for w in found) for found in shared_words]
    pairs = [len(claim_pairs & f.pairs) for f in facts]
    average = sum(len(f.words) for f in facts) / len(sentences) or 1.0
    bm25 = []
    for fact in facts:
        found, tf = fact.words, fact.counts
        norm = 1.2 * (0.25 + 0.75 * len(found) / average)
        bm25.append(sum(rare(w) * tf[w] * 2.2 / (tf[w] + norm) for w in claim_words if w in tf))

    claim_vector, *sentence_vectors = vectors([claim, *sentences])
    cosine = numpy.asarray(sentence_vectors) @ claim_vector
    soft = _soft_overlap(claim_facts.tokens, [f.tokens for f in facts], vectors)
    best = {name: max(values) for name, values in (("shared", shared), ("here", weighted_here), ("pairs", pairs),
                                                   ("rare", weighted), ("bm25", bm25), ("soft", soft))}
    spread, top, middle = cosine.std() + 1e-6, cosine.max(), cosine.mean()
    rows = []
    for i in range(len(sentences)):
        length = len(sets[i]) or 1
        rows.append([
            shared[i], weighted_here[i], pairs[i], shared[i] / (len(claim_words) or 1), shared[i] / length,
            math.log(1 + length), shared[i] - best["shared"], weighted_here[i] - best["here"],
            pairs[i] - best["pairs"], shared[i] / (best["shared"] or 1), weighted_here[i] / (best["here"] or 1),
            *facts[i].cues, weighted[i], weighted[i] - best["rare"], bm25[i], bm25[i] - best["bm25"],
            cosine[i], cosine[i] - top, (cosine[i] - middle) / spread,
            soft[i], soft[i] - best["soft"], soft[i] / (best["soft"] or 1)])
    return rows


def _soft_overlap(claim_words: tuple[str, ...], sentence_words: list[tuple[str, ...]], vectors: Embeddings) -> list[float]:
    """For each sentence: the sum, over the claim's words, of the closest sentence word's cosine, where it is at
    least SOFT_MATCH (a word of its own counts 1). The paper's words are compared with the claim's at once."""
    import numpy

    if not claim_words:
        return [0.0] * len(sentence_words)
    vocabulary = list(dict.fromkeys(w for found in sentence_words for w in found))
    if not vocabulary:
        return [0.0] * len(sentence_words)
    place = {w: i for i, w in enumerate(vocabulary)}
    close = numpy.asarray(vectors(claim_words)) @ numpy.asarray(vectors(vocabulary)).T
    # each sentence's closest word to each claim word: the maximum over its columns, all sentences at once
    having = [i for i, found in enumerate(sentence_words) if found]
    columns = [place[w] for i in having for w in sentence_words[i]]
    starts = numpy.cumsum([0] + [len(sentence_words[i]) for i in having[:-1]])
    closest = numpy.maximum.reduceat(close[:, columns], starts, axis=1)
    sums = (closest * (closest >= SOFT_MATCH)).sum(axis=0)
    found = [0.0] * len(sentence_words)
    for i, total in zip(having, sums):
        found[i] = float(total)
    return found


class RationaleRanker:
    def __init__(self, spec: dict, embed):
        import numpy

        self.spec = spec
        self.version = f"{spec['version']}:{spec['trained_on']['sha256'][:12]}"
        self.mean = numpy.asarray(spec["mean"], dtype=numpy.float64)
        self.scale = numpy.asarray(spec["scale"], dtype=numpy.float64)
        self.coef = numpy.asarray(spec["coef"], dtype=numpy.float64)
        self.intercept = float(spec["intercept"])
        self.frequency, self.documents = spec["document_frequency"], spec["documents"]
        self.vectors = embed if isinstance(embed, Embeddings) else Embeddings(embed)

    def scores(self, claim: str, sentences: list[str]) -> list[float]:
        """The learned log-odds that each sentence is the one bearing on the claim."""
        import numpy

        if not sentences:
            return []
        rows = numpy.asarray(sentence_features(claim, sentences, self.vectors, self.frequency, self.documents))
        return ((rows - self.mean) / self.scale @ self.coef + self.intercept).tolist()

    def best(self, claim: str, sentences: list[PaperSentence], states_finding=None) -> PaperSentence | None:
        """The sentence that bears most on the claim: the learned score, plus the rules' section weight, less a
        penalty for a sentence that asks, and a bonus where `states_finding(sentence)` says it states one of the
        claim's findings. Ties go to the earlier."""
        if len(sentences) < 2:  # a title alone: nothing to choose, nothing to embed
            return sentences[0] if sentences else None
        learned = self.scores(claim, [s.text for s in sentences])
        total = []
        for score, sentence in zip(learned, sentences):
            score += SECTION_SCALE * SECTION_WEIGHT.get(sentence.section or "", 0.0)
            if _facts(sentence.text).cues[0]:  # it asks (ASKS)
                score -= ASKING_PENALTY
            elif states_finding and states_finding(sentence):
                score += FINDING_BONUS
            total.append(score)
        return sentences[max(range(len(sentences)), key=lambda i: (total[i], -i))]


# ---- building it from Citation-Integrity ----

@dataclass
class RankExample:
    claim: str
    sentences: list[str]
    marked: list[bool]  # the sentences the annotators marked as bearing on the claim
    group: str  # the citing sentence: its papers stay on one side of a split


def citint_rank_examples(folder: Path, split: str) -> list[RankExample]:
    """Each cited paper with annotated sentences, its sentences in a seeded random order: the dataset lists the
    marked ones first, and no feature may learn a place (the benchmark shows them in the same order)."""
    folder = Path(folder)
    if not (folder / f"claims_{split}.jsonl").is_file() or not (folder / "corpus.jsonl").is_file():
        raise InputError(f"{folder}: the Citation-Integrity benchmark ({split}) is not there "
                         "(give --shared, the folder holding benchmarks/)")
    documents = {}
    with (folder / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            document = json.loads(line)
            documents[document["doc_id"]] = document["abstract"]
    found = []
    with (folder / f"claims_{split}.jsonl").open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            claim = json.loads(line)
            for doc_id, marks in claim["evidence"].items():
                abstract = documents.get(int(doc_id))
                if not abstract:
                    continue
                gold = {i for a in marks for i in a["sentences"]}
                order = list(range(len(abstract)))
                random.Random(number).shuffle(order)
                found.append(RankExample(without_markers(claim["claim"]), [abstract[i] for i in order],
                                         [i in gold for i in order], f"citint-{claim['id']}"))
    return found


def document_frequency(folder: Path, split: str = "train") -> tuple[dict[str, int], int]:
    """How many of the split's cited abstracts hold each word (words in fewer than MIN_DOCUMENT_FREQUENCY left
    out), and how many abstracts there are."""
    folder = Path(folder)
    cited = set()
    with (folder / f"claims_{split}.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            cited.update(int(d) for d in json.loads(line)["cited_doc_ids"])
    frequency: Counter = Counter()
    documents = 0
    with (folder / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            document = json.loads(line)
            if document["doc_id"] in cited:
                documents += 1
                frequency.update({w for sentence in document["abstract"] for w in words(sentence)})
    return {w: n for w, n in sorted(frequency.items()) if n >= MIN_DOCUMENT_FREQUENCY}, documents


def example_rows(vectors: Embeddings, examples: list[RankExample], frequency: dict[str, int], documents: int,
                 progress=None) -> list[list[list[float]]]:
    rows = []
    for number, example in enumerate(examples, start=1):
        rows.append(sentence_features(example.claim, example.sentences, vectors, frequency, documents))
        if progress and (number % 100 == 0 or number == len(examples)):
            progress(number, len(examples))
    return rows


def train(examples: list[RankExample], rows: list[list[list[float]]], frequency: dict[str, int], documents: int,
          regularisation: float = REGULARISATION) -> dict:
    """A ranker spec (plain JSON) fitted to these examples' sentences: standardised features, one weight each."""
    import numpy
    from sklearn.linear_model import LogisticRegression

    flat = numpy.asarray([row for paper in rows for row in paper], dtype=numpy.float64)
    marked = [m for example in examples for m in example.marked]
    if len(set(marked)) < 2:
        raise InputError("the training examples need marked and unmarked sentences")
    mean, scale = flat.mean(axis=0), flat.std(axis=0)
    scale[scale == 0] = 1.0
    fitted = LogisticRegression(C=regularisation, max_iter=5000).fit((flat - mean) / scale, marked)
    learned = "\x1e".join(f"{e.claim}\x1f{chr(29).join(e.sentences)}\x1f{e.marked}" for e in examples)
    return {"version": VERSION, "embedding": EMBEDDING, "features": list(FEATURES),
            "mean": numpy.round(mean, 6).tolist(), "scale": numpy.round(scale, 6).tolist(),
            "coef": numpy.round(fitted.coef_[0], 6).tolist(), "intercept": round(float(fitted.intercept_[0]), 6),
            "document_frequency": frequency, "documents": documents,
            "trained_on": {"papers": len(examples), "sentences": len(marked),
                           "sha256": hashlib.sha256(learned.encode()).hexdigest()}}


def hit_rate(examples: list[RankExample], picked: list[int]) -> float:
    """The share of papers whose picked sentence is one the annotators marked."""
    return sum(e.marked[i] for e, i in zip(examples, picked)) / len(examples) if examples else 0.0


def most_shared_words(claim: str, sentences: list[str]) -> int:
    """The plain baseline: the sentence sharing the most words with the claim (the earlier on a tie)."""
    claim_words = set(words(claim))
    shared = [len(claim_words & set(words(s))) for s in sentences]
    return max(range(len(sentences)), key=lambda i: (shared[i], -i))


def read_ranker(path: Path) -> dict:
    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TrackerError(f"{path}: not a rationale ranker ({error}); rebuild it with `tracker model build`") from error
    if spec.get("version") != VERSION or spec.get("features") != list(FEATURES):
        raise TrackerError(f"{path}: a {spec.get('version')} ranker, this tracker reads {VERSION}; "
                           "rebuild it with `tracker model build`")
    return spec


def load_ranker(semantic, embeddings: Embeddings | None = None) -> RationaleRanker | None:
    """The cached ranker, embedding with the semantic index `semantic` (through `embeddings`, such as the stored
    ones of link/semantic.py, shared with the stance model, where given); None without one (the rules pick)."""
    path = ranker_path()
    if semantic is None or not path.is_file():
        return None
    return RationaleRanker(read_ranker(path), embeddings or Embeddings(semantic.embed))
