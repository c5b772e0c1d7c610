"""netperf runs: the client's command line, option checks, and runs summarized like iperf3's."""

from __future__ import annotations

from pathlib import Path

import pytest

from netvirt.parsers.traffic import parse_netperf_keyval
from netvirt.traffic import netperf, throughput

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "generated"


def test_client_argv_is_the_records_command_with_keyword_output():
    options = netperf.NetperfOptions(duration=30, port=12866, send_size=65536)
    argv = options.client_argv("5.5.5.51")
    assert argv[:10] == ["netperf", "-H", "5.5.5.51", "-p", "12866", "-t", "TCP_STREAM", "-l", "30", "-c"]
    assert argv[10:15] == ["-C", "-f", "m", "--", "-k"]
    assert argv[15].split(",")[:2] == ["THROUGHPUT", "THROUGHPUT_UNITS"] and argv[16:] == ["-m", "65536"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"duration": 0}, "duration 0"),
        ({"repeat": 101}, "repeat 101"),
        ({"port": 0}, "port 0"),
        ({"send_size": 0}, "send_size 0"),
    ],
)
def test_options_reject_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        netperf.NetperfOptions(**kwargs)


def test_runs_summarize_and_tabulate_like_iperf3s():
    names = ("netperf-k-tcp-stream.txt", "netperf-k-tcp-maerts-nocpu.txt")
    runs = [
        netperf.as_run(parse_netperf_keyval((FIXTURES / name).read_text(encoding="utf-8")), test)
        for name, test in zip(names, netperf.NetperfTest, strict=True)
    ]
    summary = throughput.summarize(runs)
    assert summary["min_bps"] == pytest.approx(30572.64e6) and summary["max_bps"] == pytest.approx(30846.9e6)
    assert [run["retransmits"] for run in summary["runs"]] == [5, 0]
    rows = throughput.run_rows(summary)
    assert rows[0][:3] == [1, "TCP", 1] and rows[0][8] == "77.7 / 77.7" and rows[1][8] == "— / —"
    assert rows[0][6] == "—", "netperf TCP has no datagram loss column"
