"""Stacked bar charts as inline SVG, drawn on the server: no script, no library, works offline.

A chart is a list of bars (a label and counts per series); the series carry their own colours
and names, so the same drawing serves "papers by evidence level" and "papers per year".
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Series:
    key: str
    name: str
    colour: str
    pattern: bool = False  # hatched: a suggestion, not a decision


# What a paper says of a claim, as the charts colour it: decisions solid, suggestions hatched.
STANCE_SERIES = (
    Series("supports", "supports (decided)", "#2166ac"),
    Series("contradicts", "contradicts (decided)", "#b2182b"),
    Series("mentions", "mentions (decided)", "#6b6b6b"),
    Series("suggested-supports", "suggested: supports", "#2166ac", pattern=True),
    Series("suggested-contradicts", "suggested: contradicts", "#b2182b", pattern=True),
    Series("undecided", "on topic, undecided", "#c8c8c8"),
)


def stance_category(row: dict) -> str | None:
    """Where a claim-evidence row goes in the charts; None for papers that are not evidence
    (decided unrelated, or candidates off the claim's topic)."""
    stance = row.get("stance")
    if stance:
        return None if stance == "unrelated" else stance
    if row.get("relevant") == 0:
        return None
    if row.get("suggested_stance") in ("supports", "contradicts"):
        return "suggested-" + row["suggested_stance"]
    return "undecided"


def _patterns(series: tuple[Series, ...], chart_id: str) -> str:
    defs = []
    for s in series:
        if s.pattern:
            defs.append(
                f'<pattern id="{chart_id}-{s.key}" width="6" height="6" patternUnits="userSpaceOnUse" '
                f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
                f'<rect width="3" height="6" fill="{s.colour}"/></pattern>')
    return f"<defs>{''.join(defs)}</defs>" if defs else ""


def _fill(s: Series, chart_id: str) -> str:
    return f"url(#{chart_id}-{s.key})" if s.pattern else s.colour


def _legend(series: tuple[Series, ...], used: set[str], chart_id: str, y: int) -> tuple[str, int]:
    parts, x = [], 0
    for s in series:
        if s.key not in used:
            continue
        width = 22 + 7 * len(s.name)
        parts.append(f'<rect x="{x}" y="{y}" width="14" height="14" fill="{_fill(s, chart_id)}" stroke="#444" '
                     f'stroke-width="0.5"/><text x="{x + 19}" y="{y + 12}">{escape(s.name)}</text>')
        x += width
    return "".join(parts), x


def horizontal_bars(bars: list[tuple[str, dict[str, int]]], series: tuple[Series, ...] = STANCE_SERIES,
                    chart_id: str = "levels", title: str = "", unit: str = "paper") -> str:
    """One bar per row (e.g. per evidence level), stacked by series; counts written at the end."""
    if not bars:
        return ""
    label_width, bar_space, row_height = 190, 420, 24
    largest = max(sum(counts.values()) for _, counts in bars) or 1
    used = {key for _, counts in bars for key, n in counts.items() if n}
    legend, legend_width = _legend(series, used, chart_id, 0)
    height = 26 + row_height * len(bars)
    width = max(label_width + bar_space + 60, legend_width)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'font-size="12" font-family="sans-serif" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>", _patterns(series, chart_id), legend]
    for i, (label, counts) in enumerate(bars):
        y = 26 + i * row_height
        parts.append(f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        x = float(label_width)
        for s in series:
            n = counts.get(s.key, 0)
            if not n:
                continue
            w = bar_space * n / largest
            parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_height - 6}" '
                         f'fill="{_fill(s, chart_id)}" stroke="#444" stroke-width="0.5">'
                         f"<title>{escape(label)}: {n} {unit}{'s' if n != 1 else ''} {escape(s.name)}</title></rect>")
            x += w
        total = sum(counts.values())
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}">{total}</text>')
    parts.append("</svg>")
    return "".join(parts)


def vertical_bars(bars: list[tuple[str, dict[str, int]]], series: tuple[Series, ...] = STANCE_SERIES,
                  chart_id: str = "years", title: str = "", unit: str = "paper") -> str:
    """One column per label (e.g. per year), stacked by series; every fifth label written."""
    if not bars:
        return ""
    column, gap, plot_height, left = 18, 4, 140, 30
    largest = max(sum(counts.values()) for _, counts in bars) or 1
    used = {key for _, counts in bars for key, n in counts.items() if n}
    legend, legend_width = _legend(series, used, chart_id, 0)
    width = max(left + len(bars) * (column + gap) + 10, legend_width)
    top = 26
    height = top + plot_height + 22
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'font-size="11" font-family="sans-serif" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>", _patterns(series, chart_id), legend,
             f'<text x="{left - 4}" y="{top + 10}" text-anchor="end">{largest}</text>',
             f'<line x1="{left}" y1="{top + plot_height}" x2="{width}" y2="{top + plot_height}" stroke="#444"/>']
    step = max(1, -(-30 // (column + gap)), -(-len(bars) // 12))  # labels never overlap
    for i, (label, counts) in enumerate(bars):
        x = left + i * (column + gap)
        y = float(top + plot_height)
        for s in series:
            n = counts.get(s.key, 0)
            if not n:
                continue
            h = plot_height * n / largest
            y -= h
            parts.append(f'<rect x="{x}" y="{y:.1f}" width="{column}" height="{h:.1f}" fill="{_fill(s, chart_id)}" '
                         f'stroke="#444" stroke-width="0.5"><title>{escape(label)}: {n} {unit}{"s" if n != 1 else ""} '
                         f"{escape(s.name)}</title></rect>")
        if i % step == 0:
            parts.append(f'<text x="{x + column / 2}" y="{top + plot_height + 15}" text-anchor="middle">'
                         f"{escape(label)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def count_by(rows: list[dict], bar_of, order=None) -> list[tuple[str, dict[str, int]]]:
    """Bars from rows: `bar_of(row)` names the bar; the row's stance category the segment."""
    bars: dict[str, dict[str, int]] = {}
    for row in rows:
        category = stance_category(row)
        bar = bar_of(row)
        if category is None or bar is None:
            continue
        counts = bars.setdefault(bar, {})
        counts[category] = counts.get(category, 0) + 1
    keys = sorted(bars, key=order) if order else sorted(bars)
    return [(key, bars[key]) for key in keys]


def years_filled(bars: list[tuple[str, dict[str, int]]]) -> list[tuple[str, dict[str, int]]]:
    """Year bars with the empty years between the first and last put in, so time reads evenly."""
    years = {int(label): counts for label, counts in bars if str(label).isdigit()}
    if not years:
        return []
    return [(str(year), years.get(year, {})) for year in range(min(years), max(years) + 1)]
