"""Capture decoding: the record's tcpdump -XX samples and a real tcpdump -w file, selections, hex dumps."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from netvirt.parsers.traffic import parse_pcap, parse_tcpdump_hex
from netvirt.traffic import frames

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def pcap_file(raws: list[bytes], order: str = "<", nanoseconds: bool = False, linktype: int = 1) -> bytes:
    magic = 0xA1B23C4D if nanoseconds else 0xA1B2C3D4
    data = struct.pack(f"{order}IHHiIII", magic, 2, 4, 0, 0, 262144, linktype)
    for index, raw in enumerate(raws):
        data += struct.pack(f"{order}IIII", 1_700_000_000 + index, 500, len(raw), len(raw) + 4) + raw
    return data


def test_record_5_4_7_1_single_and_double_tags():
    (single,) = frames.from_tcpdump_text(text("record/tcpdump-XX-5.4.7.1-single.txt"))
    (double,) = frames.from_tcpdump_text(text("record/tcpdump-XX-5.4.7.1-double.txt"))
    assert frames.vlan_ids(single) == [100] and frames.vlan_ids(double) == [100, 10]
    assert frames.tag_stack(double) == "0x8100:100 / 0x8100:10"
    assert frames.addresses(double) == {"192.168.10.200", "192.168.10.101"}
    assert frames.table_rows([double])[0][1:] == [
        "18:04:39.898836",
        "52:54:00:f0:25:e4",
        "ff:ff:ff:ff:ff:ff",
        "0x8100:100 / 0x8100:10",
        "ARP",
        "192.168.10.200",
        "192.168.10.101",
        "ARP request",
        60,
    ]


def test_record_5_4_9_1_multicast_frames_counted_by_group_and_mac():
    captured = frames.from_tcpdump_text(text("record/tcpdump-XX-5.4.9.1.txt"))
    good, wrong_mac = frames.multicast_frames(captured, "224.0.0.1")
    assert [f["no"] for f in good] == [1, 2] and wrong_mac == []
    assert frames.multicast_frames(captured, "225.0.0.2") == ([], [])
    assert frames.icmp_frames(captured) == []


def test_multicast_frames_with_the_wrong_mac_are_kept_apart():
    captured = frames.from_tcpdump_text(text("record/tcpdump-XX-5.4.9.1.txt"))
    captured[1]["dst"] = "01:00:5e:00:00:09"
    good, wrong_mac = frames.multicast_frames(captured, "224.0.0.1")
    assert ([f["no"] for f in good], [f["no"] for f in wrong_mac]) == ([1], [2])


@pytest.mark.parametrize(
    ("group", "mac"),
    [("224.0.0.1", "01:00:5e:00:00:01"), ("225.0.0.2", "01:00:5e:00:00:02"), ("239.255.129.1", "01:00:5e:7f:81:01")],
)
def test_multicast_mac_keeps_the_low_23_bits(group, mac):
    assert frames.multicast_mac(group) == mac


def test_multicast_mac_refuses_unicast():
    with pytest.raises(ValueError, match="5.5.5.11 不是组播地址"):
        frames.multicast_mac("5.5.5.11")


def test_icmp_found_in_the_generated_arp_icmp_capture():
    captured = frames.from_tcpdump_text(text("generated/tcpdump-XX-arp-icmp.txt"))
    (icmp,) = frames.icmp_frames(captured)
    assert (icmp["no"], icmp["ipv4"]["src"], icmp["ipv4"]["dst"]) == (3, "198.18.0.1", "198.18.0.2")


@pytest.mark.parametrize("name", ["record/tcpdump-XX-5.4.7.1-double.txt", "record/tcpdump-XX-5.4.9.1.txt"])
def test_hex_dump_reads_back_to_the_same_bytes(name):
    for frame in parse_tcpdump_hex(text(name)):
        dumped = frames.hex_dump(frame["raw"])
        (again,) = parse_tcpdump_hex("18:04:39.898836 frame\n" + dumped)
        assert again["raw"] == frame["raw"]


def test_hex_dump_looks_like_tcpdump():
    (frame,) = parse_tcpdump_hex(text("record/tcpdump-XX-5.4.7.1-double.txt"))
    assert frames.hex_dump(frame["raw"].hex()).splitlines()[0] == (
        "\t0x0000:  ffff ffff ffff 5254 00f0 25e4 8100 0064  ......RT..%....d"
    )


def test_real_tcpdump_w_file_qinq_multicast_and_icmp():
    """Captured on the embedded lab: 3 QinQ (100/10) and 2 untagged frames to 225.0.0.2, a ping."""
    captured = frames.from_pcap((FIXTURES / "generated/tcpdump-w-qinq-multicast-icmp.pcap").read_bytes())
    assert [frames.vlan_ids(f) for f in captured] == [[100, 10]] * 3 + [[]] * 4
    good, _ = frames.multicast_frames(captured, "225.0.0.2")
    assert len(good) == 5
    assert [f["ipv4"]["src"] for f in frames.icmp_frames(captured)] == ["5.5.5.11", "5.5.5.22"]
    assert captured[0]["length"] == 68 and captured[0]["ipv4"]["ttl"] == 4
    assert isinstance(captured[0]["time"], float)


@pytest.mark.parametrize(("order", "nanoseconds"), [("<", False), (">", False), ("<", True)])
def test_pcap_byte_orders_and_timestamp_resolutions(order, nanoseconds):
    (raw,) = [f["raw"] for f in parse_tcpdump_hex(text("record/tcpdump-XX-5.4.7.1-single.txt"))]
    (frame,) = frames.from_pcap(pcap_file([raw], order, nanoseconds))
    assert frame["vlans"][0]["vid"] == 100 and frame["length"] == len(raw) + 4
    assert frame["time"] == pytest.approx(1_700_000_000 + (500e-9 if nanoseconds else 500e-6))


def test_pcap_errors_are_named():
    with pytest.raises(ValueError, match="链路类型为 276"):
        frames.from_pcap(pcap_file([], linktype=276))
    with pytest.raises(ValueError, match="pcapng"):
        parse_pcap(b"\x0a\x0d\x0d\x0a" + bytes(40))
    with pytest.raises(ValueError, match="truncated pcap record at byte 24"):
        parse_pcap(pcap_file([bytes(60)])[:-1])


def test_a_frame_that_does_not_decode_keeps_its_bytes_and_says_why():
    bad = bytes.fromhex("01005e000001248a07b5707008006500")  # IPv4 ethertype, version 6, truncated
    (frame,) = frames.from_pcap(pcap_file([bad]))
    assert frame["raw"] == bad.hex() and "truncated IPv4 header" in frame["error"]
    assert frames.table_rows([frame])[0][5].startswith("无法解码")
    assert frames.icmp_frames([frame]) == [] and frames.addresses(frame) == set()
