"""PubMed ids as they arrive in files and responses: ASCII digits only, and few enough to be a PMID.

str.isdigit() accepts "²" and any number of digits; int() then fails or SQLite overflows.
"""

from __future__ import annotations

import re

_PMID = re.compile(r"[0-9]{1,10}")


def as_pmid(text) -> int | None:
    """The PMID written in `text` (spaces around allowed), or None when it is not one."""
    text = str(text or "").strip()
    if not _PMID.fullmatch(text) or int(text) == 0:
        return None
    return int(text)
