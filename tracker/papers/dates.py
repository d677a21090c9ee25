"""PubMed publication dates as sortable partial ISO dates.

PubMed gives a date as Year/Month/Day, as Year and Season, or as free text in
MedlineDate ("1998 Dec-1999 Jan", "2000 Spring"). We keep only the precision the
record has: "2017", "2017-06" or "2017-06-15". Partial ISO strings sort correctly as
text, so `ORDER BY pub_date` works without inventing a day or a month.
"""

from __future__ import annotations

import re

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

# A season stands for the first month of its quarter. The convention is ours (PubMed gives none);
# it keeps "Winter" issues at the start of their year, where most quarterlies put them.
SEASONS = {"winter": 1, "spring": 4, "summer": 7, "fall": 10, "autumn": 10}

_YEAR = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")
_WORD = re.compile(r"[A-Za-z]+")


def month_number(text: str | None) -> int | None:
    """'Jun', 'June', '06', '6' -> 6; a season -> the first month of its quarter."""
    if not text:
        return None
    text = text.strip().lower()
    if text.isdigit():
        number = int(text)
        return number if 1 <= number <= 12 else None
    return MONTHS.get(text) or MONTHS.get(text[:3]) or SEASONS.get(text)


def iso_date(year, month=None, day=None) -> str | None:
    """A partial ISO date from whatever parts are known and valid."""
    try:
        year = int(year)
    except (TypeError, ValueError):
        return None
    month = month_number(str(month)) if month is not None else None
    if month is None:
        return f"{year:04d}"
    try:
        day = int(day) if day is not None else None
    except ValueError:
        day = None
    if day is None or not 1 <= day <= 31:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def from_free_text(text: str | None) -> str | None:
    """The start of a free-text date: '1998 Dec-1999 Jan' -> '1998-12', '2000 Spring' -> '2000-04'."""
    if not text:
        return None
    year_match = _YEAR.search(text)
    if not year_match:
        return None
    rest = text[year_match.end():]
    month = None
    for word in _WORD.findall(rest):
        month = month_number(word)
        if month:
            break
    day = None
    if month:
        day_match = re.match(r"\s*[A-Za-z]+\s+(\d{1,2})\b", rest)
        day = day_match.group(1) if day_match else None
    return iso_date(year_match.group(1), month, day)


def compact_date(text: str | None) -> str | None:
    """MEDLINE's '20060110' or '2006/01/13 09:00' -> '2006-01-10' / '2006-01-13'."""
    if not text:
        return None
    digits = re.sub(r"\D", "", text)[:8]
    if len(digits) == 8:
        return iso_date(digits[:4], digits[4:6], digits[6:8])
    if len(digits) >= 4:
        return iso_date(digits[:4])
    return None
