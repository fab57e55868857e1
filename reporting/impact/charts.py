"""Charts drawn on the server as inline SVG (no JavaScript, nothing from a CDN).

Every chart is drawn from a ChartTable, the same table its CSV download serves, so the
numbers behind a chart are always exactly what it shows. Text is escaped by format_html.
The table is also each chart's text alternative: a one-sentence description and the
numbers as an HTML table go under the chart (impact/_chart.html), and series are told apart
by pattern (solid, hatched, dotted, …) as well as colour.
"""

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from curriculum.csv_export import csv_lines

PALETTE = ("#9aa5b1", "#1f5f8b", "#5fa8d3", "#c9a227", "#1d7a45", "#b42318")
# Fills light enough that text on them is dark (the white labels on these were 2.4-2.6:1).
LIGHT_FILLS = frozenset({"#9aa5b1", "#5fa8d3", "#c9a227"})
# Series k (k > 0) gets PATTERNS[k - 1] drawn over its colour; series 0 stays solid.
PATTERNS = (
    # diagonal hatch
    '<pattern id="{uid}-p1" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="2" height="6" fill="#fff" fill-opacity=".6"/>'
    "</pattern>",
    # dots
    '<pattern id="{uid}-p2" width="5" height="5" patternUnits="userSpaceOnUse">'
    '<circle cx="2.5" cy="2.5" r="1.2" fill="#000" fill-opacity=".45"/></pattern>',
    # horizontal lines
    '<pattern id="{uid}-p3" width="4" height="4" patternUnits="userSpaceOnUse">'
    '<rect width="4" height="1.5" fill="#fff" fill-opacity=".6"/></pattern>',
    # cross-hatch
    '<pattern id="{uid}-p4" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="1.5" height="6" fill="#000" fill-opacity=".4"/>'
    '<rect width="6" height="1.5" fill="#000" fill-opacity=".4"/></pattern>',
)
LABEL_W, PLOT_W, RIGHT_W = 150, 380, 70
BAR_H, GAP = 13, 10


@dataclass
class ChartTable:
    """The numbers behind one chart: a title, column names and rows."""

    name: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)

    def csv_lines(self) -> Iterator[str]:
        """The table as CSV lines, through the one CSV writer (formula cells escaped)."""
        return csv_lines(self.columns, ([_csv_value(value) for value in row] for row in self.rows))

    def to_csv(self) -> str:
        return "".join(self.csv_lines())

    @property
    def headers(self) -> list[str]:
        """The column names for people: `after_min` reads "After (min)"."""
        return [_header(column) for column in self.columns]

    @property
    def display_rows(self) -> list[list[str]]:
        """The rows as text: shares as percentages, changes signed, no data as a dash."""
        return [
            [_display(column, value) for column, value in zip(self.columns, row, strict=False)]
            for row in self.rows
        ]

    @property
    def description(self) -> str:
        """One sentence about the chart for those who cannot see it: how many rows, and the
        highest and lowest value of the first numeric column."""
        if not self.rows:
            return f"{self.title}: no data."
        sentence = f"{self.title}: {len(self.rows)} row{'' if len(self.rows) == 1 else 's'}"
        for index, column in enumerate(self.columns[1:], start=1):
            present = [
                row
                for row in self.rows
                if isinstance(row[index], int | float) and not isinstance(row[index], bool)
            ]
            if not present or column in ("tickets", "unit"):
                continue
            high = max(present, key=lambda row: row[index])
            low = min(present, key=lambda row: row[index])
            name = _header(column).lower()
            sentence += f"; highest {name}: {high[0]} ({_display(column, high[index])})"
            if len(present) > 1:
                sentence += f", lowest: {low[0]} ({_display(column, low[index])})"
            break
        return sentence + ". The table of numbers below lists every value."


UNIT_SUFFIXES = (("_pct", " (%)"), ("_min", " (min)"))


def _header(column: str) -> str:
    for suffix, shown in UNIT_SUFFIXES:
        if column.endswith(suffix):
            return column.removesuffix(suffix).replace("_", " ").capitalize() + shown
    return column.replace("_", " ").capitalize().replace("Csat", "CSAT").replace("Aht", "AHT")


def _display(column: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if column.endswith("_pct"):
        return f"{value:+.1f}%"
    if column.endswith("share") or column in ("score", "team_score"):
        return f"{value:.0%}"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _csv_value(value):
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"
    return value


def _n(value: float) -> str:
    return f"{value:.1f}"


def _join(parts: Sequence[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _uid(title: str) -> str:
    """An id prefix for the chart's patterns (unique per chart title on a page)."""
    return "chart-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _svg(width: int, height: int, title: str, body: Sequence[SafeString]) -> SafeString:
    uid = _uid(title)
    defs = format_html_join("", "{}", ((SafeString(p.format(uid=uid)),) for p in PATTERNS))
    return format_html(
        '<svg class="impact-chart" role="img" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        "<title>{}</title><defs>{}</defs>{}</svg>",
        width,
        height,
        title,
        defs,
        _join(body),
    )


def _pattern_over(uid: str, index: int, x, y, width, height) -> SafeString:
    """Series `index`'s pattern over a rectangle already filled with its colour."""
    if index == 0:
        return SafeString("")
    return format_html(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="url(#{}-p{})"/>',
        x,
        y,
        width,
        height,
        uid,
        (index - 1) % len(PATTERNS) + 1,
    )


def _legend(names: Sequence[str], colors: Sequence[str], uid: str) -> list[SafeString]:
    parts, x = [], LABEL_W
    patterned = len(names) > 1  # one series is solid, like its bars
    for index, (name, color) in enumerate(zip(names, colors, strict=False)):
        parts.append(
            format_html(
                '<rect x="{}" y="3" width="12" height="12" fill="{}"/>{}'
                '<text x="{}" y="13" class="legend">{}</text>',
                x,
                color,
                _pattern_over(uid, index if patterned else 0, x, 3, 12, 12),
                x + 16,
                name,
            )
        )
        x += 26 + 7 * len(name)
    return parts


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    fmt: Callable[[float], str],
    markers: Sequence[float | None] | None = None,
    marker_name: str = "target",
) -> SafeString:
    """Horizontal grouped bars; values may be negative (a zero line is drawn) or None."""
    values = [v for _, vals in series for v in vals if v is not None]
    values += [m for m in (markers or []) if m is not None]
    low, high = min([0.0, *values]), max([0.0, *values])
    span = (high - low) or 1.0

    def x(value: float) -> float:
        return LABEL_W + PLOT_W * (value - low) / span

    colors = PALETTE[1:] if len(series) == 1 else PALETTE
    group_h = len(series) * BAR_H + GAP
    top = 24
    uid = _uid(title)
    body = _legend([name for name, _ in series], colors, uid)
    if markers:
        body.append(
            format_html(
                '<rect x="{}" y="4" width="3" height="10" fill="{}"/>'
                '<text x="{}" y="13" class="legend">{}</text>',
                LABEL_W + PLOT_W - 80,
                PALETTE[5],
                LABEL_W + PLOT_W - 73,
                marker_name,
            )
        )
    for i, label in enumerate(labels):
        y0 = top + i * group_h
        body.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" class="label">{}</text>',
                LABEL_W - 6,
                y0 + group_h / 2,
                label,
            )
        )
        for j, (_, vals) in enumerate(series):
            value = vals[i]
            y = y0 + j * BAR_H
            if value is None:
                body.append(
                    format_html(
                        '<text x="{}" y="{}" class="value muted">no data</text>',
                        x(0) + 4,
                        y + BAR_H - 3,
                    )
                )
                continue
            left, right = sorted((x(0), x(value)))
            # The tooltip names the series when there are several.
            name = f"{label}, {series[j][0]}" if len(series) > 1 else label
            body.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {}</title></rect>{}"
                    '<text x="{}" y="{}" class="value">{}</text>',
                    _n(left),
                    y,
                    _n(max(right - left, 1)),
                    BAR_H - 2,
                    colors[j],
                    name,
                    fmt(value),
                    _pattern_over(
                        uid, j if len(series) > 1 else 0, _n(left), y,
                        _n(max(right - left, 1)), BAR_H - 2,
                    ),
                    _n(max(right, x(0)) + 4),
                    y + BAR_H - 3,
                    fmt(value),
                )
            )  # fmt: skip
        if markers and markers[i] is not None:
            body.append(
                format_html(
                    '<rect x="{}" y="{}" width="3" height="{}" fill="{}">'
                    "<title>{}: {}</title></rect>",
                    _n(x(markers[i]) - 1.5),
                    y0 - 2,
                    group_h - GAP + 4,
                    PALETTE[5],
                    marker_name,
                    fmt(markers[i]),
                )
            )
    height = top + len(labels) * group_h + 6
    body.append(
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" class="axis"/>',
            _n(x(0)),
            _n(x(0)),
            top - 4,
            height - 4,
        )
    )
    return _svg(LABEL_W + PLOT_W + RIGHT_W, height, title, body)


def stacked_chart(
    *,
    title: str,
    labels: Sequence[str],
    parts: Sequence[tuple[str, Sequence[float | None]]],
) -> SafeString:
    """Horizontal 100% stacked bars of shares (0..1), one per label."""
    colors = PALETTE[1:]
    top, row_h = 24, BAR_H + GAP
    uid = _uid(title)
    body = _legend([name for name, _ in parts], colors, uid)
    for i, label in enumerate(labels):
        y = top + i * row_h
        body.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" class="label">{}</text>',
                LABEL_W - 6,
                y + BAR_H - 3,
                label,
            )
        )
        left = float(LABEL_W)
        for j, (name, shares) in enumerate(parts):
            share = shares[i] or 0.0
            width = PLOT_W * share
            if width <= 0:
                continue
            body.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{} {}: {}</title></rect>{}",
                    _n(left),
                    y,
                    _n(width),
                    BAR_H,
                    colors[j],
                    label,
                    name,
                    f"{share:.0%}",
                    _pattern_over(uid, j, _n(left), y, _n(width), BAR_H),
                )
            )
            if width > 28:
                # Dark text on the light fills, white on the dark ones (both at least 4.5:1),
                # with a halo of the fill's own colour so the pattern never runs under it.
                body.append(
                    format_html(
                        '<text x="{}" y="{}" class="inbar{}" stroke="{}">{}</text>',
                        _n(left + 3),
                        y + BAR_H - 3,
                        " dark" if colors[j] in LIGHT_FILLS else "",
                        colors[j],
                        f"{share:.0%}",
                    )
                )
            left += width
    return _svg(LABEL_W + PLOT_W + RIGHT_W, top + len(labels) * row_h + 4, title, body)


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    fmt: Callable[[float], str],
    marker_index: int | None = None,
    marker_name: str = "training",
) -> SafeString:
    """One series over time; a vertical marker (e.g. the training start) is optional."""
    width, height, left, top, bottom = LABEL_W + PLOT_W + RIGHT_W, 170, 60, 14, 30
    plot_w, plot_h = width - left - 20, height - top - bottom
    present = [v for v in values if v is not None]
    if not present:
        return _svg(width, 40, title, [format_html('<text x="10" y="24">{}</text>', "No data")])
    low, high = min(present), max(present)
    pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    low, high = low - pad, high + pad
    step = plot_w / max(len(values) - 1, 1)

    def y(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (high - low))

    # A missing value (a week without tickets) breaks the line: one polyline per run.
    runs: list[list[tuple[float, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((left + i * step, y(value)))
    body = [
        format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" class="axis"/>', left, left, top,
                    top + plot_h),
        format_html('<text x="{}" y="{}" text-anchor="end" class="label">{}</text>',
                    left - 4, top + 8, fmt(high - pad)),
        format_html('<text x="{}" y="{}" text-anchor="end" class="label">{}</text>',
                    left - 4, _n(top + plot_h), fmt(low + pad)),
    ]  # fmt: skip
    body += [
        format_html('<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>',
                    PALETTE[1], " ".join(f"{px:.1f},{py:.1f}" for px, py in run))
        for run in runs if len(run) > 1
    ]  # fmt: skip
    for i, value in enumerate(values):
        if value is None:
            continue
        body.append(
            format_html(
                '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{}: {}</title></circle>',
                _n(left + i * step),
                _n(y(value)),
                PALETTE[1],
                labels[i],
                fmt(value),
            )
        )
    last = len(labels) - 1
    for i in sorted({0, last // 2, last}):
        anchor = "start" if i == 0 else "end" if i == last else "middle"
        body.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="{}" class="label">{}</text>',
                _n(left + i * step),
                height - 10,
                anchor,
                labels[i],
            )
        )
    if marker_index is not None:
        mx = left + marker_index * step
        body.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-dasharray="4 3"/>'
                '<text x="{}" y="{}" class="legend">{}</text>',
                _n(mx),
                _n(mx),
                top,
                _n(top + plot_h),
                PALETTE[5],
                _n(mx + 4),
                top + 8,
                marker_name,
            )
        )
    return _svg(width, height, title, body)
