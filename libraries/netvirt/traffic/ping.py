"""Ping command lines and their outcomes, and the search for the largest DF payload that passes.

A destination counts as reached when at least one echo reply came back: a matrix cell or
a DF probe asks "does this path carry the packet", and a single lost packet on a busy lab
must not turn a working path into an N. The "all replies" verdict of ``应能Ping通`` is
stricter on purpose.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netvirt import atonce, validate
from netvirt.parsers.traffic import parse_ping
from netvirt.ssh import CommandResult, SshSession

MAX_PAYLOAD = 65507  # largest ICMP payload in one IPv4 datagram
IP_ICMP_HEADERS = 28  # IPv4 (20) + ICMP (8): a payload of MTU-28 exactly fills the MTU
# The gap between echo requests: a reachability check waits for replies, not for the gap (root may go below
# the 0.2 s iputils allows other users). Three requests over SSH from a TCG guest: 0.43 s 0.05 s apart, 0.76 s
# 0.2 s apart (medians of 21). The deadline (-w) is what a lost reply costs; it stays.
INTERVAL_S = 0.05


def ping_argv(
    destination: str,
    count: int = 3,
    size: int | None = None,
    dont_fragment: bool = False,
    source: str | None = None,
    interval: float = INTERVAL_S,
    deadline: int | None = None,
    wait: int = 1,
    cpu: int | None = None,
) -> list[str]:
    """The iputils ``ping`` command line; ``source`` is an interface or address (``-I``); ``cpu`` pins it to
    one CPU with ``taskset -c`` (the CPU a packet is sent from picks a multiqueue NIC's transmit queue).

    >>> ping_argv("5.5.5.22", count=1, cpu=1)[:4]
    ['taskset', '-c', '1', 'ping']

    >>> ping_argv("5.5.5.22", count=1, size=1472, dont_fragment=True)
    ['ping', '-n', '-c', '1', '-i', '0.05', '-W', '1', '-w', '2', '-s', '1472', '-M', 'do', '5.5.5.22']
    """
    validate.ip_address(destination, "ping 目的地址")
    if not 1 <= count <= 10000:
        raise ValueError(f"count {count} 超出范围 1..10000")
    if not 0.002 <= interval <= 60:
        raise ValueError(f"interval {interval} 超出范围 0.002..60 秒")
    argv = ["ping", "-n", "-c", str(count), "-i", f"{interval:g}", "-W", str(wait)]
    argv += ["-w", str(deadline or max(2, int(count * interval) + 2))]
    if size is not None:
        if not 0 <= size <= MAX_PAYLOAD:
            raise ValueError(f"size {size} 超出范围 0..{MAX_PAYLOAD}")
        argv += ["-s", str(size)]
    if dont_fragment:
        argv += ["-M", "do"]
    if source:
        argv += ["-I", source]
    if cpu is not None:
        if not 0 <= cpu <= 4095:
            raise ValueError(f"cpu {cpu} 超出范围 0..4095")
        argv = ["taskset", "-c", str(cpu), *argv]
    return [*argv, destination]


def unanswered(summary: dict[str, Any], count: int) -> int:
    """How many echo requests of a ``ping_argv`` run (``-c count`` with a deadline) went unanswered.

    With a deadline, ping sends on past ``count`` while replies are missing and stops at ``count`` replies: a
    reply slower than the gap between requests leaves the requests sent after it in flight, not lost (4 sent, 3
    received for three replies 80 ms late 0.05 s apart). Unanswered are fewer than ``count`` replies, or a
    request sent before the last one answered (a gap in the replies' sequence numbers). Without reply lines to
    read, every request not answered counts.

    >>> unanswered({"transmitted": 4, "received": 3, "answered": [0, 1, 2]}, 3)
    0
    >>> unanswered({"transmitted": 4, "received": 3, "answered": [0, 2, 3]}, 3)
    1
    """
    sent, received, answered = summary["transmitted"], summary["received"], summary.get("answered")
    if received < count or not answered:
        return max(sent, count) - received
    return answered[-1] + 1 - len(answered)


def ping_timeout(argv: list[str]) -> float:
    """How long to wait for a ``ping_argv`` command over SSH: its own deadline plus slack."""
    return float(argv[argv.index("-w") + 1]) + 30


@dataclass(frozen=True)
class PingOutcome:
    """One ping run: the command result, its parsed summary, or ping's complaint instead."""

    result: CommandResult
    summary: dict[str, Any] | None
    error: str | None = None

    @property
    def reached(self) -> bool:
        return bool(self.summary and self.summary["received"] > 0)

    @property
    def note(self) -> str:
        """A short reading for a table cell: ``3/3``, ``0/1（本机 MTU 2000）`` or ping's error."""
        if self.summary is None:
            return self.error or "ping 没有输出统计"
        text = f"{self.summary['received']}/{self.summary['transmitted']}"
        if self.summary["local_mtu_error"]:
            text += f"（本机 MTU {self.summary['local_mtu_error']}）"
        return text


def outcome_of(result: CommandResult) -> PingOutcome:
    """Read a finished ping; no statistics (``connect: Network is unreachable``) is an outcome too."""
    text = result.stdout + result.stderr
    try:
        return PingOutcome(result, parse_ping(text))
    except ValueError:
        complaint = next((line.strip() for line in text.splitlines() if line.startswith("ping:")), None)
        return PingOutcome(result, None, complaint or f"ping 返回 {result.rc}，没有统计行")


def run_ping(session: SshSession, argv: list[str]) -> PingOutcome:
    """Run a ``ping_argv`` command on the session's host (no logging: safe in a worker thread)."""
    return outcome_of(session.run(shlex.join(argv), timeout=ping_timeout(argv)))


def run_pings(runs: list[tuple[SshSession, list[str]]]) -> list[PingOutcome]:
    """``run_ping`` for each ``(session, argv)``, all at once (pings that share no packet: a guest spends its time
    starting ping and waiting out a dropped probe's deadline); the outcomes in order. No logging: the caller logs
    them in Robot's thread."""
    return atonce.results(lambda run: run_ping(*run), runs, "ping")


class BoundaryError(AssertionError):
    """The payload range given to a DF search does not contain the boundary."""


def find_boundary(passes: Callable[[int], bool], low: int, high: int) -> int:
    """The largest payload in ``low..high`` for which ``passes`` holds, by binary search.

    ``passes`` must hold at ``low`` and fail at ``high`` (both are probed), and is assumed
    monotonic in between, as a path MTU is. Raises :class:`BoundaryError` otherwise.

    >>> find_boundary(lambda size: size <= 1472, 0, 9000)
    1472
    """
    return find_boundary_among(lambda sizes: [passes(size) for size in sizes], low, high, ways=2)


def find_boundary_among(passes_each: Callable[[list[int]], list[bool]], low: int, high: int, ways: int = 6) -> int:
    """``find_boundary`` probing ``ways - 1`` sizes a round, which ``passes_each`` may try at once: the range
    shrinks ``ways``-fold a round (a DF ping that is dropped waits out its deadline, and several at once cost a
    TCG guest little more than one: over 1000..8972, 6 rounds of 5 took 16.5-16.8 s of 5.4.6.2 where 8 rounds of
    3 took 17.7-19.5 s). ``low`` and ``high`` are probed first, together.

    >>> find_boundary_among(lambda sizes: [size <= 3972 for size in sizes], 1000, 8972)
    3972
    """
    if not 0 <= low < high <= MAX_PAYLOAD:
        raise ValueError(f"载荷范围 {low}..{high} 不合法（需 0 <= low < high <= {MAX_PAYLOAD}）")
    if ways < 2:
        raise ValueError(f"ways {ways} 至少为 2")
    low_passes, high_passes = passes_each([low, high])
    if not low_passes:
        raise BoundaryError(f"载荷 {low} 字节的不分片 ping 也不通：路径不通，或范围下限太大")
    if high_passes:
        raise BoundaryError(f"载荷 {high} 字节的不分片 ping 仍能通过：边界不在 {low}..{high} 内，请增大上限")
    good, bad = low, high
    while bad - good > 1:
        step = (bad - good) / ways
        sizes = sorted({min(bad - 1, max(good + 1, good + round(step * i))) for i in range(1, ways)})
        for size, passed in zip(sizes, passes_each(sizes), strict=True):
            # The smallest size that fails bounds the search; a larger one that passed anyway (a monotonic path
            # does not do that) is left to the caller's re-check of the boundary.
            if not passed:
                bad = size
                break
            good = size
    return good
