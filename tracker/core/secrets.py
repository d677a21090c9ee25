"""Keeping the NCBI API key out of everything a person or a file can see."""

from __future__ import annotations

import logging

HIDDEN = "[NCBI_API_KEY]"


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` replaced by a mark."""
    if secret and text:
        text = text.replace(secret, HIDDEN)
    return text


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
