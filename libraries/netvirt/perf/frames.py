"""Frame sizes, rates and the byte accounting every figure of chapter 7.3 rests on.

RFC 2544 frame sizes count the Ethernet frame from the destination MAC through the FCS. A
UDP/IPv4 test frame of ``F`` bytes carries ``F - 46`` bytes of UDP payload:

    F = 14 (Ethernet header) + 20 (IPv4 header) + 8 (UDP header) + payload + 4 (FCS)

On the wire each frame also takes 20 bytes of preamble, start delimiter and inter-frame gap,
so a link of ``S`` bit/s carries at most ``S / ((F + 20) * 8)`` frames per second: the line
rate (14.88 Mpps of 64-byte frames on 10GE). Figures are given as frames per second (Mpps),
as the L2 bit rate (``F * 8`` bits per frame, what ``Gbit/s`` means in the tables) and as a
percentage of the line rate (L1, preamble and gap included).

iperf3 counts only UDP payload (``-l``, ``-b``); OVS-DPDK's policers count the IP packet
(the mbuf's length minus the 14-byte Ethernet header; the FCS is never in the mbuf).
"""

from __future__ import annotations

import math

ETHERNET_HEADER = 14
FCS = 4
IPV4_HEADER = 20
UDP_HEADER = 8
PREAMBLE_AND_GAP = 20  # 7 preamble + 1 start-of-frame delimiter + 12 inter-frame gap
UDP_OVERHEAD = ETHERNET_HEADER + IPV4_HEADER + UDP_HEADER + FCS  # 46
MIN_FRAME = 64
RFC2544_FRAME_SIZES = (64, 128, 256, 512, 1024, 1280, 1518)
JUMBO_FRAME = 9000


class PerfInputError(ValueError):
    """A performance measurement was asked for something that cannot be measured; the message says why."""


def max_frame(mtu: int) -> int:
    """The largest frame an MTU lets through: the IP packet plus Ethernet header and FCS."""
    return mtu + ETHERNET_HEADER + FCS


def check_frame_size(frame: int, mtu: int) -> int:
    """``frame`` if it is a whole number of bytes between 64 and what ``mtu`` allows, else PerfInputError."""
    if isinstance(frame, bool) or not isinstance(frame, int):
        raise PerfInputError(f"帧长 {frame!r} 不是整数字节数")
    if frame < MIN_FRAME:
        raise PerfInputError(f"帧长 {frame} 字节小于以太网最小帧长 {MIN_FRAME} 字节（RFC 2544）")
    if frame > max_frame(mtu):
        raise PerfInputError(
            f"帧长 {frame} 字节超过 MTU {mtu} 允许的最大帧长 {max_frame(mtu)} 字节"
            f"（MTU + {ETHERNET_HEADER} 字节以太网头 + {FCS} 字节 FCS）"
        )
    return frame


def check_loss_ratio(ratio: float, what: str = "丢包率") -> float:
    """``ratio`` if it is in [0, 1) (0 for NDR), else PerfInputError."""
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio < 1:
        raise PerfInputError(f"{what} {ratio!r} 超出范围 [0, 1)：NDR 为 0，PDR 通常为 0.005（0.5 %）")
    return float(ratio)


def check_duration(seconds: float, what: str = "试验时长") -> float:
    """``seconds`` if it is a positive finite number, else PerfInputError."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds < math.inf:
        raise PerfInputError(f"{what} {seconds!r} 秒不合法：必须大于 0")
    return float(seconds)


def check_load(pps: float) -> float:
    """``pps`` if it is a positive finite frame rate, else PerfInputError."""
    if isinstance(pps, bool) or not isinstance(pps, (int, float)) or not 0 < pps < math.inf:
        raise PerfInputError(f"负载 {pps!r} 帧/秒不合法：必须大于 0")
    return float(pps)


def udp_payload(frame: int) -> int:
    """UDP payload bytes of a UDP/IPv4 frame of ``frame`` bytes (64 -> 18, 1518 -> 1472)."""
    return frame - UDP_OVERHEAD


def ip_bytes(frame: int) -> int:
    """The IP packet of a frame: what an OVS-DPDK policer counts (64 -> 46, 1518 -> 1500)."""
    return frame - ETHERNET_HEADER - FCS


def line_rate_pps(speed_mbps: int, frame: int) -> float:
    """Frames per second a link of ``speed_mbps`` carries at most (10GE, 64 B: 14 880 952)."""
    return speed_mbps * 1e6 / ((frame + PREAMBLE_AND_GAP) * 8)


def l2_bps(pps: float, frame: int) -> float:
    """The L2 bit rate of ``pps`` frames of ``frame`` bytes (FCS included)."""
    return pps * frame * 8


def pps_from_l2_bps(bps: float, frame: int) -> float:
    """Frames per second of an L2 bit rate ``bps`` (the inverse of ``l2_bps``)."""
    return check_load(bps) / (frame * 8)


def pct_of_line_rate(pps: float, frame: int, speed_mbps: int) -> float:
    """``pps`` as a percentage of the line rate (L1: preamble and gap included)."""
    return 100.0 * pps / line_rate_pps(speed_mbps, frame)


def iperf3_bitrate(pps: float, frame: int) -> int:
    """What ``iperf3 -b`` must say for ``pps`` frames of ``frame`` bytes: it counts UDP payload bits."""
    return max(1, round(pps * udp_payload(frame) * 8))


def policer_pps(cir_bytes: float, frame: int) -> float:
    """Frames per second an OVS-DPDK policer of ``cir_bytes`` bytes/s passes (it counts IP bytes)."""
    return cir_bytes / ip_bytes(frame)


def policer_ndr_pps(cir_bytes: float, cbs_bytes: float, frame: int, duration_s: float) -> float:
    """The highest rate a trial of ``duration_s`` seconds passes through an srTCM policer without loss.

    The bucket starts a trial full (``cbs``) and fills at ``cir``: a smooth stream loses nothing
    while ``rate * t <= cbs + cir * t`` for every ``t`` up to the trial's end, so the zero-loss
    limit is ``(cir + cbs / duration) / ip_bytes(frame)`` frames per second.
    """
    return (cir_bytes + cbs_bytes / check_duration(duration_s)) / ip_bytes(frame)


def frame_sizes_for(sizes: list[int] | tuple[int, ...], mtu: int) -> list[int]:
    """``sizes`` without those above what ``mtu`` allows (a jumbo size on a 1500-byte path)."""
    return [size for size in sizes if size <= max_frame(mtu)]
