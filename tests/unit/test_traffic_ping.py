"""Ping command lines and outcomes, and the DF boundary search against a fake pinger."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from netvirt.ssh import CommandResult
from netvirt.traffic import ping

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def result_of(name: str, rc: int = 1) -> CommandResult:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return CommandResult("hosta", "ping ...", rc, text, "", 1.0)


def test_ping_argv_df_with_source_address():
    argv = ping.ping_argv("5.5.5.22", 3, 1472, True, "5.5.5.11")
    assert argv == ["ping", "-n", "-c", "3", "-i", "0.05", "-W", "1", "-w", "2", "-s", "1472", "-M", "do"] + [
        "-I",
        "5.5.5.11",
        "5.5.5.22",
    ]
    assert ping.ping_timeout(argv) == 32


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"destination": "5.5.5.22; reboot"}, "ping 目的地址 .* 不合法"),
        ({"destination": "5.5.5.22", "count": 0}, "count 0"),
        ({"destination": "5.5.5.22", "size": 65508}, "size 65508"),
        ({"destination": "5.5.5.22", "interval": 0.001}, "interval"),
    ],
)
def test_ping_argv_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ping.ping_argv(**kwargs)


def test_outcome_of_replies_local_mtu_error_and_no_statistics():
    ok = ping.outcome_of(result_of("generated/ping-veth-ok.txt", 0))
    assert ok.reached and ok.error is None
    too_long = ping.outcome_of(result_of("generated/ping-mtu4000-too-long.txt"))
    assert not too_long.reached and too_long.note == "0/2（本机 MTU 4000）"
    unreachable = ping.outcome_of(result_of("generated/ping-network-unreachable.txt", 2))
    assert not unreachable.reached and unreachable.summary is None
    assert unreachable.note == "ping: connect: Network is unreachable"


class FakePath:
    """A path that carries DF payloads up to ``mtu - 28`` and counts the probes."""

    def __init__(self, mtu: int):
        self.largest = mtu - ping.IP_ICMP_HEADERS
        self.probes: list[int] = []

    def __call__(self, size: int) -> bool:
        self.probes.append(size)
        return size <= self.largest


@pytest.mark.parametrize(
    ("mtu", "low", "high"), [(1500, 0, 8972), (9000, 1000, 9000), (2000, 1972, 1973), (68, 0, 100)]
)
def test_boundary_search_finds_the_exact_largest_payload(mtu, low, high):
    path = FakePath(mtu)
    assert ping.find_boundary(path, low, high) == mtu - 28
    assert path.probes[:2] == [low, high]
    assert len(path.probes) <= 2 + math.ceil(math.log2(high - low))


@pytest.mark.parametrize(
    ("mtu", "low", "high"),
    [(1500, 1000, 8972), (4000, 1000, 8972), (9000, 1000, 9000), (2000, 1972, 1973), (68, 0, 100)],
)
def test_boundary_search_by_rounds_of_five_finds_the_same_payload_in_fewer_rounds(mtu, low, high):
    path, rounds = FakePath(mtu), []

    def each(sizes: list[int]) -> list[bool]:
        rounds.append(sizes)
        return [path(size) for size in sizes]

    assert ping.find_boundary_among(each, low, high) == mtu - 28
    assert rounds[0] == [low, high] and all(len(r) <= 5 and r == sorted(set(r)) for r in rounds[1:])
    assert all(low < size < high for r in rounds[1:] for size in r)
    assert len(rounds) <= 1 + math.ceil(math.log(high - low, 6)) + 1


def test_boundary_search_refuses_ranges_without_the_boundary():
    with pytest.raises(ping.BoundaryError, match="载荷 1500 字节的不分片 ping 也不通"):
        ping.find_boundary(FakePath(1500), 1500, 9000)
    with pytest.raises(ping.BoundaryError, match="载荷 1400 字节的不分片 ping 仍能通过"):
        ping.find_boundary(FakePath(1500), 0, 1400)
    with pytest.raises(ValueError, match="载荷范围 10..10"):
        ping.find_boundary(FakePath(1500), 10, 10)
    assert issubclass(ping.BoundaryError, AssertionError)


def test_requests_still_in_flight_are_not_lost_but_a_gap_in_the_replies_is():
    """Both fixtures are iputils 20221126 on this machine, ``ping -n -c 3 -i 0.05 -W 1 -w 2`` between two scratch
    namespaces whose far end ignored echo requests in its kernel and answered from a user-space responder: 80 ms
    late (every request answered, the fourth still in flight when the third reply came), and at once but never to
    icmp_seq 2 (one lost). ping said 4 sent, 3 received, 25 % loss and exited 0 both times."""
    late = ping.outcome_of(result_of("generated/ping-late-replies-in-flight.txt", 0)).summary
    lost = ping.outcome_of(result_of("generated/ping-seq2-lost.txt", 0)).summary
    for summary in (late, lost):
        assert (summary["transmitted"], summary["received"], summary["loss_pct"]) == (4, 3, 25.0)
    assert late["answered"] == [0, 1, 2] and ping.unanswered(late, 3) == 0
    assert lost["answered"] == [0, 2, 3] and ping.unanswered(lost, 3) == 1
    # Fewer replies than asked for: every missing one counts, wherever the deadline cut the run.
    assert ping.unanswered(late, 4) == 1
    # No reply lines to read (ping -q): every request not answered counts.
    assert ping.unanswered({**late, "answered": []}, 3) == 1
    assert ping.unanswered({"transmitted": 0, "received": 0, "answered": []}, 3) == 3
