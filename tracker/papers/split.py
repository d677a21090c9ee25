"""PubMed XML cut into runs of whole records, each record kept as the exact bytes of the file.

The fast path of `tracker load`: runs of records can be parsed in other processes while the
main one writes, and a record's raw bytes need no re-serialising. The cutting is deliberately
narrow: anything it is not sure of (text or a comment between records, an internal DTD subset,
an encoding other than UTF-8, a record over the size limit, a file that does not end with the
root's end tag, a record libxml2 refuses) raises NotSplittable, and the loader reads the file with
the streaming parser instead (parse.iter_xml_records), which also names the file and line of
any error. So both paths accept exactly the same files.
"""

from __future__ import annotations

import mmap
import os
import pickle
import re
from dataclasses import dataclass
from typing import IO, Iterator

from lxml import etree

from ..core.errors import InputError
from .evidence import evidence_level
from .parse import parse_element
from .records import MAX_RECORD_BYTES
from .store import StorableRecord, storable

BLOCK = 1 << 20
RUN_BYTES = 2 << 20  # about 70 records of the average size: enough work to be worth sending to a worker
_RECORD_START = re.compile(rb"<(PubmedArticle|PubmedBookArticle|DeleteCitation)>")
_RECORD_END = {b"PubmedArticle": b"</PubmedArticle>", b"PubmedBookArticle": b"</PubmedBookArticle>",
               b"DeleteCitation": b"</DeleteCitation>"}
_PREAMBLE = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml(?P<decl>[^>]*)\?>\s*)?(?:<!DOCTYPE[^>\[]*>\s*)?"
    rb"<(?P<root>PubmedArticleSet|PubmedBookArticleSet)>\s*\Z")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_comments=True, remove_pis=True, collect_ids=False)


class NotSplittable(Exception):
    """The file is not one the fast path is sure of; read it with the streaming parser."""


def record_runs(stream: IO[bytes], run_bytes: int | None = None) -> Iterator[bytes]:
    """Runs of whole records (with the whitespace between them), in file order, of about
    `run_bytes` (RUN_BYTES, read when called) each.

    Checks what lies around the records: the root element before the first, and only the root's
    end tag after the last.
    """
    wanted = run_bytes or RUN_BYTES
    run_bytes = wanted
    buffer, at_end = b"", False

    def fill() -> None:
        nonlocal buffer, at_end
        block = stream.read(BLOCK)
        if block:
            buffer += block
        else:
            at_end = True

    first = None
    while first is None:
        first = _RECORD_START.search(buffer)
        if first is None:
            if at_end or len(buffer) > BLOCK:
                raise NotSplittable("no record near the start of the file")
            fill()
    root_end = _root_end(buffer[:first.start()])
    buffer = buffer[first.start():]
    while True:
        while not at_end and len(buffer) < run_bytes:
            fill()
        cut = _record_end_before(buffer, 0, len(buffer))
        if at_end:
            if buffer[cut:].strip() != root_end:
                raise NotSplittable("the file does not end with the root's end tag")
            if cut:
                yield buffer[:cut]
            return
        if cut == 0:
            if len(buffer) > MAX_RECORD_BYTES:
                raise NotSplittable("a record over the size limit")
            run_bytes = len(buffer) + BLOCK  # a large record: read on until it ends
            continue
        yield buffer[:cut]
        buffer = buffer[cut:]
        run_bytes = wanted


def _root_end(preamble_bytes: bytes) -> bytes:
    """The root's end tag, once what precedes the first record is checked: only the XML declaration
    (UTF-8), a DOCTYPE without an internal subset, and the root's start tag."""
    preamble = _PREAMBLE.match(preamble_bytes)
    if preamble is None:
        raise NotSplittable("something other than the root element before the first record")
    encoding = _ENCODING.search(preamble.group("decl") or b"")
    if encoding and encoding.group(1).lower().replace(b"-", b"") != b"utf8":
        raise NotSplittable("not UTF-8")
    return b"</" + preamble.group("root") + b">"


def record_ranges(path: str, run_bytes: int | None = None) -> Iterator[tuple[int, int]]:
    """For an uncompressed file: (start, end) byte ranges of runs of whole records, in file order,
    with the checks record_runs makes. Only the bytes around each cut are read here (the file is
    mapped), so the workers read their runs themselves and no run passes through this process."""
    wanted = run_bytes or RUN_BYTES
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            raise NotSplittable("an empty file")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            first = _RECORD_START.search(data, 0, min(size, 2 * BLOCK))
            if first is None:
                raise NotSplittable("no record near the start of the file")
            root_end = _root_end(data[:first.start()])
            last = _record_end_before(data, first.start(), size)
            if last == 0 or data[last:].strip() != root_end:
                raise NotSplittable("the file does not end with the root's end tag")
            position = first.start()
            while position < last:
                if position + wanted >= last:
                    yield position, last
                    return
                cut = _record_end_before(data, position, position + wanted)
                if cut == 0:  # a large record: the run ends where it does
                    ends = [at + len(end) for end in _RECORD_END.values() if (at := data.find(end, position)) >= 0]
                    cut = min(ends, default=last)
                    if cut - position > MAX_RECORD_BYTES:
                        raise NotSplittable("a record over the size limit")
                yield position, cut
                position = cut


def _record_end_before(data, start: int, end: int) -> int:
    """Where the last record end tag within data[start:end] ends (0: none). Searched backwards in
    widening windows: a tag the file lacks would otherwise be sought through every byte, and every
    mapped page read counts in this process's memory."""
    window = 64 * 1024
    while True:
        low = max(start, end - window)
        found = max((at + len(tag) for tag in _RECORD_END.values() if (at := data.rfind(tag, low, end)) >= 0),
                    default=0)
        if found or low == start:
            return found
        window *= 4


def parse_range(path: str, start: int, end: int, pickled: bool = False):
    """parse_run (or parse_run_pickled) of the run at path[start:end], read here, in the worker."""
    with open(path, "rb") as handle:
        run = os.pread(handle.fileno(), end - start, start)
    return parse_run_pickled(run) if pickled else parse_run(run)


def record_spans(run: bytes) -> list[tuple[int, int]]:
    """Where each record of a run starts and ends; only whitespace may lie between them."""
    spans, position = [], 0
    while (start := _RECORD_START.search(run, position)) is not None:
        if run[position:start.start()].strip():
            raise NotSplittable("text between records")
        end = run.find(_RECORD_END[start.group(1)], start.end())
        if end < 0:
            raise NotSplittable("a record without its end tag")
        position = end + len(_RECORD_END[start.group(1)])
        spans.append((start.start(), position))
    if run[position:].strip():
        raise NotSplittable("text after the last record of a run")
    return spans


def parse_run(run: bytes) -> list[StorableRecord]:
    """Every record of a run, with its exact bytes as its raw record, ready to store.

    The run is parsed as one document; each record's bytes are where record_spans finds them.
    """
    spans = record_spans(run)
    try:
        elements = list(etree.fromstring(b"<PubmedArticleSet>" + run + b"</PubmedArticleSet>", _PARSER))
    except etree.XMLSyntaxError as error:
        raise NotSplittable(str(error)) from None
    if len(elements) != len(spans):
        raise NotSplittable("records inside records")
    records: list[StorableRecord] = []
    for element, (start, end) in zip(elements, spans):
        try:
            parsed = parse_element(element, run[start:end])
        except InputError as error:
            raise NotSplittable(str(error)) from None
        records.extend(storable_with_level(record) for record in parsed)
    return records


@dataclass
class PickledRun:
    """A parsed run as the staging file keeps it: pickled where it was parsed, so the one writer
    neither unpickles nor pickles it again (it is unpickled only when published)."""

    records: int
    payload: bytes


def parse_run_pickled(run: bytes) -> PickledRun:
    records = parse_run(run)
    return PickledRun(len(records), pickle.dumps(records, pickle.HIGHEST_PROTOCOL))


def storable_with_level(record) -> StorableRecord:
    """store.storable, with the paper's evidence level decided here: in a worker, not by the one writer."""
    stored = storable(record)
    if not record.deleted:
        level = evidence_level(record.paper.get("publication_types") or [], [m["descriptor"] for m in record.mesh],
                               record.paper.get("title"), record.paper.get("abstract"))
        stored.evidence = (level.level, level.basis)
    return stored
