"""Tables and charts of chapter 7.3's figures, for the Robot log (the keywords log them).

Tables are ``(headers, rows)``; charts are PNG bytes drawn with matplotlib's Agg backend on a
``Figure`` (no pyplot state). Chart labels are English so that no CJK font is needed; the
tables beside them carry the Chinese names.
"""

from __future__ import annotations

import io
from typing import Any

from netvirt.perf import frames
from netvirt.perf.quality import QualityPoint
from netvirt.perf.search import Interval, SearchResult

TRIAL_HEADERS = [
    "#",
    "开始 (s)",
    "负载 (帧/秒)",
    "时长 (s)",
    "发送",
    "接收",
    "丢包率",
    "发生器缺口",
    "用时 (s)",
    "备注",
]
INTERVAL_HEADERS = [
    "目标",
    "丢包率目标",
    "下界 (帧/秒)",
    "上界 (帧/秒)",
    "相对宽度",
    "条件吞吐量 (帧/秒)",
    "上界受发生器限制",
]
SUMMARY_HEADERS = [
    "帧长 (B)",
    "NDR (Mpps)",
    "NDR (Gbit/s, L2)",
    "NDR (% 线速)",
    "PDR (Mpps)",
    "PDR (Gbit/s, L2)",
    "PDR (% 线速)",
    "线速 (Mpps)",
    "试验次数",
    "试验时长合计 (s)",
    "搜索用时 (s)",
]
QUALITY_HEADERS = [
    "负载 (% PDR)",
    "负载 (帧/秒)",
    "发送",
    "接收",
    "丢包率",
    "iperf3 抖动 (ms)",
    "时延 最小/平均/最大 (µs)",
    "P50 (µs)",
    "P90 (µs)",
    "P99 (µs)",
    "P99.9 (µs)",
    "抖动 RFC 3550 (µs)",
    "IPDV (µs)",
    "探测包 收/发",
]


def _pps(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _pct(value: float) -> str:
    return f"{value * 100:.3g}%"


def trial_rows(result: SearchResult) -> list[list[Any]]:
    rows = []
    for trial in result.trials:
        r = trial.result
        notes = list(r.notes) + (["发生器未达到负载"] if trial.generator_limited else [])
        rows.append(
            [
                trial.index,
                f"{trial.at_s:.1f}",
                _pps(r.load_pps),
                f"{r.duration_s:g}",
                r.sent,
                r.received,
                _pct(trial.search_loss_ratio),
                _pct(r.shortfall),
                f"{r.wall_s:.2f}",
                "；".join(notes) or "",
            ]
        )
    return rows


def interval_rows(result: SearchResult) -> list[list[Any]]:
    return [
        [
            i.goal,
            _pct(i.loss_ratio),
            _pps(i.lower_pps),
            _pps(i.upper_pps),
            "—" if i.width is None else _pct(i.width),
            _pps(i.conditional_pps),
            "是" if i.limited_by_generator else "否",
        ]
        for i in result.intervals
    ]


def figures(interval: Interval, frame_size: int, speed_mbps: int) -> dict[str, float | None]:
    """An interval's lower bound in Mpps, L2 Gbit/s and % of line rate (None where there is none)."""
    pps = interval.lower_pps
    if pps is None:
        return {"pps": None, "mpps": None, "gbps": None, "pct_line_rate": None}
    return {
        "pps": pps,
        "mpps": pps / 1e6,
        "gbps": frames.l2_bps(pps, frame_size) / 1e9,
        "pct_line_rate": frames.pct_of_line_rate(pps, frame_size, speed_mbps),
    }


def summary_rows(results: list[SearchResult], speed_mbps: int) -> list[list[Any]]:
    rows = []
    for result in results:
        cells: list[Any] = [result.frame_size]
        for goal in ("NDR", "PDR"):
            f = figures(result.interval(goal), result.frame_size, speed_mbps)
            if f["pps"] is None:
                cells += ["< 最小负载", "—", "—"]
            else:
                cells += [f"{f['mpps']:.4f}", f"{f['gbps']:.4f}", f"{f['pct_line_rate']:.3g}%"]
        cells += [
            f"{frames.line_rate_pps(speed_mbps, result.frame_size) / 1e6:.4f}",
            len(result.trials),
            f"{result.trial_seconds:g}",
            f"{result.seconds:.1f}",
        ]
        rows.append(cells)
    return rows


def quality_rows(points: list[QualityPoint]) -> list[list[Any]]:
    rows = []
    for point in points:
        t, lat = point.trial, point.trial.latency
        row: list[Any] = [
            f"{point.pct_of_pdr:g}",
            _pps(t.load_pps),
            t.sent,
            t.received,
            _pct(t.loss_ratio),
            "—" if t.jitter_ms is None else f"{t.jitter_ms:.3f}",
        ]
        if lat is None:
            row += ["—"] * 7 + ["—"]
        else:
            row += [
                f"{lat.min_us:.0f} / {lat.avg_us:.0f} / {lat.max_us:.0f}",
                f"{lat.p50_us:.0f}",
                f"{lat.p90_us:.0f}",
                f"{lat.p99_us:.0f}",
                f"{lat.p999_us:.0f}",
                f"{lat.jitter_us:.1f}",
                f"{lat.ipdv_us:.1f}",
                f"{lat.received}/{lat.sent}",
            ]
        rows.append(row)
    return rows


def _figure(width: float = 6.4, height: float = 3.6):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def _png(figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def throughput_chart(results: list[SearchResult], speed_mbps: int, title: str) -> bytes:
    """NDR and PDR per frame size: bars in Mpps, each labelled with its % of line rate."""
    figure = _figure(max(5.0, 1.1 * len(results) + 2.5))
    axes = figure.add_subplot()
    labels = [str(r.frame_size) for r in results]
    width = 0.38
    for offset, goal, color in ((-width / 2, "NDR", "#4878a8"), (width / 2, "PDR", "#e08a3c")):
        values, pcts = [], []
        for result in results:
            f = figures(result.interval(goal), result.frame_size, speed_mbps)
            values.append(f["mpps"] or 0.0)
            pcts.append(f["pct_line_rate"])
        xs = [i + offset for i in range(len(results))]
        axes.bar(xs, values, width, label=goal, color=color)
        for x, value, pct in zip(xs, values, pcts, strict=True):
            text = "n/a" if pct is None else f"{pct:.3g}%"
            axes.annotate(text, (x, value), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=7)
    axes.set_xticks(range(len(results)), labels)
    axes.set_xlabel("frame size (bytes)")
    axes.set_ylabel("Mpps (label: % of line rate)")
    axes.set_title(title, fontsize=10)
    axes.legend()
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


def latency_chart(points: list[QualityPoint], title: str) -> bytes:
    """Latency percentiles (and loss) against the load in % of the PDR."""
    figure = _figure()
    axes = figure.add_subplot()
    measured = [p for p in points if p.trial.latency is not None]
    xs = [p.pct_of_pdr for p in measured]
    for key, label, style in (
        ("min_us", "min", ":"),
        ("p50_us", "p50", "-"),
        ("p90_us", "p90", "-"),
        ("p99_us", "p99", "--"),
        ("max_us", "max", ":"),
    ):
        axes.plot(xs, [getattr(p.trial.latency, key) for p in measured], style, marker="o", label=label)
    axes.set_xlabel("load (% of PDR)")
    axes.set_ylabel("one-way latency (µs)")
    axes.set_yscale("log")
    axes.set_title(title, fontsize=10)
    loss = axes.twinx()
    loss.bar(xs, [p.trial.loss_ratio * 100 for p in measured], width=3, alpha=0.25, color="red")
    loss.set_ylabel("loss (%)", color="red")
    axes.legend(loc="upper left", fontsize=8)
    axes.grid(alpha=0.3)
    return _png(figure)
