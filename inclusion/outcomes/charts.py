"""Hand-written SVG charts from published figures: no JavaScript, no inline styles.

Each chart draws only `Published` values (a suppressed value draws nothing and is labelled
'*'), carries a title and description for screen readers, and comes with a one-sentence
summary; pages put the same numbers in a data table beside it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from inclusion.outcomes.disclosure import SUPPRESSED, Published

# Dark, mid and light tones with different dash patterns, so lines stay apart in greyscale.
SERIES_STYLES = (("#0b3b53", ""), ("#28a197", "8 4"), ("#6f777b", "2 3"), ("#912b88", "12 4 2 4"))
_ids = itertools.count(1)


@dataclass(frozen=True)
class Chart:
    svg: Markup
    summary: str


def _nice_max(value: int) -> int:
    # At least 40, so axis ticks (quarters of the maximum) are never a small count like 5.
    if value <= 40:
        return 40
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= value:
            return top
    return value


def _svg_open(width: int, height: int, title: str, desc: str, css: str) -> tuple[str, str]:
    n = next(_ids)
    tid, did = f"chart-{n}-title", f"chart-{n}-desc"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart {css}" viewBox="0 0 {width} '
        f'{height}" width="100%" role="img" aria-labelledby="{tid} {did}" '
        'font-family="system-ui, Arial, sans-serif" font-size="13">'
        f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>'
    )
    return head, "</svg>"


def _summary_of(title: str, items: Sequence[tuple[str, Published]]) -> str:
    shown = [(label, p) for label, p in items if p.value is not None]
    hidden = [label for label, p in items if p.value is None]
    if not shown:
        text = f"{title}: no figures can be shown."
    else:
        top = max(shown, key=lambda item: item[1].value or 0)
        text = f"{title}: highest is {top[0]} at {top[1].text}."
    if hidden:
        text += f" Hidden as small numbers ({SUPPRESSED}): {', '.join(hidden)}."
    return text


def bar_chart(title: str, items: Sequence[tuple[str, Published]]) -> Chart:
    """Horizontal bars, one per category, labelled with their published value."""
    row, label_w, bar_w, pad = 26, 230, 380, 10
    height = pad * 2 + row * max(len(items), 1)
    width = label_w + bar_w + 70
    top = _nice_max(max((p.value or 0 for _, p in items), default=0))
    summary = _summary_of(title, items)
    head, tail = _svg_open(width, height, title, summary, "app-chart--bars")
    parts = [head]
    for i, (label, value) in enumerate(items):
        y = pad + i * row
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" fill="#0b0c0c">'
            f"{escape(short)}</text>"
        )
        length = 0 if value.value is None else round(bar_w * value.value / top)
        if length:
            parts.append(
                f'<rect x="{label_w}" y="{y + 4}" width="{length}" height="{row - 8}" '
                'fill="#0b3b53"/>'
            )
        parts.append(
            f'<text x="{label_w + length + 6}" y="{y + 17}" fill="#0b0c0c">'
            f"{escape(value.text)}</text>"
        )
    parts.append(tail)
    return Chart(Markup("".join(parts)), summary)  # noqa: S704 - every text part is escaped


def line_chart(title: str, labels: Sequence[str],
               series: Sequence[tuple[str, Sequence[Published]]]) -> Chart:
    """Lines over time; a suppressed or missing point breaks its line."""
    width, height, left, right, top_pad, bottom = 720, 300, 60, 40, 20, 60
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    peak = max((p.value or 0 for _, points in series for p in points), default=0)
    top = _nice_max(peak)
    step = plot_w / max(len(labels) - 1, 1)
    texts = []
    for name, points in series:
        shown = [(labels[i], p) for i, p in enumerate(points)]
        texts.append(_summary_of(name, shown))
    summary = f"{title}. " + " ".join(texts)
    head, tail = _svg_open(width, height, title, summary, "app-chart--lines")
    parts = [head]
    for tick in range(5):
        value = top * tick // 4
        y = top_pad + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#b1b4b6" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'fill="#0b0c0c">{value:,}</text>')
    every = max(1, len(labels) // 12)
    for i, label in enumerate(labels):
        if i % every == 0:
            x = left + i * step
            parts.append(f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                         f'fill="#0b0c0c" font-size="11">{escape(label)}</text>')
    for index, (name, points) in enumerate(series):
        colour, dash = SERIES_STYLES[index % len(SERIES_STYLES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        segment: list[str] = []
        segments = []
        for i, p in enumerate(points):
            if p.value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            x = left + i * step
            y = top_pad + plot_h - plot_h * p.value / top
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) > 1:
                parts.append(f'<polyline points="{" ".join(seg)}" fill="none" '
                             f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
        ly = height - 30 + (index // 3) * 16
        lx = left + (index % 3) * 210
        parts.append(f'<line x1="{lx}" x2="{lx + 28}" y1="{ly}" y2="{ly}" stroke="{colour}" '
                     f'stroke-width="3"{dash_attr}/>')
        parts.append(f'<text x="{lx + 34}" y="{ly + 4}" fill="#0b0c0c" font-size="12">'
                     f"{escape(name[:26])}</text>")
    parts.append(tail)
    return Chart(Markup("".join(parts)), summary)  # noqa: S704 - every text part is escaped


def progress_bar(title: str, count: Published, target: int, expected: int,
                 status: str) -> Chart:
    """A bar filled to the published count, with a marker where a straight line says it
    should be by now."""
    width, height, bar_h = 600, 56, 24
    fill = 0 if count.value is None else min(count.value / target, 1) * width
    mark = min(expected / target, 1) * width if target else 0
    shown = count.text if count.value is not None else f"a small number ({SUPPRESSED})"
    summary = f"{title}: {shown} of {target:,}; expected by now {expected:,}; {status}."
    head, tail = _svg_open(width, height, title, summary, "app-chart--progress")
    parts = [
        head,
        f'<rect x="0" y="4" width="{width}" height="{bar_h}" fill="#f3f2f1" stroke="#505a5f"/>',
    ]
    if fill:
        parts.append(f'<rect x="0" y="4" width="{fill:.1f}" height="{bar_h}" fill="#0b3b53"/>')
    parts.append(f'<line x1="{mark:.1f}" x2="{mark:.1f}" y1="0" y2="{bar_h + 8}" '
                 'stroke="#d4351c" stroke-width="3" stroke-dasharray="4 2"/>')
    parts.append(f'<text x="0" y="{bar_h + 24}" fill="#0b0c0c">{escape(count.text)} of '
                 f'{target:,} (dashed line: expected by now, {expected:,})</text>')
    parts.append(tail)
    return Chart(Markup("".join(parts)), summary)  # noqa: S704 - every text part is escaped
