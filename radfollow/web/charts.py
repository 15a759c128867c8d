"""Charts as server-rendered SVG: no script, no asset from elsewhere, readable with
the table beside it. Every label is escaped (markupsafe)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

ROW = 22
LABEL_WIDTH = 220
BAR_WIDTH = 360


def bar_chart(
    bars: Sequence[tuple[str, float | None, str]],
    *,
    title: str,
    maximum: float | None = None,
) -> Markup:
    """Horizontal bars: (label, value, shown text) per row; a None value draws no bar
    and shows its text (e.g. "n/a"). ``maximum``: the full-width value (default the
    largest value). Returns an ``<svg>`` element with a <title> for screen readers."""
    values = [v for _, v, _ in bars if v is not None]
    top = maximum if maximum is not None else max(values, default=0.0)
    height = ROW * max(1, len(bars)) + 8
    width = LABEL_WIDTH + BAR_WIDTH + 90
    parts = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value, shown) in enumerate(bars):
        y = 4 + i * ROW
        short = label if len(label) <= 32 else label[:31] + "\u2026"
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end" '
            f'class="chart-label">{escape(short)}</text>'
        )
        length = 0.0
        if value is not None and top > 0:
            length = max(1.0, BAR_WIDTH * min(value, top) / top)
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" height="{ROW - 6}" '
                'class="chart-bar"/>'
            )
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 15}" '
            f'class="chart-value">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
