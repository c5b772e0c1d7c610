"""What throughput tools share: repeated runs against one server, their summary and table, verdicts.

A tool module (``iperf``, ``netperf``) starts its server and runs its client once, returning
each run as a dict of the same shape (``protocol``, ``num_streams``, ``sent_bps``,
``received_bps``, ``retransmits``, ``lost_percent``, ``jitter_ms``, ``cpu_utilization_percent``,
``tool`` and optionally ``test``). Runs that completed are kept when a later one fails
(:class:`MeasurementError` carries them), so a keyword can report what was measured before failing.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from netvirt import evidence, validate
from netvirt.ssh import CommandResult
from netvirt.traffic.hostproc import ServerProcess
from netvirt.traffic.units import format_bps


class MeasurementError(RuntimeError):
    """A run failed; ``runs`` holds those that completed before it."""

    def __init__(self, message: str, runs: list[dict[str, Any]], results: list[CommandResult]):
        super().__init__(message)
        self.runs = runs
        self.results = results


def check_run_options(duration: int, repeat: int, port: int) -> None:
    """What every tool's options must satisfy: 1..3600 s per run, 1..100 runs, a TCP port."""
    if not 1 <= duration <= 3600:
        raise ValueError(f"duration {duration} 超出范围 1..3600 秒")
    if not 1 <= repeat <= 100:
        raise ValueError(f"repeat {repeat} 超出范围 1..100")
    validate.l4_port(port, "port")


def repeat_runs(
    server: ServerProcess, repeat: int, run_once: Callable[[], tuple[CommandResult, dict[str, Any]]]
) -> tuple[list[dict[str, Any]], list[CommandResult], str]:
    """``repeat`` client runs against a started server, which is stopped by pid afterwards whatever happened.

    Returns runs, command results and what the server printed.
    """
    runs: list[dict[str, Any]] = []
    results: list[CommandResult] = []
    try:
        for _ in range(repeat):
            result, run = run_once()
            results.append(result)
            runs.append(run)
    except (RuntimeError, OSError) as err:
        raise MeasurementError(str(err), runs, results) from err
    finally:
        server_output = server.stop()
    return runs, results, server_output


def spread(values: Sequence[float]) -> dict[str, float | None]:
    """``{min, max, mean, stdev}``; stdev (sample) is None for fewer than two values."""
    return {
        "min": min(values),
        "max": max(values),
        "mean": statistics.fmean(values),
        "stdev": statistics.stdev(values) if len(values) > 1 else None,
    }


def summarize(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The keyword's result: each run's figures and min/max/mean/stdev over the runs.

    ``mean_bps``, ``min_bps``, ``max_bps`` and ``stdev_bps`` are of the received rate (what
    arrived is the throughput); ``sent_bps`` and ``received_bps`` hold both spreads;
    ``slowest_interval_sent_bps`` is the lowest rate of any run's periodic reports (None without them).
    """
    if not runs:
        raise ValueError("没有完成的吞吐量测量")
    per_run = [
        {
            "run": index,
            "tool": run["tool"],
            "test": run.get("test"),
            "protocol": run["protocol"],
            "streams": run["num_streams"],
            "sent_bps": run["sent_bps"],
            "received_bps": run["received_bps"],
            "retransmits": run["retransmits"],
            "lost_percent": run["lost_percent"],
            "jitter_ms": run["jitter_ms"],
            "cpu_local": run["cpu_utilization_percent"].get("host_total"),
            "cpu_remote": run["cpu_utilization_percent"].get("remote_total"),
            "slowest_interval_sent_bps": slowest_interval(run.get("intervals") or []),
        }
        for index, run in enumerate(runs, 1)
    ]
    received = spread([run["received_bps"] for run in per_run])
    return {
        "tool": per_run[0]["tool"],
        "protocol": per_run[0]["protocol"],
        "runs": per_run,
        "sent_bps": spread([run["sent_bps"] for run in per_run]),
        "received_bps": received,
        "mean_bps": received["mean"],
        "min_bps": received["min"],
        "max_bps": received["max"],
        "stdev_bps": received["stdev"],
        "slowest_interval_sent_bps": min(
            (run["slowest_interval_sent_bps"] for run in per_run if run["slowest_interval_sent_bps"] is not None),
            default=None,
        ),
    }


RUN_HEADERS = ["次", "协议", "流数", "发送", "接收", "重传", "UDP 丢包", "抖动 (ms)", "CPU 本端/对端 (%)"]


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def slowest_interval(intervals: Sequence[tuple[float, float]]) -> float | None:
    """The lowest rate of a run's periodic reports (``(seconds, bit/s)``), a last one shorter than half the others
    (the run's remainder) left out; None without reports. For a sender at a target rate it tells whether the
    sender kept pace all along: a machine that stalls it shows as a slow interval.

    >>> slowest_interval([(0.1, 16e6), (0.1, 9e6), (0.1, 16e6), (0.002, 1e3)])
    9000000.0
    """
    if not intervals:
        return None
    full = max(seconds for seconds, _ in intervals) / 2
    return min(bps for seconds, bps in intervals if seconds >= full)


def run_rows(summary: dict[str, Any]) -> list[list[object]]:
    """Rows under ``RUN_HEADERS``: one per run, then min/max/mean/stdev of the rates."""
    rows: list[list[object]] = [
        [
            run["run"],
            run["protocol"],
            run["streams"],
            format_bps(run["sent_bps"]),
            format_bps(run["received_bps"]),
            "—" if run["retransmits"] is None else run["retransmits"],
            "—" if run["lost_percent"] is None else f"{run['lost_percent']:.3g}%",
            _number(run["jitter_ms"], 3),
            f"{_number(run['cpu_local'], 1)} / {_number(run['cpu_remote'], 1)}",
        ]
        for run in summary["runs"]
    ]
    for key, label in (("min", "最小"), ("max", "最大"), ("mean", "平均"), ("stdev", "标准差")):
        sent, received = summary["sent_bps"][key], summary["received_bps"][key]
        rows.append([label, "", "", format_bps(sent), format_bps(received), "", "", "", ""])
    return rows


def close_to(measured: float, expected: float, tolerance_pct: float) -> bool:
    """Whether ``measured`` is within ``tolerance_pct`` percent of ``expected``."""
    return abs(measured - expected) <= abs(expected) * tolerance_pct / 100


# -- the proof a limit's verdict needs (5.4.8.1, 5.4.8.2) ----------------------------------------------------
HEADROOM_HEADERS = ["不限速实测", "限速", "实测/限速", "要求", "结果"]
HEADROOM_TITLE = "不限速时路径能承载的吞吐量"


@dataclass(frozen=True)
class Headroom:
    """Whether a path measured without the limit carried ``factor`` × the limit in this run: the rule every
    limit check follows before judging the limit (on a busy machine or a slow VM the path itself may carry
    less, and what the limiter lets through then says nothing). ``reason`` is the inconclusive verdict with
    the figures (None: every measurement carried it); ``rows`` the evidence table, ``short`` its rows below."""

    rows: list[list[str]]
    short: list[int]
    reason: str | None

    def log(self) -> None:
        """The table of the measurements against the limit, the short ones marked."""
        evidence.table(HEADROOM_HEADERS, self.rows, HEADROOM_TITLE, highlight=[(i, 4) for i in self.short])


def headroom(measured_bps: Sequence[float], limit_bps: float, factor: float) -> Headroom:
    """Judge the unlimited measurements ``measured_bps`` (bit/s) of a path against ``factor`` × ``limit_bps``."""
    if limit_bps <= 0 or factor < 1:
        raise ValueError(f"limit_bps（{limit_bps}）应为正数，factor（{factor}）不能小于 1")
    measured = [float(m) for m in measured_bps]
    short = [i for i, m in enumerate(measured) if m < factor * limit_bps]
    rows = [
        [
            format_bps(m),
            format_bps(limit_bps),
            f"{m / limit_bps:.2f}",
            f">= {factor:g}",
            "不足：无法判定" if i in short else "足够",
        ]
        for i, m in enumerate(measured)
    ]
    reason = None
    if short:
        slowest = min(measured[i] for i in short)
        reason = (
            f"无法判定：不限速时路径只有 {format_bps(slowest)}（{slowest:.0f} bit/s），不到限速 "
            f"{format_bps(limit_bps)} 的 {factor:g} 倍，本次运行中路径承载不了足够的流量来检验限速（机器繁忙？）"
        )
    return Headroom(rows, short, reason)
