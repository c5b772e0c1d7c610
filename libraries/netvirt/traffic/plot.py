"""Bar charts of throughput per scenario, as PNG bytes for log.html (matplotlib, Agg backend).

Scenario names are Chinese in the record; a machine without a CJK font would draw them
as empty boxes, so then the bars are labelled S1, S2 ... and the caller's table, which
the browser renders with its own fonts, maps the labels to the names.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from netvirt.traffic.throughput import spread
from netvirt.traffic.units import scale_for


def rates_of(value: Any, name: str) -> list[float]:
    """A scenario's rates in bit/s: a ``测量吞吐量`` summary, a number, or a list of numbers."""
    if isinstance(value, dict):
        if "runs" not in value:
            raise ValueError(f"场景 {name!r} 的结果是字典但不是 测量吞吐量 的返回值（没有 runs）")
        return [float(run["received_bps"]) for run in value["runs"]]
    items = value if isinstance(value, (list, tuple)) else [value]
    try:
        rates = [float(item) for item in items]
    except (TypeError, ValueError):
        raise ValueError(f"场景 {name!r} 的结果 {value!r} 不是吞吐量（bit/s）") from None
    if not rates:
        raise ValueError(f"场景 {name!r} 没有测量值")
    return rates


def scenario_spreads(results: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """``{scenario: {min, max, mean, stdev, runs}}`` in bit/s, in the given order."""
    if not results:
        raise ValueError("没有场景结果可画图")
    spreads = {}
    for name, value in results.items():
        rates = rates_of(value, name)
        spreads[name] = {**spread(rates), "runs": len(rates)}
    return spreads


def _font_for(texts: Sequence[str]) -> str | None:
    """The family of an installed font that has a glyph for every character, if any."""
    from matplotlib import font_manager, ft2font

    needed = {ord(ch) for text in texts for ch in text if not ch.isspace()}
    for entry in font_manager.fontManager.ttflist:
        if entry.name.startswith("Last Resort"):  # maps every code point to a placeholder box
            continue
        try:
            charmap = ft2font.FT2Font(entry.fname).get_charmap()
        except (OSError, RuntimeError):
            continue
        if needed <= charmap.keys():
            return entry.name
    return None


def bar_chart(title: str, spreads: dict[str, dict[str, float | None]]) -> tuple[bytes, list[str]]:
    """A PNG of mean throughput per scenario with min–max whiskers; returns it and the bar labels."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    names = list(spreads)
    label_font, title_font = _font_for(names), _font_for([title])
    labels = names if label_font else [f"S{i}" for i in range(1, len(names) + 1)]
    divisor, unit = scale_for(max(s["max"] for s in spreads.values()))
    means = [s["mean"] / divisor for s in spreads.values()]
    lows = [(s["mean"] - s["min"]) / divisor for s in spreads.values()]
    highs = [(s["max"] - s["mean"]) / divisor for s in spreads.values()]

    # A Figure without pyplot: no global state, nothing kept open between keywords.
    figure = Figure(figsize=(max(4.0, 1.4 * len(names) + 1.5), 3.6), dpi=100)
    axes = figure.add_subplot()
    axes.bar(labels, means, yerr=[lows, highs], capsize=6, color="#4878a8")
    for x, (mean, high) in enumerate(zip(means, highs, strict=True)):
        # Above the whisker, so a short bar's label stays readable.
        axes.annotate(f"{mean:.3g}", (x, mean + high), xytext=(0, 4), textcoords="offset points", ha="center")
    axes.set_ylabel(f"throughput ({unit})")
    axes.set_ylim(0, max(m + h for m, h in zip(means, highs, strict=True)) * 1.15 or 1)
    if title_font:
        axes.set_title(title, fontfamily=title_font)
    if label_font:
        for label in axes.get_xticklabels():
            label.set_fontfamily(label_font)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue(), labels
