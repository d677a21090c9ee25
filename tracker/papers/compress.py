"""How `raw_records` keeps each record's bytes: compressed with zstd, each record on its own, with a
dictionary trained on PubMed XML.

A record is compressed alone so that one can be read or replaced without its neighbours; alone, a
record repeats the element names every other record has. The dictionary (pubmed.zdict, built by
`python -m tracker.papers.dictionary` from real records in ../shared/fixtures/pubmed) holds what records have in
common, so each frame keeps only what is its own: on the benchmark's records, which it was not trained
on, about 7% smaller than without it (`tracker bench size`). Every frame names its
dictionary's ID, and each database keeps a copy of the dictionary in `raw_dictionaries`, so records
stay readable by any zstd (`zstd -D`) even if a later version ships another.

Codecs: `zstd-dict` (this version), `zstd` (plain zstd, earlier versions), NULL (zlib, the earliest).
All are read; `tracker reparse` rewrites the older ones as `zstd-dict`.
"""

from __future__ import annotations

import os
import zlib
from functools import lru_cache
from pathlib import Path

import sqlite_utils
import zstandard

CODEC = "zstd-dict"
# Level 3 would make records 5% smaller again, but it took 155 us a record against 71 and slowed
# a 2-core load by about 8% (`tracker bench load`); level 1 with the dictionary costs ~20 us more.
LEVEL = 1
DICTIONARY_PATH = Path(__file__).with_name("pubmed.zdict")
DICTIONARY_SIZE = 32 * 1024  # larger ones did no better on records they were not trained on

_compressors: dict = {}


@lru_cache(maxsize=1)
def shipped_dictionary() -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(DICTIONARY_PATH.read_bytes())


def _compressor() -> zstandard.ZstdCompressor:
    # One per process: a loader's workers are forked, and a compressor is not to be shared across a fork.
    pid = os.getpid()
    if pid not in _compressors:
        _compressors.clear()
        _compressors[pid] = zstandard.ZstdCompressor(level=LEVEL, dict_data=shipped_dictionary())
    return _compressors[pid]


def compress_raw(raw: bytes) -> bytes:
    return _compressor().compress(raw)


def decompress_raw(codec: str | None, blob: bytes) -> bytes:
    """A stored record's bytes; ValueError for a codec or dictionary this version does not know."""
    if codec is None or codec == "zlib":
        return zlib.decompress(blob)
    if codec == "zstd":
        return zstandard.ZstdDecompressor().decompress(blob)
    if codec == CODEC:
        dict_id = zstandard.get_frame_parameters(blob).dict_id
        if dict_id != shipped_dictionary().dict_id():
            raise ValueError(f"raw record compressed with zstd dictionary {dict_id}, which this version of the "
                             f"tracker does not ship (the database's copy is in raw_dictionaries)")
        return zstandard.ZstdDecompressor(dict_data=shipped_dictionary()).decompress(blob)
    raise ValueError(f"raw record stored with codec {codec!r}, which this version of the tracker cannot read")


def keep_dictionary(db: sqlite_utils.Database) -> None:
    """Put a copy of the dictionary the records are compressed with into the database, once."""
    dictionary = shipped_dictionary()
    db.execute("INSERT OR IGNORE INTO raw_dictionaries (dict_id, dictionary, file) VALUES (?, ?, ?)",
               [dictionary.dict_id(), dictionary.as_bytes(), DICTIONARY_PATH.name])


def train_dictionary(records: list[bytes]) -> bytes:
    """A dictionary trained on whole PubMed records (deterministic: the same records give the same bytes)."""
    return zstandard.train_dictionary(DICTIONARY_SIZE, sorted(records)).as_bytes()
