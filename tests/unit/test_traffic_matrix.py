"""Connectivity matrices: endpoints, expected tables (the record's 5.4.2.2), concurrent measurement, rendering."""

from __future__ import annotations

import threading
import time

import pytest

from netvirt.ssh import CommandResult
from netvirt.traffic import matrix
from netvirt.traffic.ping import PingOutcome

# The record's 5.4.2.2 matrix after enP5p1s0 was added to OVS as a DPDK port.
RECORD_ENDPOINTS = ["hosta=5.5.5.11", "hostb=5.5.5.22", "vm02=5.5.5.33", "vm01=5.5.5.44"]
RECORD_DPDK = ["self N Y Y", "N self N N", "Y N self N", "Y N N self"]


class FakeSession:
    def __init__(self, name: str):
        self.name = name


def fake_pinger(reachable: set[tuple[str, str]], log: list | None = None, delay: float = 0.0):
    """A pinger answering from a set of (source address, destination address) pairs."""

    def pinger(session, argv):
        source, destination = argv[argv.index("-I") + 1], argv[-1]
        if log is not None:
            log.append((session.name, threading.current_thread().name, source, destination))
        time.sleep(delay)
        received = 2 if (source, destination) in reachable else 0
        result = CommandResult(session.name, " ".join(argv), 0 if received else 1, "", "", delay)
        summary = {"transmitted": 2, "received": received, "local_mtu_error": None}
        return PingOutcome(result, summary)

    return pinger


def record_reachability(endpoints, rows):
    return {
        (endpoints[r].address, endpoints[c].address)
        for r, row in enumerate(rows)
        for c, cell in enumerate(row.split())
        if cell == "Y"
    }


def test_endpoints_parse_and_label_like_the_record():
    endpoints = matrix.parse_endpoints(RECORD_ENDPOINTS)
    assert [e.host for e in endpoints] == ["hosta", "hostb", "vm02", "vm01"]
    assert endpoints[0].label == "5.5.5.11(hosta)"


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["hosta 5.5.5.11", "hostb=5.5.5.22"], "主机=地址"),
        (["hosta=5.5.5.300", "hostb=5.5.5.22"], "的地址 .5.5.5.300. 不合法"),
        (["hosta=5.5.5.11"], "至少需要两个端点"),
        (["hosta=5.5.5.11", "hostb=5.5.5.11"], "地址重复：5.5.5.11"),
        (["=5.5.5.11", "hostb=5.5.5.22"], "主机=地址"),
    ],
)
def test_bad_endpoints_are_named(items, message):
    with pytest.raises(ValueError, match=message):
        matrix.parse_endpoints(items)


def test_expected_rows_as_strings_or_lists():
    expected = matrix.parse_expected(["self Y", ["N", "self"]], 2)
    assert expected == [["self", "Y"], ["N", "self"]]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["self Y"], "有 1 行，端点有 2 个"),
        (["self Y N", "Y self"], "第 1 行有 3 格"),
        (["self y", "Y self"], "第 1 行第 2 格为 'y'，只能是 Y、N 或 self"),
        (["Y self", "Y self"], "self 只能且必须在对角线上"),
        (["self self", "Y self"], "self 只能且必须在对角线上"),
    ],
)
def test_bad_expected_matrices_are_named(rows, message):
    with pytest.raises(ValueError, match=message):
        matrix.parse_expected(rows, 2)


def test_measure_runs_every_cell_at_once_and_returns_every_cell():
    endpoints = matrix.parse_endpoints(RECORD_ENDPOINTS)
    sessions = {e.host: FakeSession(e.host) for e in endpoints}
    log: list = []
    reachable = record_reachability(endpoints, RECORD_DPDK)
    answer = fake_pinger(reachable, log)
    # Every one of the 12 pings must be running before any may answer: pings run one after another
    # (per host or at all) would leave the barrier short and break it after its timeout.
    barrier = threading.Barrier(12, timeout=10)

    def pinger(session, argv):
        barrier.wait()
        return answer(session, argv)

    outcomes = matrix.measure(endpoints, sessions, pinger=pinger)
    assert set(outcomes) == set(matrix.pairs(endpoints)) and len(outcomes) == 12
    assert len({thread for _, thread, _, _ in log}) == 12
    assert matrix.to_matrix(4, outcomes) == [row.split() for row in RECORD_DPDK]


def test_measure_pings_from_the_source_endpoints_address():
    endpoints = matrix.parse_endpoints(["hostb=5.5.5.22", "hostb=5.5.9.22", "hosta=5.5.5.11"])
    log: list = []
    matrix.measure(
        endpoints, {"hosta": FakeSession("hosta"), "hostb": FakeSession("hostb")}, pinger=fake_pinger(set(), log)
    )
    assert {(host, source) for host, _, source, _ in log} == {
        ("hostb", "5.5.5.22"),
        ("hostb", "5.5.9.22"),
        ("hosta", "5.5.5.11"),
    }


def test_worker_errors_reach_the_caller():
    endpoints = matrix.parse_endpoints(["hosta=5.5.5.11", "hostb=5.5.5.22"])

    def broken(session, argv):
        raise RuntimeError(f"无法连接主机 {session.name}")

    with pytest.raises(RuntimeError, match="无法连接主机"):
        matrix.measure(endpoints, {"hosta": FakeSession("hosta"), "hostb": FakeSession("hostb")}, pinger=broken)


def test_compare_and_table_mark_the_record_difference():
    endpoints = matrix.parse_endpoints(RECORD_ENDPOINTS)
    # Measured: the first 5.4.2.2 table (system port), expected: the DPDK one.
    measured = [row.split() for row in ["self Y Y Y", "Y self Y N", "Y Y self N", "Y N N self"]]
    expected = matrix.parse_expected(RECORD_DPDK, 4)
    mismatches = matrix.compare(endpoints, measured, expected)
    assert [str(m) for m in mismatches] == [
        "5.5.5.11(hosta) → 5.5.5.22(hostb)：实测 Y，期望 N",
        "5.5.5.22(hostb) → 5.5.5.11(hosta)：实测 Y，期望 N",
        "5.5.5.22(hostb) → 5.5.5.33(vm02)：实测 Y，期望 N",
        "5.5.5.33(vm02) → 5.5.5.22(hostb)：实测 Y，期望 N",
    ]
    headers, rows, marked = matrix.table(endpoints, measured, expected)
    assert headers == ["ping to", "5.5.5.11(hosta)", "5.5.5.22(hostb)", "5.5.5.33(vm02)", "5.5.5.44(vm01)"]
    assert rows[0] == ["5.5.5.11(hosta)", "self", "Y（期望 N）", "Y", "Y"]
    assert marked == [(0, 2), (1, 1), (1, 3), (2, 2)]


def test_table_without_expectation_marks_nothing():
    endpoints = matrix.parse_endpoints(RECORD_ENDPOINTS[:2])
    _, rows, marked = matrix.table(endpoints, [["self", "N"], ["Y", "self"]])
    assert rows == [["5.5.5.11(hosta)", "self", "N"], ["5.5.5.22(hostb)", "Y", "self"]] and marked == []
