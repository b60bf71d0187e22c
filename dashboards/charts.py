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
