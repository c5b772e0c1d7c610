"""Traffic parsers on outputs of other tool versions: netperf's classic table, iperf3 3.6,
tcpdump 4.99's status lines, iputils before 2017.

Fixtures are in ``tests/fixtures/versions/<tool>``; its README names the source of each.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from netvirt.parsers import traffic

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# ---------------------------------------------------------------- netperf classic table (2.7.0, captured)


def test_netperf_classic_tcp_stream_with_cpu_in_gbytes():
    result = traffic.parse_netperf_classic(fixture("versions/netperf/tcp-stream-cC-fG-2.7.0.txt"))
    assert (result["test"], result["protocol"], result["notes"]) == ("TCP STREAM", "TCP", ["demo"])
    assert (result["recv_socket"], result["send_socket"], result["send_size"]) == (131072, 16384, 16384)
    assert result["elapsed"] == 2.05 and result["unit"] == "GBytes  /s"
    assert result["throughput_bps"] == pytest.approx(0.28 * 2**30 * 8)
    assert (result["local_cpu"], result["remote_cpu"], result["local_sd"], result["remote_sd"]) == (
        100.0,
        100.0,
        6.776,
        6.776,
    )
    assert result["confidence"] is None and result["transactions_per_sec"] is None


def test_netperf_classic_without_cpu_has_no_cpu_figures():
    result = traffic.parse_netperf_classic(fixture("versions/netperf/tcp-maerts-fm-2.7.0.txt"))
    assert result["test"] == "TCP MAERTS" and result["throughput_bps"] == pytest.approx(1042.38e6)
    assert result["local_cpu"] is None and result["remote_sd"] is None  # absent, not 0


def test_netperf_classic_banner_notes_and_missed_confidence():
    result = traffic.parse_netperf_classic(fixture("versions/netperf/tcp-stream-confidence-missed-2.7.0.txt"))
    assert result["notes"] == ["+/-2.500% @ 99% conf.", "demo"]
    assert result["confidence"] == {
        "level": 99,
        "interval_pct": 2.5,
        "achieved": False,
        "missed": {"Throughput": 178.526, "Local CPU util": 0.0, "Remote CPU util": 0.0},
    }
    assert result["throughput_bps"] == pytest.approx(942.38e6)


def test_netperf_classic_confidence_reached_has_no_warning_block():
    text = fixture("versions/netperf/tcp-stream-confidence-missed-2.7.0.txt").splitlines()
    reached = "\n".join(line for line in text if not line.startswith("!!!"))
    assert traffic.parse_netperf_classic(reached)["confidence"]["achieved"] is True


def test_netperf_classic_nodelay_note():
    result = traffic.parse_netperf_classic(fixture("versions/netperf/tcp-stream-nodelay-2.7.0.txt"))
    assert result["notes"] == ["nodelay", "demo"] and result["throughput_bps"] == pytest.approx(1283.55e6)


def test_netperf_classic_udp_stream_sender_and_receiver_lines():
    result = traffic.parse_netperf_classic(fixture("versions/netperf/udp-stream-2.7.0.txt"))
    assert (result["messages_sent"], result["send_errors"], result["messages_received"]) == (4455, 0, 2541)
    assert result["sent_bps"] == pytest.approx(50.52e6)
    assert result["throughput_bps"] == pytest.approx(28.82e6)  # what arrived
    assert result["local_cpu"] is None


def test_netperf_classic_udp_stream_with_cpu():
    result = traffic.parse_netperf_classic(fixture("versions/netperf/udp-stream-cC-2.7.0.txt"))
    assert (result["throughput_bps"], result["sent_bps"]) == (pytest.approx(229.6e6), pytest.approx(488.8e6))
    assert (result["local_cpu"], result["local_sd"], result["remote_cpu"], result["remote_sd"]) == (
        100.0,
        33.522,
        100.0,
        33.522,
    )


@pytest.mark.parametrize(
    ("name", "rate", "cpu"), [("tcp-rr-2.7.0.txt", 12861.35, None), ("tcp-rr-cC-2.7.0.txt", 11501.33, 100.0)]
)
def test_netperf_classic_request_response(name, rate, cpu):
    result = traffic.parse_netperf_classic(fixture(f"versions/netperf/{name}"))
    assert result["test"] == "TCP REQUEST/RESPONSE" and "first burst 0" in result["notes"]
    assert result["transactions_per_sec"] == rate and result["throughput_bps"] is None
    assert result["local_cpu"] == cpu and result["send_size"] == 1


def test_netperf_classic_non_migrated_banner_of_old_netperf():
    # netperf before 2.5 (or built without omni) prints the banner without "MIGRATED".
    lines = fixture("versions/netperf/tcp-maerts-fm-2.7.0.txt").replace("MIGRATED TCP MAERTS", "TCP STREAM")
    assert traffic.parse_netperf_classic(lines)["test"] == "TCP STREAM"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("generated/netperf-no-server.txt", "expected a banner"),
        ("generated/netperf-k-tcp-stream.txt", "no units row .* parse_netperf_keyval reads it"),
        (
            "TCP STREAM TEST from a to b\nbytes  bytes   bytes    secs.    10^6bits/sec\n\n1 2 3",
            "line 4: expected 5 or 9",
        ),
        ("TCP STREAM TEST from a to b\nbytes  bytes   bytes    secs.    parsecs/s\n\n1 2 3 4 5", "no throughput unit"),
        ("TCP STREAM TEST from a to b\nRecv   Send\n", "no units row"),
        ("TCP STREAM TEST from a to b\nbytes  bytes   bytes    secs.    10^6bits/sec\n", "no result line"),
    ],
)
def test_netperf_classic_rejects_what_it_does_not_know(text, message):
    with pytest.raises(ValueError, match=message) as raised:
        traffic.parse_netperf_classic(fixture(text) if text.startswith("generated/") else text)
    assert "netperf" in str(raised.value)


# ---------------------------------------------------------------- iperf3 3.6 (captured, built from its 3.6 tag)


def test_iperf3_3_6_tcp_json_reads_like_current_iperf3():
    result = traffic.parse_iperf3_json(fixture("versions/iperf3/tcp-3.6.json"))
    data = json.loads(fixture("versions/iperf3/tcp-3.6.json"))
    assert data["start"]["version"] == "iperf 3.6" and "sender" not in data["end"]["sum_sent"]
    assert result["protocol"] == "TCP"
    assert result["sent_bytes"] == data["end"]["sum_sent"]["bytes"]
    assert result["received_bps"] == data["end"]["sum_received"]["bits_per_second"]
    assert result["retransmits"] == data["end"]["sum_sent"]["retransmits"]


def test_iperf3_3_6_udp_received_is_derived_from_the_loss_not_the_sent_bytes(caplog):
    with caplog.at_level(logging.INFO, logger="netvirt.parsers.traffic"):
        result = traffic.parse_iperf3_json(fixture("versions/iperf3/udp-loss-3.6.json"))
    assert (result["packets"], result["lost_packets"]) == (165827, 59721)
    assert result["sent_bytes"] == 232157800 == 165827 * 1400
    assert result["received_bytes"] == (165827 - 59721) * 1400
    assert result["received_bps"] == pytest.approx(928491958.4376675 * (165827 - 59721) / 165827)
    assert result["lost_percent"] == pytest.approx(36.01403872710716)
    assert "iperf 3.6 JSON has no end.sum_received" in caplog.text


# ---------------------------------------------------------------- tcpdump 4.99 status lines


def test_tcpdump_4_99_reading_from_file_with_snapshot_length():
    frames = traffic.parse_tcpdump_hex(fixture("versions/tcpdump/read-file-XX-4.99.3.txt"))
    assert len(frames) == 2
    assert [v["vid"] for v in traffic.decode_ethernet(frames[0]["raw"])["vlans"]] == [100, 10]


def test_tcpdump_4_99_dropped_privs_line():
    frames = traffic.parse_tcpdump_hex(fixture("versions/tcpdump/dropped-privs-XX-4.99.3.txt"))
    assert [f["summary"].split(",")[0] for f in frames] == [
        "IP localhost > localhost: ICMP echo request",
        "IP localhost > localhost: ICMP echo reply",
    ]
    assert len(frames[0]["raw"]) == 98


def test_tcpdump_4_9_status_lines_and_interrupt():
    # tcpdump 4.9 says "capture size" where 4.99 says "snapshot length" (tcpdump.c at tcpdump-4.9.3);
    # a capture stopped with Ctrl-C has "^C" before the first count line.
    text = fixture("versions/tcpdump/dropped-privs-XX-4.99.3.txt").replace(
        "snapshot length 262144 bytes", "capture size 262144 bytes"
    )
    text = text.replace("2 packets captured", "^C2 packets captured")
    assert len(traffic.parse_tcpdump_hex(text + "1 packet dropped by interface\n")) == 2


def test_tcpdump_still_rejects_an_unknown_line():
    with pytest.raises(ValueError, match="line 2: expected a 'HH:MM:SS"):
        traffic.parse_tcpdump_hex("dropped privs to tcpdump\nsomething else\n")


# ---------------------------------------------------------------- iputils before 2017


def test_ping_of_old_iputils_capital_message_too_long():
    result = traffic.parse_ping(fixture("versions/iputils/ping-mtu4000-too-long-s20160308.txt"))
    assert result["local_mtu_error"] == 4000 and result["errors"] == 2 and result["rtt"] is None


def test_ping6_message_too_long_says_mtu_with_a_colon():
    # iputils 20221126 ping/ping6_common.c: "local error: message too long, mtu: %u".
    text = "ping: local error: message too long, mtu: 1500\n\n--- fd00::2 ping statistics ---\n"
    text += "1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms\n"
    assert traffic.parse_ping(text)["local_mtu_error"] == 1500


def test_ping_unreachable_neighbour_pipe_line_without_rtt():
    result = traffic.parse_ping(fixture("generated/ping-host-unreachable.txt"))
    assert (result["transmitted"], result["received"], result["errors"]) == (5, 0, 5)
    assert result["rtt"] is None and result["loss_pct"] == 100.0
    with_rtt = "2 packets transmitted, 2 received, 0% packet loss, time 1001ms\n"
    with_rtt += "rtt min/avg/max/mdev = 0.031/0.040/0.050/0.010 ms, pipe 2\n"
    assert traffic.parse_ping(with_rtt)["rtt"]["max"] == 0.05


def test_busybox_ping_applet_output():
    """BusyBox's ping (an aarch64 guest's taskset runs it): 'packets received', 'round-trip' without mdev."""
    result = traffic.parse_ping(fixture("versions/busybox/ping-1.35-arm64.txt"))
    assert (result["target"], result["transmitted"], result["received"], result["loss_pct"]) == ("5.5.5.52", 5, 5, 0.0)
    assert result["rtt"] == {"min": 6.795, "avg": 8.745, "max": 14.185, "mdev": None}
