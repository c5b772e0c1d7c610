"""Latency and jitter statistics of one probe stream (``netvirt/remote/latprobe.py``).

Delays are one-way: receive time (kernel timestamp) minus send time, both read from the same
host's clock. Jitter is given two ways: the RFC 3550 interarrival jitter (the running estimate
``J += (|D(i-1, i)| - J) / 16`` over consecutive probes, as RTP and iperf3 compute it) and the
mean absolute delay variation between consecutive probes (IPDV, RFC 3393).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

PERCENTILES = (50.0, 90.0, 99.0, 99.9)


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile of already sorted values, by linear interpolation (numpy's default).

    >>> percentile([1, 2, 3, 4], 50)
    2.5
    """
    if not sorted_values:
        raise ValueError("没有样本，无法计算百分位数")
    if not 0 <= pct <= 100:
        raise ValueError(f"百分位 {pct} 超出范围 0..100")
    rank = (len(sorted_values) - 1) * pct / 100
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def rfc3550_jitter(delays: Sequence[float]) -> float:
    """RFC 3550 interarrival jitter after the last of ``delays`` (in their arrival order)."""
    jitter = 0.0
    for previous, current in zip(delays, delays[1:], strict=False):
        jitter += (abs(current - previous) - jitter) / 16
    return jitter


def mean_ipdv(delays: Sequence[float]) -> float:
    """Mean absolute difference between consecutive delays (0 for fewer than two)."""
    if len(delays) < 2:
        return 0.0
    return sum(abs(b - a) for a, b in zip(delays, delays[1:], strict=False)) / (len(delays) - 1)


@dataclass(frozen=True)
class LatencyStats:
    """One probe stream's figures, in microseconds; ``lost`` and ``loss_ratio`` of the probes."""

    sent: int
    received: int
    min_us: float
    avg_us: float
    max_us: float
    p50_us: float
    p90_us: float
    p99_us: float
    p999_us: float
    jitter_us: float
    ipdv_us: float
    reordered: int = 0

    @property
    def lost(self) -> int:
        return max(0, self.sent - self.received)

    @property
    def loss_ratio(self) -> float:
        return self.lost / self.sent if self.sent else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "lost": self.lost, "loss_ratio": self.loss_ratio}

    @classmethod
    def from_delays(cls, delays_ns: Sequence[int], sent: int, reordered: int = 0) -> LatencyStats:
        """Statistics of ``delays_ns`` (arrival order) for a stream of ``sent`` probes."""
        if not delays_ns:
            raise ValueError(f"时延探测包一个也没有收到（发送 {sent} 个）：路径不通或全部丢失")
        delays = [d / 1000.0 for d in delays_ns]
        ordered = sorted(delays)
        p50, p90, p99, p999 = (percentile(ordered, pct) for pct in PERCENTILES)
        return cls(
            sent=sent,
            received=len(delays),
            min_us=ordered[0],
            avg_us=sum(delays) / len(delays),
            max_us=ordered[-1],
            p50_us=p50,
            p90_us=p90,
            p99_us=p99,
            p999_us=p999,
            jitter_us=rfc3550_jitter(delays),
            ipdv_us=mean_ipdv(delays),
            reordered=reordered,
        )
