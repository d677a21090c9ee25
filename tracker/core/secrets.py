"""Keeping the NCBI API key out of everything a person or a file can see.

The key leaves the process only in the POST bodies sent to E-utilities. Whatever comes back
is treated as able to hold it (a server may echo it in an ERROR, a warning or a record), so
the client scrubs responses before anything is parsed, stored or shown, and the places that
record errors (sync_runs, job_runs, the log) redact again.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from urllib.parse import quote, quote_plus

HIDDEN = "[NCBI_API_KEY]"


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` replaced by a mark."""
    if secret and text:
        text = text.replace(secret, HIDDEN)
    return text


def redact_known(text: str | None) -> str | None:
    """`text` without the key of this environment: for what is recorded where people look (runs, status)."""
    return redact(text, os.environ.get("NCBI_API_KEY")) if text else text


def redact_bytes(body: bytes, secret: str | None) -> bytes:
    """A response body with the key, as sent or percent-encoded, replaced by a mark."""
    if not secret or not body:
        return body
    for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
        body = body.replace(form.encode("utf-8"), HIDDEN.encode())
    return body


def scrub(value, secret: str | None):
    """`value` (strings, lists, dicts, dataclasses of them) with the key redacted in every string.

    Returns (scrubbed value, whether the key was found): parsed text can hold the key even when
    the bytes did not, written as character references.
    """
    if not secret:
        return value, False
    if isinstance(value, str):
        return (redact(value, secret), True) if secret in value else (value, False)
    if isinstance(value, list):
        pairs = [scrub(v, secret) for v in value]
        return [v for v, _ in pairs], any(found for _, found in pairs)
    if isinstance(value, dict):
        pairs = {k: scrub(v, secret) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(found for _, found in pairs.values())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes, found_any = {}, False
        for f in dataclasses.fields(value):
            new, found = scrub(getattr(value, f.name), secret)
            if found:
                changes[f.name], found_any = new, True
        return (dataclasses.replace(value, **changes) if found_any else value), found_any
    return value, False


class RedactFilter(logging.Filter):
    """Belt and braces for log handlers: whatever a message holds, the key never reaches the file."""

    def __init__(self, secret: str | None) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secret:
            message = record.getMessage()
            if self.secret in message:
                record.msg, record.args = redact(message, self.secret), None
        return True
