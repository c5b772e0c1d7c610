"""Unit tests for netvirt.parsers.traffic, on outputs copied from the test record.

``tests/fixtures/record`` holds outputs from 网络虚拟化用例记录.md; ``tests/fixtures/generated``
holds ping, iperf3, netperf and tcpdump outputs captured on a development machine, on loopback or
between throwaway network namespaces (198.18.0.0/24 on a veth pair, MTU 4000).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from netvirt.parsers import traffic

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# ---------------------------------------------------------------- ping


def test_ping_loopback_all_replies():
    result = traffic.parse_ping(fixture("generated/ping-loopback.txt"))
    assert (result["target"], result["transmitted"], result["received"]) == ("127.0.0.1", 3, 3)
    assert result["loss_pct"] == 0.0
    assert result["rtt"] == {"min": 0.030, "avg": 0.050, "max": 0.084, "mdev": 0.023}
    assert (result["errors"], result["local_mtu_error"], result["time_ms"]) == (0, None, 2033)


def test_ping_total_loss_has_no_rtt():
    result = traffic.parse_ping(fixture("generated/ping-total-loss.txt"))
    assert (result["transmitted"], result["received"], result["loss_pct"]) == (2, 0, 100.0)
    assert result["rtt"] is None
    assert result["errors"] == 0


def test_ping_host_unreachable_counts_errors():
    result = traffic.parse_ping(fixture("generated/ping-host-unreachable.txt"))
    assert (result["transmitted"], result["received"], result["errors"]) == (5, 0, 5)
    assert result["rtt"] is None


def test_ping_larger_than_local_mtu_reports_the_mtu():
    too_long = traffic.parse_ping(fixture("generated/ping-mtu4000-too-long.txt"))
    assert too_long["local_mtu_error"] == 4000
    assert (too_long["errors"], too_long["loss_pct"]) == (2, 100.0)
    fits = traffic.parse_ping(fixture("generated/ping-mtu4000-fits.txt"))
    assert (fits["received"], fits["local_mtu_error"]) == (2, None)


def test_ping_of_70000_bytes_is_all_lost():
    result = traffic.parse_ping(fixture("generated/ping-size-70000.txt"))
    assert (result["transmitted"], result["received"], result["loss_pct"]) == (2, 0, 100.0)


def test_ping_partial_loss_and_duplicates():
    result = traffic.parse_ping(
        "--- 5.5.5.44 ping statistics ---\n"
        "3 packets transmitted, 2 received, +1 duplicates, 33.3333% packet loss, time 2003ms\n"
        "rtt min/avg/max/mdev = 0.215/0.301/0.402/0.077 ms, pipe 2\n"
    )
    assert (result["target"], result["duplicates"]) == ("5.5.5.44", 1)
    assert result["loss_pct"] == pytest.approx(33.3333)
    assert result["rtt"]["avg"] == 0.301


def test_ping_without_statistics_quotes_pings_complaint():
    with pytest.raises(ValueError, match="statistics line.*Network is unreachable"):
        traffic.parse_ping(fixture("generated/ping-network-unreachable.txt"))
    with pytest.raises(ValueError, match="statistics line"):
        traffic.parse_ping("PING 198.18.0.2 (198.18.0.2) 56(84) bytes of data.\n")


# ---------------------------------------------------------------- iperf3 -J


def test_iperf3_tcp_json_sums_and_cpu():
    result = traffic.parse_iperf3_json(fixture("generated/iperf3-tcp.json"))
    assert (result["protocol"], result["num_streams"], result["duration"]) == ("TCP", 1, 1)
    assert result["sent_bps"] == pytest.approx(19568809311.1544)
    assert result["received_bps"] == pytest.approx(19516222085.55814)
    assert (result["sent_bytes"], result["received_bytes"]) == (2448424960, 2447507456)
    assert result["retransmits"] == 0
    assert result["cpu_utilization_percent"]["host_total"] == pytest.approx(42.14075556547809)
    assert result["lost_percent"] is None


def test_iperf3_tcp_two_streams_add_up():
    result = traffic.parse_iperf3_json(fixture("generated/iperf3-tcp-P2.json"))
    assert [stream["socket"] for stream in result["streams"]] == [5, 7]
    assert sum(stream["sent_bytes"] for stream in result["streams"]) == result["sent_bytes"]
    assert sum(stream["received_bytes"] for stream in result["streams"]) == result["received_bytes"]


def test_iperf3_udp_json_loss_and_jitter():
    result = traffic.parse_iperf3_json(fixture("generated/iperf3-udp.json"))
    assert result["protocol"] == "UDP"
    assert (result["lost_packets"], result["packets"], result["lost_percent"]) == (0, 382, 0)
    assert result["jitter_ms"] == pytest.approx(0.0086092825901229)
    assert result["sent_bps"] == pytest.approx(100130697.15213637)
    assert result["received_bps"] == pytest.approx(100086062.47295181)
    assert result["retransmits"] is None
    assert result["streams"][0]["jitter_ms"] == pytest.approx(0.0086092825901229)


def test_iperf3_udp_json_of_old_iperf3_without_sum_sent():
    data = json.loads(fixture("generated/iperf3-udp.json"))
    del data["end"]["sum_sent"], data["end"]["sum_received"]  # iperf3 before 3.11 wrote only end.sum for UDP
    result = traffic.parse_iperf3_json(json.dumps(data))
    assert result["sent_bps"] == result["received_bps"] == pytest.approx(100130697.15213637)


def test_iperf3_error_field_raises_iperf3_error():
    with pytest.raises(traffic.Iperf3Error, match="unable to connect to server: Connection refused"):
        traffic.parse_iperf3_json(fixture("generated/iperf3-refused.json"))
    assert issubclass(traffic.Iperf3Error, ValueError)


TCP_START = '{"start": {"test_start": {"protocol": "TCP", "num_streams": 1, "duration": 1}}, '


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Connecting to host 127.0.0.1, port 5299", "expected iperf3 -J JSON"),
        ("[1, 2]", "'start' section"),
        ("{}", "'start' section"),
        ('{"start": {}, "end": {}}', "'start.test_start.protocol'"),
        (TCP_START + '"end": {}}', "missing 'sum_sent'"),
        (TCP_START + '"end": {"sum_sent": {}}}', "'end.sum_sent.bytes' \\(missing 'bytes'"),
    ],
)
def test_iperf3_json_rejects_malformed_input(text, message):
    with pytest.raises(ValueError, match=message):
        traffic.parse_iperf3_json(text)


# ---------------------------------------------------------------- iperf [SUM] lines


def test_iperf_sum_5_4_8_1_unlimited_and_policed():
    (unlimited,) = traffic.parse_iperf_text_sum(fixture("record/iperf-sum-5.4.8.1.txt"))
    assert (unlimited["start"], unlimited["end"]) == (15.0, 16.0)
    assert unlimited["bits_per_second"] == pytest.approx(10.3e9)
    assert unlimited["transfer_bytes"] == round(1.20 * 1024**3)
    assert (unlimited["retr"], unlimited["role"]) == (17972, None)
    (policed,) = traffic.parse_iperf_text_sum(fixture("record/iperf-sum-5.4.8.1-policed.txt"))
    assert policed["bits_per_second"] == pytest.approx(4.85e9)
    assert policed["transfer_bytes"] == 579 * 1024**2
    assert policed["retr"] == 14652


def test_iperf3_text_two_tcp_streams_intervals_and_summary():
    sums = traffic.parse_iperf_text_sum(fixture("generated/iperf3-tcp-P2.txt"))
    assert [(entry["start"], entry["end"], entry["role"]) for entry in sums] == [
        (0.0, 1.0, None),
        (1.0, 2.0, None),
        (0.0, 2.0, "sender"),
        (0.0, 2.0, "receiver"),
    ]
    assert sums[1]["bits_per_second"] == pytest.approx(20.5e9)
    assert (sums[2]["retr"], sums[3]["retr"]) == (0, None)


def test_iperf3_text_udp_datagrams_and_loss():
    interval, sender, receiver = traffic.parse_iperf_text_sum(fixture("generated/iperf3-udp-P2.txt"))
    assert (interval["total_datagrams"], interval["retr"]) == (382, None)
    assert interval["bits_per_second"] == pytest.approx(100e6)
    assert (receiver["role"], receiver["jitter_ms"], receiver["lost_datagrams"], receiver["lost_pct"]) == (
        "receiver",
        0.007,
        0,
        0.0,
    )
    assert sender["role"] == "sender"


def test_iperf2_sum_line_with_padded_interval():
    (entry,) = traffic.parse_iperf_text_sum("[SUM]  0.0- 1.0 sec  4.59 GBytes  39.4 Gbits/sec\n")
    assert (entry["start"], entry["end"], entry["retr"]) == (0.0, 1.0, None)
    assert entry["bits_per_second"] == pytest.approx(39.4e9)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[SUM]  15.00-16.00  sec  1.20 GBytes  10.3 Gbits/hour\n", "line 1: expected '\\[SUM\\]"),
        ("[  4]  15.00-16.00  sec   718 MBytes  6.02 Gbits/sec\n[SUM]  15.00-16.00  sec\n", "line 2"),
        ("[SUM]  15.00-16.00  sec  1.20 GBytes  10.3 Gbits/sec  many\n", "unexpected text after the bitrate"),
    ],
)
def test_iperf_sum_rejects_malformed_lines(text, message):
    with pytest.raises(ValueError, match=message):
        traffic.parse_iperf_text_sum(text)


# ---------------------------------------------------------------- netperf


def test_netperf_keyval_tcp_stream_with_cpu_and_retransmits():
    result = traffic.parse_netperf_keyval(fixture("generated/netperf-k-tcp-stream.txt"))
    assert result["throughput_bps"] == pytest.approx(30572.64e6)
    assert (result["elapsed"], result["protocol"], result["retransmits"]) == (2.0, "TCP", 5)
    assert (result["local_cpu"], result["remote_cpu"]) == (77.74, 77.74)
    assert (result["send_size"], result["recv_size"]) == (16384, 131072)
    assert list(result["fields"]) == list(traffic.NETPERF_SELECTORS)


def test_netperf_keyval_minus_one_is_not_measured():
    result = traffic.parse_netperf_keyval(fixture("generated/netperf-k-tcp-maerts-nocpu.txt"))
    assert result["local_cpu"] is None and result["remote_cpu"] is None and result["recv_size"] is None
    assert result["retransmits"] == 0 and result["throughput_bps"] == pytest.approx(30846.9e6)


def test_netperf_keyval_gbytes_are_powers_of_1024():
    # netperf -fG here: LOCAL_BYTES_SENT=3766812672 in 1.00 s printed as 3.51 GBytes/s (2^30 bytes).
    result = traffic.parse_netperf_keyval("THROUGHPUT=3.51\nTHROUGHPUT_UNITS=GBytes/s\n")
    assert result["throughput_bps"] == pytest.approx(3.51 * 2**30 * 8)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("generated/netperf-no-server.txt", "no THROUGHPUT and THROUGHPUT_UNITS"),
        ("THROUGHPUT=1\nTHROUGHPUT_UNITS=furlongs/s", "unknown netperf throughput unit 'furlongs/s'"),
        ("THROUGHPUT=fast\nTHROUGHPUT_UNITS=10^6bits/s", "netperf keyword output: could not convert"),
    ],
)
def test_netperf_keyval_rejects_what_is_not_a_result(text, message):
    with pytest.raises(ValueError, match=message):
        traffic.parse_netperf_keyval(fixture(text) if text.startswith("generated/") else text)


# ---------------------------------------------------------------- tcpdump -XX and Ethernet decoding


def test_tcpdump_5_4_7_1_single_tag_arp():
    (frame,) = traffic.parse_tcpdump_hex(fixture("record/tcpdump-XX-5.4.7.1-single.txt"))
    assert frame["timestamp"] == "18:02:10.058754"
    assert frame["summary"].startswith("ARP, Ethernet (len 6), IPv4 (len 4), Request who-has 192.168.1.101")
    assert len(frame["raw"]) == 60
    decoded = traffic.decode_ethernet(frame["raw"])
    assert decoded["vlans"] == [{"tpid": 0x8100, "pcp": 0, "dei": 0, "vid": 100}]
    assert decoded["ethertype"] == traffic.ETHERTYPE_ARP
    assert decoded["arp"] == {
        "op": 1,
        "sender_mac": "52:54:00:f0:25:e4",
        "sender_ip": "192.168.1.200",
        "target_mac": "00:00:00:00:00:00",
        "target_ip": "192.168.1.101",
    }


def test_tcpdump_5_4_7_1_double_tag_stack():
    (frame,) = traffic.parse_tcpdump_hex(fixture("record/tcpdump-XX-5.4.7.1-double.txt"))
    decoded = traffic.decode_ethernet(frame["raw"])
    assert [tag["vid"] for tag in decoded["vlans"]] == [100, 10]
    assert [tag["tpid"] for tag in decoded["vlans"]] == [0x8100, 0x8100]
    assert (decoded["dst"], decoded["src"]) == ("ff:ff:ff:ff:ff:ff", "52:54:00:f0:25:e4")
    assert decoded["arp"]["target_ip"] == "192.168.10.101"


def test_tcpdump_5_4_9_1_multicast_ipv4():
    frames = traffic.parse_tcpdump_hex(fixture("record/tcpdump-XX-5.4.9.1.txt"))
    assert [frame["timestamp"] for frame in frames] == ["12:45:39.316576", "12:45:39.331109"]
    assert frames[0]["summary"].splitlines()[1] == (
        "192.168.0.1.1234 > 224.0.0.1.5678: Flags [.], cksum 0xe18e (correct), seq 0:6, ack 1, win 8192, length 6"
    )
    decoded = [traffic.decode_ethernet(frame["raw"]) for frame in frames]
    for frame in decoded:
        assert frame["dst"] == "01:00:5e:00:00:01"
        assert frame["vlans"] == []
        assert (frame["ipv4"]["src"], frame["ipv4"]["dst"]) == ("192.168.0.1", "224.0.0.1")
        assert (frame["ipv4"]["proto"], frame["ipv4"]["ttl"], frame["ipv4"]["total_length"]) == (6, 4, 46)
    assert [frame["ipv4"]["identification"] for frame in decoded] == [52062, 49983]


def test_tcpdump_capture_with_status_lines_and_hex_looking_ascii():
    stderr = fixture("generated/tcpdump-XX-arp-icmp.stderr.txt").splitlines(keepends=True)
    # As on a terminal: "listening on" first, the packet counts after the frames.
    text = stderr[0] + fixture("generated/tcpdump-XX-arp-icmp.txt") + "".join(stderr[1:])
    request, reply, echo = traffic.parse_tcpdump_hex(text)
    assert traffic.decode_ethernet(reply["raw"])["arp"]["op"] == 2
    # The last hex line is "3637   67": its ASCII column "67" must not be read as a byte.
    assert len(echo["raw"]) == 98
    assert traffic.decode_ethernet(echo["raw"])["ipv4"]["total_length"] == 84
    assert len(request["raw"]) == 42


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "12:45:39.316576 IP\n\t0x0000:  0100 5e00\n\t0x0020:  0001 04d2\n",
            "line 3: expected hex offset 0x0004,",
        ),
        ("12:45:39.316576 IP\n\t0x0000:  0100 5e0g  ..^.\n", "line 2: expected up to 8 groups"),
        ("12:45:39.316576 IP (tos 0x0, ttl 4)\n", "no hex dump"),
        ("\t0x0000:  0100 5e00  ..^.\n", "line 1: expected a 'HH:MM:SS.ffffff"),
    ],
)
def test_tcpdump_rejects_malformed_text(text, message):
    with pytest.raises(ValueError, match=message):
        traffic.parse_tcpdump_hex(text)


def test_decode_ethernet_8021ad_outer_tag_and_priority():
    frame = (
        bytes.fromhex("ffffffffffff525400f025e4")
        + struct.pack("!HH", 0x88A8, (5 << 13) | 200)
        + struct.pack("!HH", 0x8100, 10)
        + struct.pack("!H", 0x86DD)
        + bytes(40)
    )
    decoded = traffic.decode_ethernet(frame)
    assert decoded["vlans"] == [
        {"tpid": 0x88A8, "pcp": 5, "dei": 0, "vid": 200},
        {"tpid": 0x8100, "pcp": 0, "dei": 0, "vid": 10},
    ]
    assert (decoded["ethertype"], decoded["ipv4"], decoded["arp"]) == (0x86DD, None, None)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (bytes(13), "truncated Ethernet header"),
        (bytes(12) + b"\x81\x00\x00\x64", "truncated VLAN tag 1"),
        (bytes(12) + b"\x08\x00" + bytes(19), "truncated IPv4 header"),
        (bytes(12) + b"\x08\x00" + b"\x65" + bytes(19), "expected IP version 4"),
        (bytes(12) + b"\x08\x06" + bytes(27), "truncated ARP packet"),
        (bytes(12) + b"\x08\x06" + bytes(4) + b"\x08\x06" + bytes(22), "Ethernet/IPv4 ARP"),
    ],
)
def test_decode_ethernet_rejects_truncated_or_foreign_frames(raw, message):
    with pytest.raises(ValueError, match=message):
        traffic.decode_ethernet(raw)


def test_proc_net_snmp_counts_what_a_full_udp_socket_buffer_dropped():
    """This machine's /proc/net/snmp (kernel 6.18) in a fresh network namespace after 200 datagrams of 1400 bytes
    were sent on loopback to a socket with SO_RCVBUF 4096 that never read: 3 queued, 197 dropped."""
    snmp = traffic.parse_proc_net_snmp(fixture("generated/proc-net-snmp-udp-rcvbuf-overflow.txt"))
    assert snmp["Udp"]["RcvbufErrors"] == 197 and snmp["Udp"]["OutDatagrams"] == 200
    assert snmp["Tcp"]["MaxConn"] == -1 and set(snmp) == {"Ip", "Icmp", "Tcp", "Udp", "UdpLite"}
    with pytest.raises(ValueError, match="expected pairs of lines"):
        traffic.parse_proc_net_snmp("Udp: InDatagrams\n")
    with pytest.raises(ValueError, match="the Udp: names and Tcp: values do not pair up"):
        traffic.parse_proc_net_snmp("Udp: InDatagrams\nTcp: 1\n")
    with pytest.raises(ValueError, match="Udp: has a value that is not an integer"):
        traffic.parse_proc_net_snmp("Udp: InDatagrams\nUdp: x\n")
