"""An article's structure: blocks (title, summary, headings, paragraphs, list items) and sentences.

Every piece carries character offsets into the article text such that `text[start:end]` is
exactly that piece, so a claim can always be quoted and highlighted where it stands.

The input is plain text with one block per line (what the five source articles are, and what
`source.py` turns Markdown and HTML into). Block kinds follow db/articles/README.md:
a title line, a lead summary, a teaser in quotes, a list of section headings repeated later as
heading lines, bullet items, paragraphs, a closing paragraph and a disclaimer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from syntok import segmenter

LIST_MARKER = re.compile(r"^[ \t]*(?:[-*+•·▪◦‣–]|\d{1,3}[.)])[ \t]+")
TERMINAL = ".!?;,…"
QUOTES_OPEN = "“\"‘«"
QUOTES_CLOSE = "”\"’»"
# "...problems.3,4,11 (See Why ...?) NIDA is..." - a sentence ending in citation numbers, which
# segmenters read as a decimal and run on into the next sentence.
CITATION_END = re.compile(r"(?<=[a-z)\]])\.\d{1,3}(?:[,–-]\d{1,3})*(?:\s+\([Ss]ee\b[^()]*\))?(?=\s+[A-Z“\"])")


@dataclass
class Block:
    kind: str  # title | summary | teaser | contents_item | heading | paragraph | list_item | closing | disclaimer
    start: int
    end: int
    text: str
    section: int | None = None  # position of the heading this block falls under


@dataclass
class Sentence:
    block: int  # position of its block
    start: int
    end: int
    text: str


@dataclass
class Structure:
    text: str
    blocks: list[Block] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def title(self) -> str | None:
        return next((b.text for b in self.blocks if b.kind == "title"), None)


def _lines(text: str):
    """(start, end) of each non-blank line with surrounding spaces trimmed; and whether a blank line precedes it."""
    position = 0
    blank_before = True
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = position + (len(line) - len(line.lstrip()))
            yield start, start + len(stripped), blank_before
            blank_before = False
        else:
            blank_before = True
        position += len(line) + 1


def _normal(heading: str) -> str:
    return re.sub(r"\s+", " ", heading.replace("’", "'")).strip().casefold()


def _looks_like_heading(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= 14
        and len(text) <= 120
        # "What Is Kratom?" heads a section; "What Is Kratom? Why Is It Addictive?" is two sentences.
        and (text[-1] not in TERMINAL or (text.endswith("?") and not re.search(r"[.!?]\s", text)))
        and text[0] not in QUOTES_OPEN
        and (text[0].isupper() or text[0].isdigit())
    )


def parse_structure(text: str, known_headings: list[str] | None = None) -> Structure:
    """Split `text` into blocks and sentences. `known_headings` are lines the source marked as headings."""
    raw = [(start, end, blank) for start, end, blank in _lines(text)]
    known = {_normal(h) for h in (known_headings or [])}
    # A list of section headings (a table of contents) is recognised by its items recurring later as lines.
    line_texts = [_normal(text[s:e]) for s, e, _ in raw]
    blocks: list[Block] = []
    for index, (start, end, blank_before) in enumerate(raw):
        line = text[start:end]
        marker = LIST_MARKER.match(line)
        if marker:
            content_start = start + marker.end()
            content = text[content_start:end]
            later = line_texts[index + 1:]
            kind = "contents_item" if _normal(content) in later else "list_item"
            blocks.append(Block(kind, content_start, end, content))
            continue
        following = raw[index + 1] if index + 1 < len(raw) else None
        contents = {_normal(b.text) for b in blocks if b.kind == "contents_item"}
        normal = line_texts[index]
        if normal in known or normal in contents:
            kind = "title" if index == 0 and normal not in contents and not blocks else "heading"
        elif following and _looks_like_heading(line):
            # A short unpunctuated line followed by more text: a title if it opens the file, else a heading.
            kind = "title" if index == 0 else "heading"
        elif line[0] in QUOTES_OPEN and line[-1] in QUOTES_CLOSE:
            kind = "teaser"
        elif re.match(r"(?i)disclaimer\b", line):
            kind = "disclaimer"
        else:
            kind = "paragraph"
        blocks.append(Block(kind, start, end, line))

    _mark_summary_and_closing(blocks)
    section = None
    for position, block in enumerate(blocks):
        if block.kind == "heading":
            section = position
        block.section = section if block.kind != "heading" else position

    structure = Structure(text=text, blocks=blocks)
    for position, block in enumerate(blocks):
        if block.kind in ("title", "heading", "contents_item"):
            structure.sentences.append(Sentence(position, block.start, block.end, block.text))
            continue
        for start, end in split_sentences(text, block.start, block.end):
            structure.sentences.append(Sentence(position, start, end, text[start:end]))
    return structure


def _mark_summary_and_closing(blocks: list[Block]) -> None:
    # The lead paragraph before any heading or contents list is the article's summary.
    for block in blocks:
        if block.kind in ("heading", "contents_item", "list_item"):
            break
        if block.kind == "paragraph":
            block.kind = "summary"
            break
    # Articles with a contents list end with a closing paragraph that has no heading of its own.
    if any(b.kind == "contents_item" for b in blocks) and blocks and blocks[-1].kind == "paragraph":
        headings = [i for i, b in enumerate(blocks) if b.kind == "heading"]
        if headings and len(blocks) - 1 - headings[-1] > 1:
            blocks[-1].kind = "closing"


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans within text[start:end], from syntok (rule-based, offline), as absolute offsets."""
    chunk = text[start:end]
    spans = []
    for paragraph in segmenter.analyze(chunk):
        for sentence in paragraph:
            tokens = list(sentence)
            if not tokens:
                continue
            first, last = tokens[0], tokens[-1]
            spans.append([first.offset, last.offset + len(last.value)])
    # Keep a closing quote or bracket that the segmenter left to the next sentence with its own sentence.
    for i, (s, e) in enumerate(spans):
        while e < len(chunk) and chunk[e] in QUOTES_CLOSE + ")]" and (i + 1 == len(spans) or spans[i + 1][0] > e):
            e += 1
        spans[i][1] = e
    split = []
    for s, e in spans:
        for match in CITATION_END.finditer(chunk, s, e):
            split.append((s, match.end()))
            s = match.end() + (len(chunk[match.end():e]) - len(chunk[match.end():e].lstrip()))
        split.append((s, e))
    return [(start + s, start + e) for s, e in split if chunk[s:e].strip()]
