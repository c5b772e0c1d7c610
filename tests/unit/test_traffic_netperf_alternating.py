"""netperf runs to several paths in turn, round after round, against one netserver (交替测量netperf吞吐量)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netvirt.parsers.traffic import parse_netperf_keyval
from netvirt.ssh import CommandResult
from netvirt.traffic import netperf, throughput

# netperf -- -k output captured on this machine (see test_traffic_netperf.py).
OUTPUT = (Path(__file__).resolve().parents[1] / "fixtures" / "generated" / "netperf-k-tcp-stream.txt").read_text(
    encoding="utf-8"
)
PATHS = {"ovs": "5.5.5.51", "bridge": "9.9.9.51"}


class Server:
    def __init__(self) -> None:
        self.stopped = 0

    def stop(self) -> str:
        self.stopped += 1
        return "netserver output"


@pytest.fixture
def fake(monkeypatch):
    """netserver and the netperf client replaced; ``fake.calls`` lists the addresses in the order measured."""

    class Fake:
        calls: list[str] = []
        fail_at: int | None = None
        server = Server()

    def run_client(session, address, options):
        Fake.calls.append(address)
        if len(Fake.calls) == Fake.fail_at:
            raise RuntimeError("netperf 失败")
        result = CommandResult("vm02", f"netperf -H {address}", 0, OUTPUT, "", 1.0)
        return result, netperf.as_run(parse_netperf_keyval(OUTPUT), options.test)

    monkeypatch.setattr(netperf, "require_tools", lambda *args: None)
    monkeypatch.setattr(netperf, "start_server", lambda *args: Fake.server)
    monkeypatch.setattr(netperf, "run_client", run_client)
    return Fake


def test_paths_take_turns_round_after_round_against_one_server(fake):
    by_path, results, server_output = netperf.measure_alternating(None, None, PATHS, netperf.NetperfOptions(repeat=3))
    assert fake.calls == ["5.5.5.51", "9.9.9.51"] * 3
    assert [run["round"] for run in by_path["ovs"]] == [1, 2, 3] == [run["round"] for run in by_path["bridge"]]
    assert {run["path"] for run in by_path["bridge"]} == {"bridge"}
    assert len(results) == 6 and server_output == "netserver output" and fake.server.stopped == 1
    summary = throughput.summarize(by_path["ovs"])
    assert summary["tool"] == "netperf" and len(summary["runs"]) == 3


def test_a_failed_run_keeps_those_before_it_and_still_stops_the_server(fake):
    fake.fail_at = 4
    with pytest.raises(throughput.MeasurementError) as failed:
        netperf.measure_alternating(None, None, PATHS, netperf.NetperfOptions(repeat=3))
    assert [(run["path"], run["round"]) for run in failed.value.runs] == [("ovs", 1), ("bridge", 1), ("ovs", 2)]
    assert fake.server.stopped == 1


def test_at_least_one_path():
    with pytest.raises(ValueError, match="至少要有一条路径"):
        netperf.measure_alternating(None, None, {}, netperf.NetperfOptions())
