"""Server-side SVG charts: plain markup, readable without JavaScript, tables beside them."""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BAR_H = 22
LABEL_W = 150
WIDTH = 520
PALETTE = ("#2f6f4f", "#5b7db1", "#c0392b", "#b7791f", "#6b46c1", "#2c7a7b", "#718096")


def _join(parts: list[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((p,) for p in parts))


def _num(value) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{Decimal(value):,.2f}"


def bars(items: list[tuple[str, float | int | Decimal]], *, title: str) -> SafeString:
    """Horizontal bars, one per ``(label, value)``."""
    if not items:
        return SafeString("")
    top = max((float(v) for _l, v in items), default=0) or 1.0
    plot = WIDTH - LABEL_W - 90
    rows = []
    for i, (label, value) in enumerate(items):
        y = i * BAR_H
        width = max(1.0, plot * float(value) / top) if value else 0
        rows.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>'
                '<text x="{}" y="{}">{}</text>',
                LABEL_W - 6,
                y + 15,
                label,
                LABEL_W,
                y + 3,
                width,
                BAR_H - 6,
                PALETTE[0],
                LABEL_W + width + 4,
                y + 15,
                _num(value),
            )
        )
    height = len(items) * BAR_H + 4
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%">'
        "<title>{}</title>{}</svg>",
        title,
        WIDTH,
        height,
        title,
        _join(rows),
    )


def stacked_bars(
    rows: list[tuple[str, list[tuple[str, float | int]]]], *, series: list[str], title: str
) -> SafeString:
    """Horizontal stacked bars: ``rows`` of ``(label, [(series, value), …])`` with a legend."""
    if not rows:
        return SafeString("")
    totals = [sum(float(v) for _s, v in parts) for _l, parts in rows]
    top = max(totals) or 1.0
    plot = WIDTH - LABEL_W - 90
    colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    out = []
    for i, ((label, parts), total) in enumerate(zip(rows, totals, strict=True)):
        y = i * BAR_H
        x = float(LABEL_W)
        out.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end">{}</text>', LABEL_W - 6, y + 15, label
            )
        )
        for name, value in parts:
            width = plot * float(value) / top
            if width <= 0:
                continue
            out.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {}</title></rect>",
                    x,
                    y + 3,
                    width,
                    BAR_H - 6,
                    colour[name],
                    name,
                    _num(value),
                )
            )
            x += width
        out.append(
            format_html(
                '<text x="{}" y="{}">{}</text>',
                f"{x + 4:.1f}",
                y + 15,
                _num(int(total) if float(total).is_integer() else total),
            )
        )
    legend_y = len(rows) * BAR_H + 14
    legend = format_html_join(
        "",
        '<rect x="{}" y="{}" width="10" height="10" fill="{}"></rect><text x="{}" y="{}">{}</text>',
        (
            (LABEL_W + i * 110, legend_y - 9, colour[n], LABEL_W + i * 110 + 14, legend_y, n)
            for i, n in enumerate(series)
        ),
    )
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%">'
        "<title>{}</title>{}{}</svg>",
        title,
        WIDTH,
        legend_y + 8,
        title,
        _join(out),
        legend,
    )


def heat(rate: Decimal | None) -> str:
    """A CSS class for a roll-rate cell: heat-0 … heat-5 by share."""
    if rate is None:
        return "heat-none"
    return f"heat-{min(5, int(rate * 5))}" if rate < 1 else "heat-5"


TREND_W = 300
TREND_H = 160
TREND_LEFT = 48
TREND_BOTTOM = 20
TREND_TOP = 24


def trend(
    points: list[tuple[str, Decimal | int | None]],
    *,
    title: str,
    kind: str = "line",
    percent: bool = False,
) -> SafeString:
    """A small-multiple weekly series: ``points`` are ``(week label, value or None)``, oldest
    first. A line (``kind="line"``, gaps where a week has no value) or bars; the y axis from 0
    to the largest value, the first and last weeks labelled, the latest value marked and
    printed (class ``latest``)."""
    if not points:
        return SafeString("")

    def show(value) -> str:
        if value is None:
            return "—"
        return f"{Decimal(value) * 100:.1f}%" if percent else _num(value)

    values = [float(v) for _l, v in points if v is not None]
    top = max(values, default=0.0) or 1.0
    plot_w = TREND_W - TREND_LEFT - 8
    plot_h = TREND_H - TREND_TOP - TREND_BOTTOM
    step = plot_w / len(points)
    base_y = TREND_TOP + plot_h

    def x_of(i: int) -> float:
        return TREND_LEFT + step * i + step / 2

    def y_of(value) -> float:
        return base_y - plot_h * float(value) / top

    parts: list[SafeString] = [
        format_html(
            '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"></line>'
            '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"></line>'
            '<text x="{}" y="{}" text-anchor="end" font-size="10">{}</text>'
            '<text x="{}" y="{}" text-anchor="end" font-size="10">{}</text>'
            '<text x="{}" y="{}" font-size="10">{}</text>'
            '<text x="{}" y="{}" text-anchor="end" font-size="10">{}</text>',
            TREND_LEFT,
            TREND_TOP,
            TREND_LEFT,
            base_y,
            TREND_LEFT,
            base_y,
            TREND_W - 8,
            base_y,
            TREND_LEFT - 4,
            TREND_TOP + 4,
            show(Decimal(str(top))) if values else "",
            TREND_LEFT - 4,
            base_y,
            show(0),
            TREND_LEFT,
            TREND_H - 4,
            points[0][0],
            TREND_W - 8,
            TREND_H - 4,
            points[-1][0],
        )
    ]
    last = len(points) - 1
    if kind == "bar":
        for i, (label, value) in enumerate(points):
            if not value:
                continue
            y = y_of(value)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"{}>'
                    "<title>{}: {}</title></rect>",
                    f"{x_of(i) - step * 0.4:.1f}",
                    f"{y:.1f}",
                    f"{step * 0.8:.1f}",
                    f"{base_y - y:.1f}",
                    PALETTE[2] if i == last else PALETTE[1],
                    SafeString(' class="latest"') if i == last else "",
                    label,
                    show(value),
                )
            )
    else:
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, (_label, value) in enumerate(points):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x_of(i):.1f},{y_of(value):.1f}")
        if segment:
            segments.append(segment)
        for seg in segments:
            parts.append(
                format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"></polyline>',
                    " ".join(seg),
                    PALETTE[1],
                )
            )
        for i, (label, value) in enumerate(points):
            if value is None:
                continue
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="{}" fill="{}"{}><title>{}: {}</title></circle>',
                    f"{x_of(i):.1f}",
                    f"{y_of(value):.1f}",
                    4 if i == last else 2,
                    PALETTE[2] if i == last else PALETTE[1],
                    SafeString(' class="latest"') if i == last else "",
                    label,
                    show(value),
                )
            )
    latest = points[-1][1]
    parts.append(
        format_html(
            '<text class="latest-value" x="{}" y="{}" text-anchor="end" font-weight="bold">'
            "{}</text>",
            TREND_W - 8,
            TREND_TOP - 10,
            show(latest),
        )
    )
    return format_html(
        '<svg class="chart trend" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%">'
        "<title>{}</title>{}</svg>",
        f"{title}: {show(latest)}",
        TREND_W,
        TREND_H,
        title,
        _join(parts),
    )
