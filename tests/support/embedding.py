"""A tiny stand-in for all-MiniLM-L6-v2 (which the semantic extra brings, and CI does not install): unit
vectors of hashed words, so the learned models' code runs on a small model whose output depends only on
the text. It measures nothing; the figures come from the real embedder (`tracker bench evidence`)."""

import hashlib
import re

import numpy as np


def hashed(texts):
    """Unit vectors of hashed words."""
    rows = np.zeros((len(texts), 64))
    for row, text in zip(rows, texts):
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            row[int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1.0
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)
