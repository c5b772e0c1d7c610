"""The measurer: where a search (MLRsearch, binary search) meets a traffic generator.

``Measurer.measure(load_pps, duration_s, frame_size)`` runs one trial and returns a
``TrialResult`` (frames sent and received, the loss ratio, jitter and latency when the generator
gives them). The search never knows which generator runs; a generator never knows which
search asks (FD.io CSIT's split). Input is checked here, once, for every generator: a frame
below 64 bytes or above what the path's MTU allows, a duration of 0, a load of 0.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from netvirt.perf import frames
from netvirt.perf.latency import LatencyStats
from netvirt.ssh import CommandResult

# How much shorter than its duration a trial may have sent before the generator counts as having run fast.
FAST_TOLERANCE = 0.05


@dataclass(frozen=True)
class TrialResult:
    """One trial: what was asked (load, duration, frame size) and what happened."""

    load_pps: float
    duration_s: float
    frame_size: int
    sent: int
    received: int
    seconds: float  # how long the generator actually sent
    wall_s: float  # the trial with its overheads (starting, collecting counters)
    generator: str
    jitter_ms: float | None = None
    latency: LatencyStats | None = None
    notes: tuple[str, ...] = field(default=())
    # A generator that sends a fixed count (trafgen -n) falls behind in time, not in count: the share of
    # the trial's time it overran (0.05: it needed 5 % longer than the trial's duration).
    time_shortfall: float = 0.0
    # Whether ``seconds`` measured the sending (False: trafgen in an emulated guest, whose start-up varies by
    # seconds: its run time says nothing about how fast it sent).
    timed: bool = True

    @property
    def intended_count(self) -> int:
        return round(self.load_pps * self.duration_s)

    @property
    def lost(self) -> int:
        """Frames sent but not received (never negative: a duplicate is not a negative loss)."""
        return max(0, self.sent - self.received)

    @property
    def loss_ratio(self) -> float:
        """Lost over sent: the device's loss. A trial that sent nothing lost everything."""
        return self.lost / self.sent if self.sent else 1.0

    @property
    def shortfall(self) -> float:
        """How much of the intended load the generator did not offer (0.01 = 1 %; negative: it sent more).

        The count's shortfall, or the time's when the generator sent the whole count but too slowly.
        """
        intended = self.intended_count
        count = (intended - self.sent) / intended if intended else 0.0
        return max(count, self.time_shortfall) if self.time_shortfall > 0 else count

    @property
    def ran_fast(self) -> bool:
        """Whether the generator sent its count in clearly less time than the trial's duration (a rate above the
        one asked: trafgen's gap less its estimated per-frame cost came out too short)."""
        return self.timed and 0 < self.seconds < self.duration_s * (1 - FAST_TOLERANCE)

    @property
    def offered_pps(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0

    @property
    def forwarded_pps(self) -> float:
        """Received frames over the intended duration (RFC 2544's forwarding rate)."""
        return self.received / self.duration_s


class Measurer(ABC):
    """A traffic generator on a prepared path; ``mtu`` is the path's, ``speed_mbps`` its link speed."""

    name = "measurer"

    def __init__(self, mtu: int, speed_mbps: int):
        self.mtu = mtu
        self.speed_mbps = speed_mbps
        self.probe_pps = 0.0  # latency probes per second beside the load, for generators that can send them
        self.last_command: CommandResult | None = None  # the last trial's command line, for the log

    def check(self, load_pps: float, duration_s: float, frame_size: int) -> None:
        """Raise PerfInputError for what no trial can measure."""
        frames.check_frame_size(frame_size, self.mtu)
        frames.check_duration(duration_s)
        frames.check_load(load_pps)

    def measure(self, load_pps: float, duration_s: float, frame_size: int) -> TrialResult:
        """One trial of ``duration_s`` seconds at ``load_pps`` frames per second of ``frame_size`` bytes."""
        self.check(load_pps, duration_s, frame_size)
        return self._trial(float(load_pps), float(duration_s), frame_size)

    def measure_bps(self, load_bps: float, duration_s: float, frame_size: int) -> TrialResult:
        """``measure`` with the load given as an L2 bit rate (frame bytes, FCS included)."""
        frames.check_frame_size(frame_size, self.mtu)
        return self.measure(frames.pps_from_l2_bps(load_bps, frame_size), duration_s, frame_size)

    def line_rate_pps(self, frame_size: int) -> float:
        return frames.line_rate_pps(self.speed_mbps, frame_size)

    @abstractmethod
    def _trial(self, load_pps: float, duration_s: float, frame_size: int) -> TrialResult:
        """Run one checked trial."""

    def close(self) -> None:  # noqa: B027 - optional: most generators keep nothing running
        """Stop whatever the generator keeps running between trials (servers, receivers)."""

    def __enter__(self) -> Measurer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
