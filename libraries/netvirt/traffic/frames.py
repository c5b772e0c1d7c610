"""Captured frames as dicts, the selections the verdicts use, and tcpdump-style hex dumps.

A frame is ``decode_ethernet``'s dict (``dst``, ``src``, ``vlans``, ``ethertype``, ``ipv4``,
``arp``) plus ``no`` (1-based), ``time``, ``length`` (on the wire), ``raw`` (hex string,
so that Robot can log and compare it) and ``error`` (None, or why the frame did not
decode). Frames come from a pcap file (what ``启动抓包`` records) or from the text of
``tcpdump -XX`` (what the record pasted): the same decoding serves both, so the unit
tests on the record's captures test what the keywords do on a lab.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from netvirt import validate
from netvirt.parsers.traffic import (
    LINKTYPE_ETHERNET,
    decode_ethernet,
    format_tcpdump_hex,
    parse_pcap,
    parse_tcpdump_hex,
)

Frame = dict[str, Any]
IPPROTO_ICMP = 1
_ETHERTYPES = {0x0800: "IPv4", 0x0806: "ARP", 0x86DD: "IPv6", 0x88CC: "LLDP"}
_PROTOCOLS = {1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP"}
TABLE_HEADERS = ["序号", "时间", "源 MAC", "目的 MAC", "VLAN（外→内）", "类型", "源 IP", "目的 IP", "协议", "长度"]


def frame_of(no: int, time: float | str, length: int, raw: bytes) -> Frame:
    """Decode one frame; a frame that does not decode keeps its bytes and says why."""
    frame: Frame = {"no": no, "time": time, "length": length, "raw": raw.hex(), "error": None}
    try:
        frame.update(decode_ethernet(raw))
    except ValueError as err:
        frame.update(dst=None, src=None, vlans=[], ethertype=None, ipv4=None, arp=None, error=str(err))
    return frame


def from_pcap(data: bytes) -> list[Frame]:
    """Frames of a ``tcpdump -w`` file taken on an Ethernet interface."""
    pcap = parse_pcap(data)
    if pcap["linktype"] != LINKTYPE_ETHERNET:
        raise ValueError(f"抓包文件的链路类型为 {pcap['linktype']}，不是以太网（1）：请在具体的以太网接口上抓包")
    return [frame_of(i, p["timestamp"], p["orig_len"], p["raw"]) for i, p in enumerate(pcap["packets"], 1)]


def from_tcpdump_text(text: str) -> list[Frame]:
    """Frames of ``tcpdump -XX`` output, as pasted in the record."""
    return [frame_of(i, f["timestamp"], len(f["raw"]), f["raw"]) for i, f in enumerate(parse_tcpdump_hex(text), 1)]


def vlan_ids(frame: Frame) -> list[int]:
    """The VLAN IDs of the frame's tag stack, outermost first (``[100, 10]`` for the record's QinQ)."""
    return [tag["vid"] for tag in frame["vlans"]]


def addresses(frame: Frame) -> set[str]:
    """The IPv4 addresses a frame carries: IPv4 source and destination, ARP sender and target."""
    found = set()
    if frame["ipv4"]:
        found |= {frame["ipv4"]["src"], frame["ipv4"]["dst"]}
    if frame["arp"]:
        found |= {frame["arp"]["sender_ip"], frame["arp"]["target_ip"]}
    return found


def icmp_frames(frames: Iterable[Frame]) -> list[Frame]:
    return [f for f in frames if f["ipv4"] and f["ipv4"]["proto"] == IPPROTO_ICMP]


def multicast_mac(group_ip: str) -> str:
    """The Ethernet address of an IPv4 multicast group: 01:00:5e and the group's low 23 bits.

    >>> multicast_mac("225.0.0.2")
    '01:00:5e:00:00:02'
    """
    group = validate.ipv4_address(group_ip, "组播组")
    if not group.is_multicast:
        raise ValueError(f"{group_ip} 不是组播地址（224.0.0.0/4）")
    low = int(group) & 0x7FFFFF
    return "01:00:5e:" + ":".join(f"{(low >> shift) & 0xFF:02x}" for shift in (16, 8, 0))


def multicast_frames(frames: Iterable[Frame], group_ip: str) -> tuple[list[Frame], list[Frame]]:
    """Frames to ``group_ip`` with the group's MAC, and those to the group with another MAC."""
    mac = multicast_mac(group_ip)
    to_group = [f for f in frames if f["ipv4"] and f["ipv4"]["dst"] == group_ip]
    return [f for f in to_group if f["dst"] == mac], [f for f in to_group if f["dst"] != mac]


def _kind(frame: Frame) -> str:
    if frame["ethertype"] is None:
        return "?"
    return _ETHERTYPES.get(frame["ethertype"], f"0x{frame['ethertype']:04x}")


def _protocol(frame: Frame) -> str:
    if frame["arp"]:
        return {1: "ARP request", 2: "ARP reply"}.get(frame["arp"]["op"], f"ARP op {frame['arp']['op']}")
    if frame["ipv4"]:
        return _PROTOCOLS.get(frame["ipv4"]["proto"], str(frame["ipv4"]["proto"]))
    return ""


def _time(value: float | str) -> str:
    return f"{value:.6f}" if isinstance(value, float) else str(value)


def tag_stack(frame: Frame) -> str:
    """``0x8100:100 / 0x8100:10``, or ``—`` for an untagged frame."""
    return " / ".join(f"0x{tag['tpid']:04x}:{tag['vid']}" for tag in frame["vlans"]) or "—"


def table_rows(frames: Sequence[Frame]) -> list[list[object]]:
    """One row per frame under ``TABLE_HEADERS``."""
    rows: list[list[object]] = []
    for f in frames:
        ip = f["ipv4"] or {}
        arp = f["arp"] or {}
        rows.append(
            [
                f["no"],
                _time(f["time"]),
                f["src"] or "",
                f["dst"] or "",
                tag_stack(f),
                _kind(f) if not f["error"] else f"无法解码：{f['error']}",
                ip.get("src") or arp.get("sender_ip", ""),
                ip.get("dst") or arp.get("target_ip", ""),
                _protocol(f),
                f["length"],
            ]
        )
    return rows


def hex_dump(raw: bytes | str) -> str:
    """A frame's bytes (or its ``raw`` hex string) the way ``tcpdump -XX`` prints them."""
    return format_tcpdump_hex(bytes.fromhex(raw) if isinstance(raw, str) else raw)
