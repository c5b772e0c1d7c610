#!/usr/bin/env python3
"""Send crafted Ethernet frames from one interface: the record's DPDK pktgen, for labs without it.

Runs on the sending host (python3 standard library only, root for AF_PACKET). Each frame is
Ethernet, optional 802.1Q/802.1ad tags (outermost first), IPv4 and UDP, padded to at least
60 bytes; frames are paced to ``--rate`` per second. Prints one JSON line: the interface,
frames sent, seconds taken, frame length and the first frame in hex.

    python3 framesend.py --interface enP5p1s0 --dst-mac 01:00:5e:00:00:02 \
        --src-ip 192.168.0.1 --dst-ip 225.0.0.2 --vlan 100 --vlan 10 --count 100 --rate 100
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import socket
import struct
import sys
import time
from collections.abc import Sequence

ETH_P_IPV4 = 0x0800
MIN_FRAME = 60  # without the FCS the NIC adds
PAYLOAD = b"netvirt-robot framesend "


def mac_bytes(text: str) -> bytes:
    parts = text.split(":")
    if len(parts) != 6 or not all(len(p) == 2 for p in parts):
        raise ValueError(f"not a MAC address: {text!r}")
    return bytes(int(p, 16) for p in parts)


def ipv4_checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def build_frame(
    dst_mac: str,
    src_mac: str,
    src_ip: str,
    dst_ip: str,
    vlans: Sequence[int] = (),
    tpids: Sequence[int] = (),
    ttl: int = 4,
    sport: int = 1234,
    dport: int = 5678,
    payload_size: int = 18,
) -> bytes:
    """One Ethernet/[VLAN...]/IPv4/UDP frame; ``tpids[i]`` is the TPID of ``vlans[i]`` (0x8100 if absent)."""
    tags = b"".join(
        struct.pack("!HH", tpids[i] if i < len(tpids) else 0x8100, vid & 0x0FFF) for i, vid in enumerate(vlans)
    )
    payload = (PAYLOAD * (payload_size // len(PAYLOAD) + 1))[:payload_size]
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload  # checksum 0: none, valid for IPv4
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + len(udp),
        0,
        0,
        ttl,
        socket.IPPROTO_UDP,
        0,
        ipaddress.IPv4Address(src_ip).packed,
        ipaddress.IPv4Address(dst_ip).packed,
    )
    header = header[:10] + struct.pack("!H", ipv4_checksum(header)) + header[12:]
    frame = mac_bytes(dst_mac) + mac_bytes(src_mac) + tags + struct.pack("!H", ETH_P_IPV4) + header + udp
    return frame.ljust(MIN_FRAME, b"\0")


def interface_mac(interface: str) -> str:
    with open(f"/sys/class/net/{interface}/address", encoding="ascii") as f:
        return f.read().strip()


def send(interface: str, frame: bytes, count: int, rate: float) -> float:
    """Send ``frame`` ``count`` times at ``rate`` frames/s; return the seconds it took."""
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind((interface, 0))
        start = time.monotonic()
        for index in range(count):
            # Pace against the start time, not the previous frame, so sleep jitter does not add up.
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sock.send(frame)
        return time.monotonic() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interface", required=True)
    parser.add_argument("--dst-mac", required=True)
    parser.add_argument("--src-mac")
    parser.add_argument("--src-ip", required=True)
    parser.add_argument("--dst-ip", required=True)
    parser.add_argument("--vlan", type=int, action="append", default=[])
    parser.add_argument("--tpid", type=lambda text: int(text, 0), action="append", default=[])
    parser.add_argument("--ttl", type=int, default=4)
    parser.add_argument("--sport", type=int, default=1234)
    parser.add_argument("--dport", type=int, default=5678)
    parser.add_argument("--payload-size", type=int, default=18)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--rate", type=float, default=100.0)
    args = parser.parse_args(argv)
    src_mac = args.src_mac or interface_mac(args.interface)
    frame = build_frame(
        args.dst_mac,
        src_mac,
        args.src_ip,
        args.dst_ip,
        args.vlan,
        args.tpid,
        args.ttl,
        args.sport,
        args.dport,
        args.payload_size,
    )
    seconds = send(args.interface, frame, args.count, args.rate)
    report = {
        "interface": args.interface,
        "sent": args.count,
        "seconds": round(seconds, 3),
        "frame_bytes": len(frame),
        "first_frame": frame.hex(),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (OSError, ValueError) as err:
        print(f"framesend: {err}", file=sys.stderr)
        sys.exit(2)
