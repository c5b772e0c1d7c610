"""A frame generator measurer on netsniff-ng's ``trafgen``: fixed-size frames at a set rate, counted at the ports.

``trafgen`` (Debian/CentOS package netsniff-ng) sends one Ethernet frame, built here byte for
byte, from user space through a packet socket: ``-n`` frames with ``-t <gap>ns`` between them on
one CPU (``-P 1``), so a trial offers exactly N = R × T frames of size S at rate R, evenly spaced.
Not ``-b <rate>pps``: trafgen 0.6.8 keeps that rate on average but sends in bursts (measured on the
embedded lab's p2p path at 500 frames/s: 250-320 of 500 frames arrived with ``-b``, all 500 with
``-t 2ms``, and iperf3's 500 as well), and a burst overflows the first socket buffer on the path.
trafgen sleeps after each frame, so the gap is the frame interval less the time one frame and one
sleep cost beyond the gap: the "overshoot". It grows with the gap (measured on an idle machine: ~10 µs
at 20-100 µs intervals, ~26 µs at 1 ms; one value for all made trials at 50 kpps run 20-30 % fast), so
it is kept by interval band (``Overshoots``: each power of two of the interval in ns), measured at
``start()`` at four gaps (1 ms, 200, 50 and 10 µs; ``CALIBRATION``), and after every trial
updated in the trial's band from what the trial took, half old and half new, as it changes with the
machine's load; a band not measured yet takes the value between its measured neighbours. The
process's timer slack is set to 1 ns where the kernel has ``/proc/<pid>/timerslack_ns``. A trial
that still ran faster than its rate is noted. The gap stays at least a quarter of the interval
(trafgen then falls behind, a time shortfall, instead of bursting); only a rate above 1 Mpps is sent
without a gap, as fast as trafgen goes. Without a rate it sends as fast as its TX ring lets it (the
generator's maximum, see ``benchmarks/trafgen_vs_iperf3.py``).
It never touches the machine's settings: ``--no-sock-mem`` (no core socket memory sysctls) and
``-Q`` (no IRQ affinity); ``-H`` raises its own priority (nice -20) as a generator's dedicated core
would (measured under load 18 on 2 cores: 5000 frames 150 µs apart took 1.9-2.0 s without, 0.9 s with).

The frame is IPv4/UDP from the sending end's address to the receiving end's, port 9 (discard),
with the Ethernet addresses of the sending interface and of the next hop toward the receiver
(the receiver itself, or the VM routing the pvp path), read from the kernel's neighbour table
after the path's ping. Its size on the wire is the trial's frame size: ``frame - 4`` bytes are
built, the NIC (or veth) adds no FCS that a counter would see, and the search's line-rate
accounting counts the 4 FCS bytes as every generator does.

Counting is at the ports, not at a socket: frames sent are the sending interface's
``tx_packets`` and frames received the receiving interface's ``rx_packets``, read from
``/proc/net/dev`` (it follows the network namespace of the reader, as sysfs does not under
``nsenter -n``; every kernel has it) before and after the trial. The receiving side is read
again until it stops growing (frames still in the DUT's queues when trafgen exits). Other frames
on the two ports during a trial (ARP, the latency probes) are counted on both sides alike; a frame
that reaches the receiver from elsewhere can only hide a loss of as many frames, never make one.

trafgen sends its count even when it cannot keep the rate (a busy CPU): the time it took beyond
the trial's duration and its pacing precision (2 %) is the trial's ``time_shortfall``, which the
search counts as the generator's, not the DUT's (above the search's shortfall tolerance the frames
forwarded per intended second are what is judged: a load the generator did not offer is not reported
as forwarded). The time is trafgen's own (its exit statistics, ``N sec, M usec on CPU0``: first frame
to last, start-up excluded): an NDR search against a policer of known rate found loads 2-3 % too high
when slower trials passed for the intended rate (``benchmarks/ndr_accuracy.py``). A trafgen that
prints no time falls back on its run time less its start-up (measured once with one frame), which
varies by tens of milliseconds: only a shortfall beyond that shows, and where the start-up is itself
slow (any of three above 0.5 s: trafgen in an emulated guest takes seconds) none does, and the
trial's note says so. A load it cannot
offer at all (a search's first trial at a 10GE line rate) would take minutes, so each trial runs
under ``timeout -s INT`` at half as long again as its duration: trafgen stops, the port counter says
how many frames went out, and the count's shortfall says the rest.

On a guest (VM-VM paths) trafgen runs from the guest's view of the machine's userland (the
embedded lab's guests mount it over 9p); ``start()`` fails with GeneratorUnavailable when the
sending end has no trafgen, and the caller falls back to iperf3, saying so.
"""

from __future__ import annotations

import json
import math
import re
import shlex
import struct
import time

from netvirt.perf import frames
from netvirt.perf.generators import READY_TIMEOUT, Endpoint, GeneratorUnavailable, SessionOf, probe_sender_argv
from netvirt.perf.latency import LatencyStats
from netvirt.perf.measurer import FAST_TOLERANCE, Measurer, TrialResult
from netvirt.remote import script
from netvirt.ssh import CommandResult, SshSession
from netvirt.traffic.hostproc import remove_tempdir, require_tools, sftp, start_background, tempdir_path
from netvirt.traffic.ping import ping_argv

TRAFGEN = "trafgen"
SOURCE_PORT = 5000
DISCARD_PORT = 9
TRAFGEN_MAX_FRAME = 2048  # trafgen's default buffer; bigger frames need -J
DRAIN_STEP_S = 0.15
DRAIN_MAX_S = 3.0
ELAPSED = "nvperf-elapsed-ns"
SECTION = "@@nvperf:"  # a line opening one part of a combined command's output (split_sections)
START_JITTER_S = 0.1  # how much trafgen's start-up varies on a busy machine (measured: 70-160 ms)
# How closely trafgen keeps a rate over a trial by its own clock: it sleeps a fixed gap after each frame, and what a
# frame and a sleep cost beyond the gap varies with the machine's load (1 s trials here took 0.989-1.035 s). A trial
# up to this much longer than its duration kept the rate; beyond it the generator fell short.
PACING_PRECISION = 0.02
TIMED_OUT = 124  # timeout's exit status when it stopped the command
# The overshoot's calibration at start(): frames and trafgen's gap (ns), from 1 ms down to 10 µs (0.4 s of sending).
CALIBRATION = ((200, 1_000_000), (500, 200_000), (1000, 50_000), (2000, 10_000))
UNTIMED_OVERHEAD_S = 0.5  # a start-up this slow (trafgen in an emulated guest: seconds) hides the sending time
MIN_GAP_INTERVAL_NS = 1000  # above 1 Mpps trafgen sends without a gap (no user-space sleep is that short)
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


class TrafgenError(RuntimeError):
    """A trafgen trial failed; the message has the command and its output."""


# -- pure helpers (unit-tested) ----------------------------------------------------------------------


def parse_proc_net_dev(text: str) -> dict[str, dict[str, int]]:
    """``/proc/net/dev`` as ``{ifname: {"rx_packets", "rx_dropped", "tx_packets", "tx_dropped"}}``.

    The layout has been the same since Linux 2.6 (CentOS 7's 3.10 as today's): two header lines, then
    ``name: rx bytes packets errs drop fifo frame compressed multicast tx bytes packets errs drop ...``.
    """
    stats = {}
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        fields = rest.split()
        if not sep or "|" in line or len(fields) < 12:
            continue
        try:
            values = [int(f) for f in fields]
        except ValueError:
            continue
        stats[name.strip()] = {
            "rx_packets": values[1],
            "rx_dropped": values[3],
            "tx_packets": values[9],
            "tx_dropped": values[11],
        }
    if not stats:
        raise ValueError(f"/proc/net/dev 的内容无法解析：{text[:200]!r}")
    return stats


def parse_link_mac(text: str) -> str:
    """The MAC address from ``ip -o link show dev X`` (``link/ether aa:bb:...``), any iproute2 version."""
    found = re.search(r"link/ether\s+(\S+)", text)
    if not found or not _MAC.match(found.group(1).lower()):
        raise ValueError(f"ip link 输出中没有以太网地址：{text.strip()[:200]}")
    return found.group(1).lower()


def parse_route_next_hop(text: str, destination: str) -> str:
    """The next hop toward ``destination`` from ``ip route get``: its ``via`` gateway, or the destination itself."""
    found = re.search(r"\bvia\s+(\S+)", text)
    return found.group(1) if found else destination


def parse_neigh_mac(text: str) -> str | None:
    """The ``lladdr`` of ``ip neigh show to X dev Y`` (None when the entry is missing or FAILED/INCOMPLETE)."""
    found = re.search(r"\blladdr\s+(\S+)", text)
    return found.group(1).lower() if found and _MAC.match(found.group(1).lower()) else None


def _mac_bytes(mac: str) -> bytes:
    if not _MAC.match(mac.lower()):
        raise ValueError(f"不是以太网地址：{mac!r}")
    return bytes(int(part, 16) for part in mac.split(":"))


def _ipv4_bytes(address: str) -> bytes:
    parts = address.split(".")
    if len(parts) != 4 or not all(p.isdigit() and 0 <= int(p) <= 255 for p in parts):
        raise ValueError(f"不是 IPv4 地址：{address!r}")
    return bytes(int(p) for p in parts)


def ipv4_checksum(header: bytes) -> int:
    """RFC 1071's one's complement sum of a header whose checksum field is zero."""
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp_frame(frame_size: int, src_mac: str, dst_mac: str, src_ip: str, dst_ip: str) -> bytes:
    """The frame trafgen sends: Ethernet + IPv4 + UDP + zero payload, ``frame_size - 4`` bytes (no FCS)."""
    if frame_size < frames.MIN_FRAME:
        raise frames.PerfInputError(f"帧长 {frame_size} 小于 {frames.MIN_FRAME} 字节")
    payload = frames.udp_payload(frame_size)
    ip_length = 20 + 8 + payload
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, ip_length, 0, 0x4000, 64, 17, 0, _ipv4_bytes(src_ip), _ipv4_bytes(dst_ip)
    )
    header = header[:10] + struct.pack("!H", ipv4_checksum(header)) + header[12:]
    udp = struct.pack("!HHHH", SOURCE_PORT, DISCARD_PORT, 8 + payload, 0)  # checksum 0: none (IPv4)
    ethernet = _mac_bytes(dst_mac) + _mac_bytes(src_mac) + b"\x08\x00"
    return ethernet + header + udp + bytes(payload)  # frame_size - FCS bytes


def trafgen_packet(frame: bytes) -> str:
    """trafgen's packet configuration for ``frame``: its 42 header bytes, then ``fill(0x00, n)`` for the payload."""
    head, payload = frame[:42], frame[42:]
    if payload.strip(b"\x00"):
        raise ValueError("trafgen_packet 只写全零的载荷")
    items = [f"0x{b:02x}" for b in head]
    if payload:
        items.append(f"fill(0x00, {len(payload)})")
    return "{ " + ", ".join(items) + " }"


def gap_ns(rate_pps: float, overshoot_ns: float) -> int:
    """trafgen's ``-t`` gap for ``rate_pps``: the frame interval less the per-frame overshoot.

    Never below a quarter of the interval: where the overshoot eats the interval, trafgen falls behind
    (a time shortfall the search sees) rather than sending in one burst. 0 (no gap) only above 1 Mpps.
    """
    interval = 1e9 / rate_pps
    if interval < MIN_GAP_INTERVAL_NS:
        return 0
    return round(max(interval / 4, interval - overshoot_ns))


class Overshoots:
    """What one frame and one sleep cost trafgen beyond its gap (ns), by the band of the frame interval (its power
    of two in ns: 14 for 16-32 µs, 20 for 1 ms): the overshoot grows with the sleep.

    ``observe`` folds a measurement into its band (half old, half new; the first one as it is); ``at`` gives a
    rate's overshoot: its band's, else interpolated between the nearest measured bands below and above it (the
    nearest one beyond the ends), 0 when nothing was measured.
    """

    def __init__(self) -> None:
        self.by_band: dict[int, float] = {}

    @staticmethod
    def band(interval_ns: float) -> int:
        return round(math.log2(max(interval_ns, 1.0)))

    def at(self, rate_pps: float) -> float:
        if not self.by_band:
            return 0.0
        band = self.band(1e9 / rate_pps)
        if band in self.by_band:
            return self.by_band[band]
        below = [b for b in self.by_band if b < band]
        above = [b for b in self.by_band if b > band]
        if not below or not above:
            return self.by_band[max(below) if below else min(above)]
        lo, hi = max(below), min(above)
        return self.by_band[lo] + (self.by_band[hi] - self.by_band[lo]) * (band - lo) / (hi - lo)

    def observe(self, interval_ns: float, overshoot_ns: float) -> None:
        band, value = self.band(interval_ns), max(0.0, overshoot_ns)
        old = self.by_band.get(band)
        self.by_band[band] = value if old is None else 0.5 * old + 0.5 * value

    def describe(self) -> str:
        """``20 µs 间隔 10 µs，1 ms 间隔 26 µs`` (by band, shortest first), or ``未测``."""

        def interval(band: int) -> str:
            ns = 2**band
            return f"{ns / 1e6:.3g} ms" if ns >= 1e6 else f"{ns / 1e3:.3g} µs"

        parts = [f"{interval(b)} 间隔 {v / 1000:.1f} µs" for b, v in sorted(self.by_band.items())]
        return "，".join(parts) or "未测"


def trafgen_argv(
    interface: str,
    count: int,
    rate_pps: float | None,
    packet: str,
    frame_size: int,
    overshoot_ns: float = 0.0,
    cpus: int = 1,
) -> list[str]:
    """``trafgen`` sending ``count`` frames on ``interface`` at ``rate_pps`` (None: as fast as it can).

    One CPU (``-P 1``) for a paced trial: one process keeps one gap. ``cpus`` > 1 only without a rate:
    trafgen forks that many senders, each with its own TX ring and its share of ``count``.
    """
    if count < 1:
        raise frames.PerfInputError(f"trafgen 的帧数至少为 1，得到 {count}")
    if cpus < 1 or (cpus > 1 and rate_pps is not None):
        raise frames.PerfInputError(f"trafgen 的 CPU 数 {cpus} 不合法（按帧率发送时只能用 1 个 CPU）")
    argv = [TRAFGEN, "-o", interface, "-n", str(count), "-P", str(cpus), "--no-sock-mem", "-Q", "-H"]
    if rate_pps is not None and gap_ns(rate_pps, overshoot_ns) > 0:
        argv += ["-t", f"{gap_ns(rate_pps, overshoot_ns)}ns"]
    if frame_size - frames.FCS > TRAFGEN_MAX_FRAME:
        argv.append("-J")
    return [*argv, packet]


def timed(argv: list[str]) -> str:
    """A shell command running ``argv`` between two clock reads, printing the nanoseconds it took last.

    ``argv`` runs in a subshell whose timer slack is 1 ns (inherited by trafgen's sleeps) where the
    kernel lets a process set it (Linux 4.6 on; older kernels keep the default 50 µs).
    """
    slack = "{ echo 1 > /proc/self/timerslack_ns; } 2>/dev/null"
    return (
        f"s=$(date +%s%N); ({slack}; exec {shlex.join(argv)}); rc=$?; e=$(date +%s%N); "
        f'echo "{ELAPSED} $((e - s))"; exit $rc'
    )


def proc_net_dev_command(endpoint: Endpoint) -> str:
    """A shell command printing ``/proc/net/dev`` as ``endpoint`` sees it. In the login shell's own namespace the
    shell reads it with its ``read`` builtin: no process started, where starting ``cat`` costs 0.1 s (a TCG guest,
    measured: 0.26 s for ``cat`` over SSH, 0.17 s for the loop); in another namespace ``nsenter ... cat``."""
    if endpoint.netns_pid is not None:
        return shlex.join(endpoint.argv("cat", "/proc/net/dev"))
    return "while read -r line; do printf '%s\\n' \"$line\"; done < /proc/net/dev"


def split_sections(stdout: str) -> dict[str, str]:
    """The output of a command made of ``echo {SECTION}<tag>; ...`` parts, by tag."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in stdout.splitlines():
        if line.startswith(SECTION):
            current = sections.setdefault(line[len(SECTION) :].strip(), [])
        elif current is not None:
            current.append(line)
    return {tag: "\n".join(lines) for tag, lines in sections.items()}


def parse_elapsed(stdout: str) -> float:
    """Seconds from ``timed``'s last line."""
    found = re.findall(rf"^{ELAPSED} (\d+)$", stdout, re.MULTILINE)
    if not found:
        raise ValueError("trafgen 的运行时间没有输出")
    return int(found[-1]) / 1e9


def parse_send_time(stdout: str) -> float | None:
    """trafgen's own sending time: its exit statistics' ``N sec, M usec on CPUk (P packets)``, one line per
    sending CPU (the longest is the trial's); None when it printed none.

    trafgen reads the clock before its first frame and after its last one (and the gap after it), so start-up
    (packet ring, process start) is not in it, unlike the run time ``timed`` measures around the process.
    """
    found = re.findall(r"^\s*(\d+) sec,\s*(\d+) usec on CPU\d+", stdout, re.MULTILINE)
    return max(int(sec) + int(usec) / 1e6 for sec, usec in found) if found else None


def parse_trafgen_sent(stdout: str) -> int | None:
    """trafgen's own count (``N packets outgoing``), None when it printed none."""
    found = re.search(r"(\d+)\s+packets outgoing", stdout)
    return int(found.group(1)) if found else None


def time_shortfall(duration_s: float, send_s: float, slack_s: float = START_JITTER_S) -> float:
    """The share of the trial's time the generator overran beyond ``slack_s``: 0 when it kept the rate.

    ``send_s`` is trafgen's run less its start-up measured at ``start()``; the start-up itself varies
    by tens of milliseconds on a busy machine, which ``slack_s`` absorbs (a rate up to that much
    lower than intended, 5 % of a 2 s trial, passes unnoticed).
    """
    allowed = duration_s + slack_s
    return max(0.0, 1 - allowed / send_s) if send_s > allowed else 0.0


# -- the measurer --------------------------------------------------------------------------------------


class TrafgenMeasurer(Measurer):
    """trafgen from ``tx`` toward ``rx``, counted at both ends' ports; ``start()`` first, ``close()`` after."""

    name = "trafgen"

    def __init__(
        self,
        session_of: SessionOf,
        tx: Endpoint,
        rx: Endpoint,
        mtu: int,
        speed_mbps: int,
        settle_s: float = 0.0,
        probe_pps: float = 0.0,
        probe_port: int = 7544,
    ):
        super().__init__(mtu, speed_mbps)
        self.session_of = session_of
        self.tx, self.rx = tx, rx
        self.settle_s = settle_s
        self.probe_pps = probe_pps
        self.probe_port = probe_port
        self.src_mac = self.dst_mac = ""
        self.next_hop = ""
        self.overhead_s = 0.0
        self.start_jitter_s = START_JITTER_S
        self.overshoots = Overshoots()
        self.timed_ok = True  # whether trafgen's run time says how long it sent (False: its start-up varies too much)
        self.helper_dirs: dict[str, str] = {}
        self.started = False
        # The receiver's rx_packets as the last trial's drain left it, when it is on another host than the sender
        # (a guest): the next trial starts from it instead of a round trip of its own (seconds into a TCG guest).
        self.rx_seen: int | None = None

    @property
    def tx_session(self) -> SshSession:
        return self.session_of(self.tx.host)

    @property
    def rx_session(self) -> SshSession:
        return self.session_of(self.rx.host)

    def _run(self, session: SshSession, endpoint: Endpoint, *argv: str, timeout: float = 30) -> CommandResult:
        return session.run(shlex.join(endpoint.argv(*argv)), timeout=timeout)

    def start(self) -> None:
        """Check trafgen on the sending end, read the frame's addresses, measure trafgen's start-up time."""
        ns = ["nsenter"] if self.rx.netns_pid or self.tx.netns_pid else []
        try:
            require_tools(self.tx_session, [TRAFGEN, "ip", "date", "cat", "timeout", *ns], "用 trafgen 测量转发性能")
            require_tools(self.rx_session, ["cat", *ns], "在接收端读取接口计数器")
        except RuntimeError as err:
            raise GeneratorUnavailable(f"{self.tx.host}：{err}") from None
        link = self._run(self.tx_session, self.tx, "ip", "-o", "link", "show", "dev", self.tx.interface)
        self.src_mac = parse_link_mac(link.stdout)
        route = self._run(self.tx_session, self.tx, "ip", "route", "get", self.rx.address, "from", self.tx.address)
        if not route.ok:
            raise TrafgenError(f"{self.tx} 没有到 {self.rx.address} 的路由：{route.stderr.strip()}")
        self.next_hop = parse_route_next_hop(route.stdout, self.rx.address)
        self.dst_mac = self._neighbour()
        # trafgen's start-up (packet ring, one frame) measured three times, in one round trip (an SSH command in a
        # TCG guest costs seconds on a busy machine): the least is its overhead.
        packet = trafgen_packet(self._frame(frames.MIN_FRAME))
        once = timed(self.tx.argv(*trafgen_argv(self.tx.interface, 1, None, packet, frames.MIN_FRAME)))
        result = self.tx_session.run(" && ".join([f"({once})"] * 3), timeout=90)
        samples = [int(ns) / 1e9 for ns in re.findall(rf"^{ELAPSED} (\d+)$", result.stdout, re.MULTILINE)]
        if not result.ok or len(samples) != 3:
            raise GeneratorUnavailable(
                f"trafgen 不能在 {self.tx} 上发送：{(result.stderr or result.stdout).strip()[:500]}"
            )
        self.overhead_s = min(samples)
        # How much the start-up itself varied: a run time longer by as much says nothing about the sending (in a TCG
        # guest 0.3-0.5 s: 200 frames at 200 frames/s "took" 1.49 s, every trial of vm2vm short by a third).
        self.start_jitter_s = max(START_JITTER_S, max(samples) - min(samples))
        self.timed_ok = max(samples) <= UNTIMED_OVERHEAD_S
        if not self.timed_ok:  # an emulated guest: no overshoot, no timing (see _trial)
            self.started = True
            return
        # What one frame and one sleep cost beyond the gap, at a long and a short gap, timed by trafgen itself (or,
        # where it prints no time, by its run time less its start-up).
        for count, gap in CALIBRATION:
            argv = trafgen_argv(self.tx.interface, count, 1e9 / gap, packet, frames.MIN_FRAME)
            result = self.tx_session.run(timed(self.tx.argv(*argv)), timeout=60)
            if result.ok:
                spent, _ = self._send_seconds(result.stdout)
                self.overshoots.observe(spent / count * 1e9, spent / count * 1e9 - gap)
        self.started = True

    def _neighbour(self) -> str:
        argv = ("ip", "neigh", "show", "to", self.next_hop, "dev", self.tx.interface)
        mac = parse_neigh_mac(self._run(self.tx_session, self.tx, *argv).stdout)
        if mac is None:  # resolve it: one ping to the receiver through the path
            ping = ping_argv(self.rx.address, 1, source=self.tx.address, wait=2)
            self._run(self.tx_session, self.tx, *ping, timeout=30)
            mac = parse_neigh_mac(self._run(self.tx_session, self.tx, *argv).stdout)
        if mac is None:
            raise TrafgenError(f"{self.tx} 的邻居表中没有下一跳 {self.next_hop} 的以太网地址（路径不通？）")
        return mac

    def _frame(self, frame_size: int) -> bytes:
        return udp_frame(frame_size, self.src_mac, self.dst_mac, self.tx.address, self.rx.address)

    def check(self, load_pps: float, duration_s: float, frame_size: int) -> None:
        super().check(load_pps, duration_s, frame_size)
        if round(load_pps * duration_s) < 1:
            raise frames.PerfInputError(f"{load_pps} 帧/秒 × {duration_s} 秒不到一帧")
        if self.probe_pps and self.tx.host != self.rx.host:
            raise frames.PerfInputError(
                f"单向时延要求发送端与接收端在同一台主机上（同一时钟）：发送端 {self.tx.host}，接收端 {self.rx.host}"
            )
        if not self.started:
            raise GeneratorUnavailable("trafgen 测量器还没有准备好：先调用 start()")

    def counters(self, endpoint: Endpoint) -> dict[str, int]:
        """``endpoint``'s interface counters from ``/proc/net/dev`` in its namespace."""
        session = self.session_of(endpoint.host)
        result = session.run(proc_net_dev_command(endpoint), timeout=30)
        stats = parse_proc_net_dev(result.stdout)
        if endpoint.interface not in stats:
            raise TrafgenError(f"{endpoint} 的 /proc/net/dev 中没有接口 {endpoint.interface}")
        return stats[endpoint.interface]

    def _received(self, last: int | None = None, enough: int | None = None) -> int:
        """The receiver's ``rx_packets`` once it stops growing (frames still queued in the DUT), or once it reaches
        ``enough`` (every frame sent has arrived: nothing left to wait for). ``last``: a reading already taken."""
        if last is None:
            last = self.counters(self.rx)["rx_packets"]
        deadline = time.monotonic() + DRAIN_MAX_S
        while time.monotonic() < deadline and (enough is None or last < enough):
            time.sleep(DRAIN_STEP_S)
            now = self.counters(self.rx)["rx_packets"]
            if now == last:
                break
            last = now
        return last

    def _send_seconds(self, stdout: str, own_clock: bool = True) -> tuple[float, bool]:
        """How long trafgen sent, and whether by its own clock: its exit statistics (precise: a rate 2 % short
        shows), else (or with ``own_clock`` false) its run time less its start-up (which varies by tens of
        milliseconds)."""
        own = parse_send_time(stdout) if own_clock else None
        if own is not None:
            return max(own, 1e-6), True
        return max(parse_elapsed(stdout) - self.overhead_s, 1e-6), False

    def trial_argv(self, load_pps: float | None, count: int, frame_size: int, limit_s: float = 0.0) -> list[str]:
        """trafgen's command for the sending end; with ``limit_s`` it is stopped (SIGINT) after that many seconds."""
        packet = trafgen_packet(self._frame(frame_size))
        argv = trafgen_argv(
            self.tx.interface, count, load_pps, packet, frame_size, self.overshoots.at(load_pps) if load_pps else 0.0
        )
        if limit_s:
            argv = ["timeout", "-s", "INT", "-k", "5", f"{limit_s:.2f}", *argv]
        return self.tx.argv(*argv)

    def _run_counted(self, argv: list[str], duration_s: float) -> tuple[CommandResult, dict[str, int]]:
        """trafgen (``argv``) between two readings of the sender's counters, in one round trip to the sending host;
        the receiver's counters in the same round trip when it is on that host too (p2p, pvp and sriov: both ends on
        Host A), else read just before. Returns trafgen's own result (its rc, output and run time) and the counts:
        ``tx0``/``tx1`` the sender's ``tx_packets`` around the run, ``rx_before`` the receiver's ``rx_packets``
        before (on another host: where the last trial's drain left it, if that trial ended normally; a frame of the
        receiver's own in between counts as received, hiding a loss of one frame at most), ``rx1`` after (same
        host only). A round trip into a TCG guest costs seconds on a busy machine;
        a trial was six of them."""
        same = self.tx.host == self.rx.host
        counts: dict[str, int] = {}
        if not same:
            seen, self.rx_seen = self.rx_seen, None  # used once: a trial that fails leaves no reading behind
            counts["rx_before"] = seen if seen is not None else self.counters(self.rx)["rx_packets"]
        before = [("tx0", self.tx)] + ([("rx0", self.rx)] if same else [])
        after = [("tx1", self.tx)] + ([("rx1", self.rx)] if same else [])

        def read(tag: str, endpoint: Endpoint) -> str:
            return f"echo {SECTION}{tag}; {proc_net_dev_command(endpoint)}"

        script = "; ".join(
            [*(read(t, e) for t, e in before), f"echo {SECTION}run", f"({timed(argv)})", "rc=$?"]
            + [*(read(t, e) for t, e in after), "exit $rc"]
        )
        result = self.tx_session.run(script, timeout=duration_s * 3 + 60)
        sections = split_sections(result.stdout)
        for tag, endpoint in before + after:
            stats = parse_proc_net_dev(sections.get(tag, ""))
            if endpoint.interface not in stats:
                raise TrafgenError(f"{endpoint} 的 /proc/net/dev 中没有接口 {endpoint.interface}")
            counts[tag] = stats[endpoint.interface]["tx_packets" if tag.startswith("tx") else "rx_packets"]
        if same:
            counts["rx_before"] = counts["rx0"]
        run = CommandResult(result.host, script, result.rc, sections.get("run", ""), result.stderr, result.seconds)
        return run, counts

    def _trial(self, load_pps: float, duration_s: float, frame_size: int) -> TrialResult:
        if self.settle_s:
            time.sleep(self.settle_s)
        start = time.monotonic()
        count = round(load_pps * duration_s)
        limit = duration_s + max(0.5, duration_s / 2) + self.overhead_s
        argv = self.trial_argv(load_pps, count, frame_size, limit)
        latency = None
        if self.probe_pps:
            tx_before = self.counters(self.tx)["tx_packets"]
            rx_before = self.counters(self.rx)["rx_packets"]
            result, latency = self._with_probe(argv, duration_s, frame_size)
            sent = self.counters(self.tx)["tx_packets"] - tx_before
            rx_after = None
            self.rx_seen = None  # the probes' own frames arrive at the receiver too
        else:
            result, counts = self._run_counted(argv, duration_s)
            sent = counts["tx1"] - counts["tx0"]
            rx_before = counts["rx_before"]
            rx_after = counts.get("rx1")
        self.last_command = CommandResult(
            result.host, shlex.join(argv), result.rc, result.stdout, result.stderr, result.seconds
        )
        if result.rc not in (0, TIMED_OUT):
            raise TrafgenError(
                f"trafgen 试验失败（{load_pps:.0f} 帧/秒，{frame_size} 字节，rc={result.rc}）："
                f"{(result.stderr or result.stdout).strip()[:500]}"
            )
        rx_end = self._received(rx_after, rx_before + sent)
        received = rx_end - rx_before
        if self.tx.host != self.rx.host and not self.probe_pps:
            self.rx_seen = rx_end
        # In an emulated guest (a slow, unsteady start-up) the sending time is not used: the gap stays the whole
        # interval (the rate never above the one asked) and nothing is corrected (a closer gap let trafgen load a
        # TCG guest until its sshd stopped answering, in 7.3's sriov_vm2vm).
        timed_here = self.timed_ok
        seconds, own = self._send_seconds(result.stdout, own_clock=timed_here)
        slack = PACING_PRECISION * duration_s if own else self.start_jitter_s
        notes = [f"trafgen 在 {limit:.2f} 秒时被停止（跟不上这个负载）"] if result.rc == TIMED_OUT else []
        if not timed_here:
            notes.append(f"发送时长不可测（trafgen 启动开销 {self.overhead_s:.2f} 秒且不稳定）：只按帧数判断发生器缺口")
        gap = gap_ns(load_pps, self.overshoots.at(load_pps))
        if gap > 0 and result.rc == 0 and count > 1 and timed_here:
            self.overshoots.observe(seconds / count * 1e9, seconds / count * 1e9 - gap)
        if seconds < duration_s * (1 - FAST_TOLERANCE) and timed_here:
            notes.append(f"trafgen 发得比设定快：{count} 帧用了 {seconds:.3f} 秒（设定 {duration_s:g} 秒）")
        own = parse_trafgen_sent(result.stdout)
        if own is not None and own != count and result.rc != TIMED_OUT:
            notes.append(f"trafgen 自报发送 {own} 帧，应发 {count} 帧")
        return TrialResult(
            load_pps=load_pps,
            duration_s=duration_s,
            frame_size=frame_size,
            sent=sent,
            received=received,
            seconds=seconds,
            wall_s=time.monotonic() - start,
            generator=self.name,
            latency=latency,
            notes=tuple(notes),
            time_shortfall=time_shortfall(duration_s, seconds, slack) if timed_here else 0.0,
            timed=timed_here,
        )

    def max_rate(self, count: int, frame_size: int, cpus: int = 1) -> TrialResult:
        """``count`` frames as fast as trafgen sends them from ``cpus`` CPUs (TX rings, no gap): its maximum here."""
        frames.check_frame_size(frame_size, self.mtu)
        if not self.started:
            raise GeneratorUnavailable("trafgen 测量器还没有准备好：先调用 start()")
        start = time.monotonic()
        packet = trafgen_packet(self._frame(frame_size))
        argv = self.tx.argv(*trafgen_argv(self.tx.interface, count, None, packet, frame_size, cpus=cpus))
        tx_before = self.counters(self.tx)["tx_packets"]
        rx_before = self.counters(self.rx)["rx_packets"]
        result = self.tx_session.run(timed(argv), timeout=600)
        if not result.ok:
            raise TrafgenError(f"trafgen 失败（rc={result.rc}）：{(result.stderr or result.stdout).strip()[:500]}")
        sent = self.counters(self.tx)["tx_packets"] - tx_before
        received = self._received() - rx_before
        seconds, _ = self._send_seconds(result.stdout)
        return TrialResult(
            load_pps=sent / seconds,
            duration_s=seconds,
            frame_size=frame_size,
            sent=sent,
            received=received,
            seconds=seconds,
            wall_s=time.monotonic() - start,
            generator=self.name,
        )

    # -- latency probe beside the load -----------------------------------------------------------
    def _helper(self, host: str) -> str:
        if host not in self.helper_dirs:
            directory = tempdir_path("latprobe")
            with sftp(self.session_of(host)) as client:
                client.mkdir(directory, 0o700)
                with client.open(f"{directory}/latprobe.py", "wb") as remote:
                    remote.write(script("latprobe.py"))
            self.helper_dirs[host] = directory
        return f"{self.helper_dirs[host]}/latprobe.py"

    def _with_probe(self, argv: list[str], duration_s: float, frame_size: int) -> tuple[CommandResult, LatencyStats]:
        """trafgen in the background and the probe stream in the foreground, at once."""
        helper = self._helper(self.tx.host)
        receiver = start_background(
            self.rx_session,
            self.rx.argv("python3", helper, "recv", "--bind", self.rx.address, "--port", str(self.probe_port)),
            int(duration_s) + 120,
        )
        generator = None
        try:
            if not receiver.wait_until(lambda: "ready" in receiver.stdout, READY_TIMEOUT):
                raise TrafgenError(f"时延探测接收端没有就绪：{receiver.stderr.strip() or '没有输出'}")
            generator = start_background(self.tx_session, ["sh", "-c", timed(argv)], int(duration_s * 3) + 60)
            probe = probe_sender_argv(self.tx, self.rx, helper, self.probe_port, self.probe_pps, duration_s, frame_size)
            sent = self.tx_session.run(shlex.join(probe), timeout=duration_s + 60)
            if not sent.ok:
                raise TrafgenError(f"时延探测发送端失败：{sent.stderr.strip()}")
            if not generator.wait_exit(duration_s * 3 + 30):
                raise TrafgenError("trafgen 没有按时结束")
            result = CommandResult(
                self.tx.host, shlex.join(argv), generator.exit_status or 0, generator.stdout, generator.stderr, 0.0
            )
        finally:
            if generator is not None:
                generator.stop()
            time.sleep(0.2)  # probes still in flight
            receiver.stop()
        try:
            report = json.loads(receiver.stdout.strip().splitlines()[-1])
            sent_count = json.loads(sent.stdout.strip().splitlines()[-1])["sent"]
        except (IndexError, ValueError, KeyError) as err:
            raise TrafgenError(
                f"时延探测没有给出结果（{err}）：接收端输出 {receiver.stdout.strip()[-200:]!r}，"
                f"{receiver.stderr.strip()[-200:]!r}；发送端输出 {sent.stdout.strip()[-200:]!r}"
            ) from None
        return result, LatencyStats.from_delays(report["delays_ns"], sent_count, report["reordered"])

    def close(self) -> None:
        errors = []
        for host, directory in list(self.helper_dirs.items()):
            try:
                with sftp(self.session_of(host)) as client:
                    remove_tempdir(client, directory)
            except OSError as err:
                errors.append(f"{host}:{directory}：{err}")
            del self.helper_dirs[host]
        if errors:
            raise RuntimeError("trafgen 测量器没能完全清理：" + "；".join(errors))
