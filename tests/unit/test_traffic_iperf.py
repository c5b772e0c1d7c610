"""iperf3 summaries over runs (iperf3 -J produced on a development machine), options and verdicts."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from netvirt.parsers.traffic import parse_iperf3_json
from netvirt.traffic import iperf, throughput
from netvirt.traffic.units import format_bps

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def run(name: str) -> dict:
    return iperf.as_run(parse_iperf3_json((FIXTURES / "generated" / name).read_text(encoding="utf-8")))


def test_summary_of_three_tcp_runs():
    runs = [run("iperf3-tcp.json"), run("iperf3-tcp-P2.json"), run("iperf3-tcp.json")]
    summary = throughput.summarize(runs)
    received = [r["received_bps"] for r in runs]
    assert summary["mean_bps"] == pytest.approx(statistics.fmean(received))
    assert (summary["min_bps"], summary["max_bps"]) == (min(received), max(received))
    assert summary["stdev_bps"] == pytest.approx(statistics.stdev(received))
    assert summary["sent_bps"]["max"] == max(r["sent_bps"] for r in runs)
    assert [r["streams"] for r in summary["runs"]] == [1, 2, 1]
    assert summary["runs"][0]["cpu_local"] == pytest.approx(42.14075556547809)
    rows = throughput.run_rows(summary)
    assert len(rows) == 3 + 4 and rows[-1][0] == "标准差"
    assert rows[0][4] == format_bps(received[0])


def test_summary_of_one_udp_run_has_loss_and_no_stdev():
    summary = throughput.summarize([run("iperf3-udp.json")])
    assert summary["protocol"] == "UDP" and summary["stdev_bps"] is None
    (only,) = summary["runs"]
    assert (only["lost_percent"], only["retransmits"]) == (0, None)
    assert throughput.run_rows(summary)[0][6] == "0%"
    assert throughput.run_rows(summary)[-1][4] == "—"


def test_summary_needs_a_run():
    with pytest.raises(ValueError, match="没有完成的吞吐量测量"):
        throughput.summarize([])


def test_client_argv():
    options = iperf.IperfOptions(iperf.Protocol.udp, duration=30, parallel=4, bitrate="5G", length="128K", port=5202)
    assert options.client_argv("5.5.5.51") == [
        "iperf3", "-c", "5.5.5.51", "-p", "5202", "-t", "30", "-J", "-P", "4", "-u", "-b", "5G", "-i", "0.1",
        "-l", "128K",
    ]  # fmt: skip
    # Reports every 0.1 s only for UDP at a target rate (whether the sender kept it); TCP as the record ran it.
    assert "-i" not in iperf.IperfOptions(iperf.Protocol.tcp, bitrate="5G").client_argv("5.5.5.51")
    assert "-i" not in iperf.IperfOptions(iperf.Protocol.udp).client_argv("5.5.5.51")


def test_the_senders_slowest_tenth_of_a_second_is_kept():
    # iperf3 3.12 on this machine, UDP -b 16M -l 1400 -t 1 -i 0.1 over loopback (tests/fixtures/generated).
    parsed = parse_iperf3_json((FIXTURES / "generated/iperf3-udp-i0.1.json").read_text())
    assert len(parsed["intervals"]) == 10 and all(abs(seconds - 0.1) < 0.005 for seconds, _ in parsed["intervals"])
    summary = throughput.summarize([iperf.as_run(parsed)])
    slowest = summary["slowest_interval_sent_bps"]
    assert slowest == min(bps for _, bps in parsed["intervals"]) and 15e6 < slowest < 16.1e6
    assert summary["runs"][0]["slowest_interval_sent_bps"] == slowest
    # A run without periodic reports (the JSON of a run without -i has one per second; netperf has none).
    assert throughput.slowest_interval([]) is None
    assert throughput.slowest_interval([(0.1, 16e6), (0.1, 9e6), (0.1, 16e6), (0.002, 1e3)]) == 9e6


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"duration": 0}, "duration 0"),
        ({"parallel": 129}, "parallel 129"),
        ({"repeat": 0}, "repeat 0"),
        ({"port": 70000}, "port 70000"),
        ({"bitrate": "5G; reboot"}, "bitrate"),
        ({"length": "big"}, "length"),
    ],
)
def test_options_reject_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        iperf.IperfOptions(**kwargs)


def test_close_to_and_units():
    assert throughput.close_to(4.85e9, 5e9, 5) and not throughput.close_to(4.7e9, 5e9, 5)
    assert format_bps(10.3e9) == "10.3 Gbit/s" and format_bps(252e6) == "252 Mbit/s" and format_bps(None) == "—"
    assert format_bps(999) == "999 bit/s"
