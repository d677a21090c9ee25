"""Telling an HTML page from the XML or text that was expected (error pages arrive with status 200)."""

from __future__ import annotations

_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"


def looks_like_html(head: bytes | str) -> bool:
    """True when the first bytes of a body or file are an HTML page rather than XML or plain text."""
    if isinstance(head, str):
        head = head[:2048].encode("utf-8", "replace")
    text = head[:2048].lstrip(_BOM_AND_SPACE).lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return True
    # Some pages open with a comment or a <head>-less preamble; an XML declaration means XML.
    return b"<html" in text[:512] and not text.startswith(b"<?xml")
