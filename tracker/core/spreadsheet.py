"""Cells a spreadsheet would run as a formula, made inert (OWASP's "CSV injection" advice).

Excel and LibreOffice read a cell that starts with = + - @ TAB or CR as a formula, and a formula
can open links or run commands. In CSV and TSV files the tracker writes, such a text cell gets
one leading apostrophe, which spreadsheets show as text and do not evaluate. Numbers are never
touched (-0.5 stays a number). A text that itself starts with an apostrophe followed by one of
those characters or another apostrophe gets one more, so `restore` gives back exactly what went in:
the curation file reads back to the same notes. JSON and JSON Lines keep the original value.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(text: str) -> str:
    if text.startswith(FORMULA_STARTS) or (text.startswith(QUOTE) and text[1:2] in (*FORMULA_STARTS, QUOTE)):
        return QUOTE + text
    return text


def restore(text: str) -> str:
    """The text `neutralise` was given (a cell as a person typed it is returned unchanged)."""
    if text.startswith(QUOTE) and text[1:2] in (*FORMULA_STARTS, QUOTE):
        return text[1:]
    return text
