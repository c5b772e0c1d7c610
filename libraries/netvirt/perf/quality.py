"""Forwarding quality: loss, jitter and latency at fractions of the PDR (record 7.3.6).

Each point is one trial at ``pct`` % of the PDR found for the frame size, run by a measurer that
also sends latency probes beside the load (``Iperf3Measurer(probe_pps=...)``), so the latency is
that of frames crossing the DUT while it forwards the load.
"""

from __future__ import annotations

from dataclasses import dataclass

from netvirt.perf import frames
from netvirt.perf.measurer import Measurer, TrialResult

DEFAULT_PCTS = (10.0, 50.0, 90.0, 100.0)


@dataclass(frozen=True)
class QualityPoint:
    pct_of_pdr: float
    trial: TrialResult

    @property
    def load_pps(self) -> float:
        return self.trial.load_pps


def check_pcts(pcts: tuple[float, ...] | list[float]) -> list[float]:
    """The load fractions as percentages of the PDR, each in (0, 100]."""
    if not pcts:
        raise frames.PerfInputError("没有负载点：例如 10 50 90 100（PDR 的百分比）")
    for pct in pcts:
        if isinstance(pct, bool) or not isinstance(pct, (int, float)) or not 0 < pct <= 100:
            raise frames.PerfInputError(f"负载点 {pct!r} 超出范围 (0, 100]（PDR 的百分比）")
    return [float(p) for p in pcts]


def measure(
    measurer: Measurer, frame_size: int, pdr_pps: float, pcts=DEFAULT_PCTS, duration_s: float = 5.0
) -> list[QualityPoint]:
    """One trial per fraction of ``pdr_pps``; the measurer decides whether latency is measured too."""
    pcts = check_pcts(pcts)
    frames.check_load(pdr_pps)
    frames.check_duration(duration_s)
    measurer.check(pdr_pps, duration_s, frame_size)
    return [QualityPoint(pct, measurer.measure(pdr_pps * pct / 100, duration_s, frame_size)) for pct in pcts]
