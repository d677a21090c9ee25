"""The optional learned stance model: reads a claim and one sentence, says supports, contradicts or
mentions (neither), with a probability.

It is built by its own command from the shared benchmark data (`tracker model build`), never by the
tests or by `scripts/run`, and cached outside the repository (TRACKER_MODEL_DIR, default
~/.cache/kratom-claims-tracker/stance-model). Without it, suggestions rest on the claim catalog's
findings alone (link/suggest.py), and every suggestion names the method that made it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

LABELS = ("supports", "contradicts", "mentions")


def model_dir() -> Path:
    return Path(os.environ.get("TRACKER_MODEL_DIR") or Path.home() / ".cache" / "kratom-claims-tracker" / "stance-model")


def stance_model_or_none(folder: Path | None = None):
    """The built model, or None when none is built (or its runtime, the semantic extra, is missing)."""
    folder = folder or model_dir()
    meta = folder / "model.json"
    if not meta.exists():
        return None
    try:
        return StanceModel(folder, json.loads(meta.read_text(encoding="utf-8")))
    except ImportError:
        return None


class StanceModel:
    """A MiniLM pair classifier fine-tuned on (claim, sentence) pairs; runs on the CPU."""

    def __init__(self, folder: Path, meta: dict):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.torch = torch
        self.name = meta.get("name", folder.name)
        self.max_length = int(meta.get("max_length", 128))
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModelForSequenceClassification.from_pretrained(folder).eval()

    def predict_many(self, pairs: list[tuple[str, str]], batch: int = 32) -> list[tuple[str, float]]:
        found = []
        with self.torch.no_grad():
            for start in range(0, len(pairs), batch):
                chunk = pairs[start:start + batch]
                encoded = self.tokenizer([c for c, _ in chunk], [s for _, s in chunk], truncation=True,
                                         max_length=self.max_length, padding=True, return_tensors="pt")
                probabilities = self.model(**encoded).logits.softmax(-1)
                for row in probabilities.tolist():
                    best = max(range(len(LABELS)), key=row.__getitem__)
                    found.append((LABELS[best], row[best]))
        return found

    def predict(self, claim: str, sentence: str) -> tuple[str, float]:
        return self.predict_many([(claim, sentence)])[0]
