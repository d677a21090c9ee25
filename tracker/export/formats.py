"""Writing rows as CSV, TSV, JSON, JSON Lines or a Markdown table, streamed row by row.

Cells in the text formats: empty for no value, lists joined with "; ", numbers as Python writes
them (so a float reads back equal), flags as 1/0. In CSV and TSV a text cell a spreadsheet would
run as a formula starts with an apostrophe (core/spreadsheet.py). JSON keeps types and values:
lists are arrays, flags are true/false, no value is null.
"""

from __future__ import annotations

import csv
import json
import re
from typing import Iterable, TextIO

from ..core.spreadsheet import neutralise
from .tables import Column

LIST_SEPARATOR = "; "
TABULAR = ("csv", "tsv", "json", "jsonl", "md")


def text_cell(value, column: Column) -> str:
    if value is None:
        return ""
    if column.kind == "list":
        return LIST_SEPARATOR.join(str(item) for item in value)
    if column.kind == "flag":
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def json_value(value, column: Column):
    if value is None:
        return [] if column.kind == "list" else None
    if column.kind == "flag":
        return bool(value)
    return value


def write_delimited(rows: Iterable[dict], columns: tuple[Column, ...], handle: TextIO, delimiter: str) -> int:
    # CRLF line ends and minimal quoting: what Excel and Python's csv module both expect.
    writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    count = 0
    for row in rows:
        writer.writerow([spreadsheet_cell(row.get(c.name), c) for c in columns])
        count += 1
    return count


def spreadsheet_cell(value, column: Column) -> str:
    """A CSV/TSV cell: the text cell, made inert if a spreadsheet would read it as a formula."""
    text = text_cell(value, column)
    return neutralise(text) if isinstance(value, (str, list)) else text


def write_json(rows: Iterable[dict], columns: tuple[Column, ...], handle: TextIO) -> int:
    handle.write("[")
    count = 0
    for row in rows:
        handle.write(",\n" if count else "\n")
        handle.write(json.dumps({c.name: json_value(row.get(c.name), c) for c in columns}, ensure_ascii=False))
        count += 1
    handle.write("\n]\n" if count else "]\n")
    return count


def write_jsonl(rows: Iterable[dict], columns: tuple[Column, ...], handle: TextIO) -> int:
    count = 0
    for row in rows:
        handle.write(json.dumps({c.name: json_value(row.get(c.name), c) for c in columns}, ensure_ascii=False) + "\n")
        count += 1
    return count


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def markdown_text(text: str) -> str:
    """Text that Markdown shows as it is, on one line (fit for a table cell or a heading)."""
    # Backslash-escape what Markdown would read as markup; a line break inside a cell would end the row.
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"\s*\n\s*", "<br>", text.strip())


def markdown_cell(value, column: Column) -> str:
    if value is None:
        return ""
    if column.kind == "url":
        return f"<{value}>"
    return markdown_text(text_cell(value, column))


def write_markdown(rows: Iterable[dict], columns: tuple[Column, ...], handle: TextIO) -> int:
    handle.write("| " + " | ".join(c.name.replace("_", r"\_") for c in columns) + " |\n")
    handle.write("|" + "|".join(" --- " for _ in columns) + "|\n")
    count = 0
    for row in rows:
        handle.write("| " + " | ".join(markdown_cell(row.get(c.name), c) for c in columns) + " |\n")
        count += 1
    return count


def write_rows(rows: Iterable[dict], columns: tuple[Column, ...], fmt: str, handle: TextIO) -> int:
    """Write `rows` in `fmt`; returns how many rows were written."""
    if fmt == "csv":
        return write_delimited(rows, columns, handle, ",")
    if fmt == "tsv":
        return write_delimited(rows, columns, handle, "\t")
    if fmt == "json":
        return write_json(rows, columns, handle)
    if fmt == "jsonl":
        return write_jsonl(rows, columns, handle)
    if fmt == "md":
        return write_markdown(rows, columns, handle)
    raise ValueError(f"not a tabular format: {fmt}")
