"""Traffic generators behind the measurer: trafgen frames, iperf3 UDP (any lab), TRex and pktgen-DPDK (detected only).

``auto`` measures with netsniff-ng's trafgen where Host A has it (fixed-size frames at a set packet
rate, counted at the ports; ``netvirt.perf.trafgen``) and with iperf3 otherwise, the log naming the
fallback.

``Iperf3Measurer`` really runs, on every lab: the server (``iperf3 -s``) waits on the receiving
endpoint for the whole search and each trial is one client run, ``iperf3 -u -l <payload> -b
<rate> -t <s> -J``, with datagrams sized so that each frame on the wire has exactly the trial's
frame size (``frames.udp_payload``: frame - 14 - 20 - 8 - 4). Counts come from the client's
JSON: frames sent are the client's ``sum_sent.packets``, frames received the server's
``sum_received.packets - lost_packets`` (iperf3 numbers its datagrams, so the server knows the
gaps; datagrams lost after the last one received are in ``sent - received`` as well). Jitter is
the server's RFC 3550 estimate. With ``probe_pps`` a trial also runs ``remote/latprobe.py``
beside the load (one-way latency; sender and receiver on the same host, so on one clock).

An endpoint may live in a network namespace of its own on its host, held by a process
(``Endpoint.netns_pid``): commands for it run under ``nsenter -t <pid> -n``.

TRex and pktgen-DPDK are what a real lab uses for line-rate figures. Both are only detected
here (TRex's Python client ships with TRex, not on PyPI, and this machine has neither, so a
measurer for them could not be tested): asking for one fails with a message that says whether
it is installed at all.
"""

from __future__ import annotations

import enum
import json
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass

from netvirt.parsers.traffic import Iperf3Error, parse_iperf3_json
from netvirt.perf import frames
from netvirt.perf.latency import LatencyStats
from netvirt.perf.measurer import Measurer, TrialResult
from netvirt.remote import script
from netvirt.ssh import CommandResult, SshSession
from netvirt.traffic.hostproc import (
    HostProcessError,
    ServerProcess,
    remove_tempdir,
    require_tools,
    sftp,
    start_background,
    start_server,
    tempdir_path,
)

READY_TIMEOUT = 10.0
BUSY_RETRIES = 2  # "the server is busy": a previous client's test still closing on the server
TREX_DIR = "/opt/trex/current"
PKTGEN = "pktgen"


class GeneratorUnavailable(RuntimeError):
    """No traffic generator of the kind asked for can run on this lab; the message says why."""


class Generator(enum.Enum):
    """Which traffic generator measures: ``auto`` takes the best one installed on Host A."""

    auto = "auto"
    trafgen = "trafgen"
    iperf3 = "iperf3"
    trex = "trex"
    pktgen = "pktgen"


@dataclass(frozen=True)
class Endpoint:
    """One end of the measured path: a host or guest, its interface and address, maybe a namespace."""

    host: str
    interface: str
    address: str
    netns_pid: int | None = None

    def argv(self, *argv: str) -> list[str]:
        """``argv`` as it must run on the host to act in this endpoint's network namespace."""
        if self.netns_pid is None:
            return list(argv)
        return ["nsenter", "-t", str(self.netns_pid), "-n", *argv]

    def __str__(self) -> str:
        where = f"（命名空间 pid {self.netns_pid}）" if self.netns_pid else ""
        return f"{self.host}:{self.interface} {self.address}{where}"


SessionOf = Callable[[str], SshSession]


def udp_counts(text: str) -> dict:
    """Frames sent/received, sending time and jitter from ``iperf3 -u -J`` client output.

    Raises Iperf3Error (a ValueError) with iperf3's own message when the run failed.
    """
    parse_iperf3_json(text)  # raises with iperf3's "error" text, checks the shape
    end = json.loads(text)["end"]
    sent = end.get("sum_sent", end.get("sum", {}))
    received = end.get("sum_received", end.get("sum", {}))
    if "packets" not in sent or "packets" not in received:
        raise ValueError("iperf3 -J 输出中没有 UDP 的 packets 计数（是不是 TCP 测试？）")
    return {
        "sent": int(sent["packets"]),
        "received": max(0, int(received["packets"]) - int(received.get("lost_packets", 0))),
        "seconds": float(sent.get("seconds", 0.0)),
        "jitter_ms": received.get("jitter_ms"),
    }


def probe_sender_argv(
    tx: Endpoint, rx: Endpoint, helper: str, port: int, pps: float, duration_s: float, frame_size: int
) -> list[str]:
    """The latency probe's sender on ``tx`` (``remote/latprobe.py send``): ``pps`` probes of ``frame_size`` to
    ``rx``'s ``port``, starting after the generator's setup and stopping before its last frame."""
    return tx.argv(
        "python3",
        helper,
        "send",
        "--bind",
        tx.address,
        "--to",
        rx.address,
        "--port",
        str(port),
        "--rate",
        f"{pps:g}",
        "--duration",
        f"{max(0.2, duration_s - 0.3):g}",
        "--delay",
        "0.15",
        "--size",
        str(frames.udp_payload(frame_size)),
    )


class Iperf3Measurer(Measurer):
    """iperf3 UDP from ``tx`` to ``rx``; ``start()`` before the first trial, ``close()`` after the last."""

    name = "iperf3"

    def __init__(
        self,
        session_of: SessionOf,
        tx: Endpoint,
        rx: Endpoint,
        mtu: int,
        speed_mbps: int,
        port: int = 5201,
        limit_s: int = 3600,
        probe_pps: float = 0.0,
        probe_port: int = 7544,
        settle_s: float = 0.0,
    ):
        super().__init__(mtu, speed_mbps)
        self.session_of = session_of
        self.tx, self.rx = tx, rx
        self.port, self.probe_port = port, probe_port
        self.limit_s = limit_s
        self.probe_pps = probe_pps
        self.settle_s = settle_s  # a pause before each trial (lets a policer's bucket refill)
        self.server: ServerProcess | None = None
        self.helper_dirs: dict[str, str] = {}

    @property
    def tx_session(self) -> SshSession:
        return self.session_of(self.tx.host)

    @property
    def rx_session(self) -> SshSession:
        return self.session_of(self.rx.host)

    def start(self) -> None:
        """Start the iperf3 server on ``rx`` and wait until it listens."""
        tools = ["iperf3", "timeout", "ss"] + (["nsenter"] if self.rx.netns_pid or self.tx.netns_pid else [])
        try:
            require_tools(self.tx_session, tools, "用 iperf3 测量转发性能")
            require_tools(self.rx_session, tools, "用 iperf3 测量转发性能")
            if self.probe_pps:
                require_tools(self.tx_session, ["python3"], "测量时延")
        except RuntimeError as err:
            raise GeneratorUnavailable(str(err)) from None
        argv = ["iperf3", "-s", "-p", str(self.port), "-B", self.rx.address]
        try:
            self.server = start_server(
                self.rx_session, argv, self.port, self.limit_s, "用 iperf3 测量转发性能", prefix=self.rx.argv()
            )
        except RuntimeError as err:
            self.close()
            raise GeneratorUnavailable(f"{self.rx}：{err}") from None

    def close(self) -> None:
        errors = []
        if self.server is not None:
            try:
                self.server.stop()
            except (HostProcessError, OSError) as err:
                errors.append(str(err))
            self.server = None
        for host, directory in list(self.helper_dirs.items()):
            try:
                with sftp(self.session_of(host)) as client:
                    remove_tempdir(client, directory)
            except OSError as err:
                errors.append(f"{host}:{directory}：{err}")
            del self.helper_dirs[host]
        if errors:
            raise HostProcessError("iperf3 测量器没能完全清理：" + "；".join(errors))

    def client_argv(self, load_pps: float, duration_s: float, frame_size: int) -> list[str]:
        return self.tx.argv(
            "iperf3",
            "-c",
            self.rx.address,
            "-p",
            str(self.port),
            "-B",
            self.tx.address,
            "-u",
            "-l",
            str(frames.udp_payload(frame_size)),
            "-b",
            str(frames.iperf3_bitrate(load_pps, frame_size)),
            "-t",
            str(int(duration_s)),
            "-J",
        )

    def check(self, load_pps: float, duration_s: float, frame_size: int) -> None:
        super().check(load_pps, duration_s, frame_size)
        if duration_s != int(duration_s):
            raise frames.PerfInputError(f"iperf3 的试验时长只能是整秒（-t），得到 {duration_s} 秒")
        if self.probe_pps and self.tx.host != self.rx.host:
            raise frames.PerfInputError(
                f"单向时延要求发送端与接收端在同一台主机上（同一时钟）：发送端 {self.tx.host}，接收端 {self.rx.host}"
            )
        if self.server is None:
            raise GeneratorUnavailable("iperf3 服务端没有运行：先调用 start()")

    def _trial(self, load_pps: float, duration_s: float, frame_size: int) -> TrialResult:
        if self.settle_s:
            time.sleep(self.settle_s)
        start = time.monotonic()
        notes: list[str] = []
        for attempt in range(BUSY_RETRIES + 1):
            try:
                if self.probe_pps:
                    counts, latency = self._with_probe(load_pps, duration_s, frame_size)
                else:
                    counts, latency = self._client(load_pps, duration_s, frame_size), None
                break
            except Iperf3Error as err:
                if attempt == BUSY_RETRIES:
                    raise RuntimeError(f"iperf3 试验失败（{load_pps:.0f} 帧/秒，{frame_size} 字节）：{err}") from None
                notes.append(f"第 {attempt + 1} 次运行失败（{err}），重试")
                time.sleep(1)
        return TrialResult(
            load_pps=load_pps,
            duration_s=duration_s,
            frame_size=frame_size,
            sent=counts["sent"],
            received=counts["received"],
            seconds=counts["seconds"],
            wall_s=time.monotonic() - start,
            generator=self.name,
            jitter_ms=counts["jitter_ms"],
            latency=latency,
            notes=tuple(notes),
        )

    def _client(self, load_pps: float, duration_s: float, frame_size: int) -> dict:
        command = shlex.join(self.client_argv(load_pps, duration_s, frame_size))
        result = self.tx_session.run(command, timeout=duration_s + 60)
        self.last_command = result
        try:
            return udp_counts(result.stdout)
        except Iperf3Error:
            raise
        except ValueError as err:
            output = (result.stderr or result.stdout).strip()[:500]
            raise RuntimeError(f"iperf3 客户端没有给出 JSON 结果（rc={result.rc}）：{output}") from err

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

    def _with_probe(self, load_pps: float, duration_s: float, frame_size: int) -> tuple[dict, LatencyStats]:
        """The load (iperf3 client, in the background) and the probe stream (in the foreground) at once."""
        helper = self._helper(self.tx.host)
        receiver = start_background(
            self.rx_session,
            self.rx.argv("python3", helper, "recv", "--bind", self.rx.address, "--port", str(self.probe_port)),
            int(duration_s) + 120,
        )
        client = None
        try:
            if not receiver.wait_until(lambda: "ready" in receiver.stdout, READY_TIMEOUT):
                raise RuntimeError(f"时延探测接收端没有就绪：{receiver.stderr.strip() or '没有输出'}")
            argv = self.client_argv(load_pps, duration_s, frame_size)
            client = start_background(self.tx_session, argv, int(duration_s) + 60)
            # The probes start after iperf3's connection setup and stop before its last datagram.
            probe = probe_sender_argv(self.tx, self.rx, helper, self.probe_port, self.probe_pps, duration_s, frame_size)
            sent = self.tx_session.run(shlex.join(probe), timeout=duration_s + 60)
            if not sent.ok:
                raise RuntimeError(f"时延探测发送端失败：{sent.stderr.strip()}")
            if not client.wait_exit(duration_s + 30):
                raise RuntimeError("iperf3 客户端没有按时结束")
            self.last_command = CommandResult(
                self.tx.host, shlex.join(argv), client.exit_status or 0, client.stdout, client.stderr, duration_s
            )
            try:
                counts = udp_counts(client.stdout)
            except Iperf3Error:
                raise
            except ValueError as err:
                raise RuntimeError(f"iperf3 客户端没有给出 JSON 结果：{client.stderr.strip()[:500]}") from err
        finally:
            if client is not None:
                client.stop()
            time.sleep(0.2)  # probes still in flight
            receiver.stop()
        report = json.loads(receiver.stdout.strip().splitlines()[-1])
        sent_count = json.loads(sent.stdout.strip().splitlines()[-1])["sent"]
        latency = LatencyStats.from_delays(report["delays_ns"], sent_count, report["reordered"])
        return counts, latency


# -- detection of the real-lab generators ----------------------------------------------------------


def trex_installed(session: SshSession, trex_dir: str = TREX_DIR) -> bool:
    """Whether TRex's server (``t-rex-64``) is installed in ``trex_dir`` on the host."""
    return session.run(shlex.join(["test", "-x", f"{trex_dir}/t-rex-64"]), timeout=30).ok


def pktgen_installed(session: SshSession, binary: str = PKTGEN) -> bool:
    """Whether pktgen-DPDK (``binary``, a name on PATH or a path) is installed on the host."""
    return session.run(f"command -v {shlex.quote(binary)}", timeout=30).ok


def trafgen_installed(session: SshSession) -> bool:
    """Whether netsniff-ng's ``trafgen`` is on the host (on PATH, or in /usr/sbin for a non-root PATH)."""
    return session.run("command -v trafgen || test -x /usr/sbin/trafgen", timeout=30).ok


def detect(session: SshSession, params: dict) -> dict[str, bool]:
    """Which generators Host A has: ``{"trex": ..., "pktgen": ..., "trafgen": ..., "iperf3": ...}``."""
    iperf3 = session.run("command -v iperf3", timeout=30).ok
    return {
        "trex": trex_installed(session, params.get("trex_dir", TREX_DIR)),
        "pktgen": pktgen_installed(session, params.get("pktgen_binary", PKTGEN)),
        "trafgen": trafgen_installed(session),
        "iperf3": iperf3,
    }


def unavailable_reason(kind: Generator, found: dict[str, bool], params: dict) -> str:
    """Why ``kind`` cannot measure here (TRex and pktgen-DPDK measurers are not implemented)."""
    if kind is Generator.trex:
        where = params.get("trex_dir", TREX_DIR)
        if not found["trex"]:
            return (
                f"Host A 上没有安装 TRex（{where}/t-rex-64 不存在）；TRex 的 Python 客户端随 TRex 一起发布，"
                "不在 PyPI 上，请在 Host A 安装 TRex 并把 trex_dir 写入实验环境参数"
            )
        return f"Host A 上有 TRex（{where}），但本库尚未实现 TRex 测量器（没有 TRex 的环境无法验证）：请用 iperf3"
    if kind is Generator.pktgen:
        binary = params.get("pktgen_binary", PKTGEN)
        if not found["pktgen"]:
            return f"Host A 上没有安装 pktgen-DPDK（找不到 {binary}）"
        return (
            f"Host A 上有 pktgen-DPDK（{binary}），但本库尚未实现 pktgen 测量器"
            "（没有 DPDK 网卡的环境无法验证）：请用 iperf3"
        )
    if kind is Generator.trafgen and not found.get("trafgen"):
        return "Host A 上没有安装 trafgen（Debian/CentOS 软件包 netsniff-ng）"
    if kind is Generator.iperf3 and not found["iperf3"]:
        return "Host A 上没有安装 iperf3（Debian/CentOS 软件包 iperf3）"
    return ""


def choose(kind: Generator, found: dict[str, bool], params: dict) -> tuple[Generator, list[str]]:
    """The generator to measure with and notes on what was passed over; GeneratorUnavailable if none can."""
    if kind is not Generator.auto:
        reason = unavailable_reason(kind, found, params)
        if reason:
            raise GeneratorUnavailable(f"流量发生器 {kind.value} 不可用：{reason}")
        return kind, []
    notes = [unavailable_reason(k, found, params) for k in (Generator.trex, Generator.pktgen)]
    if found.get("trafgen"):
        return Generator.trafgen, [n for n in notes if n]
    notes.append(unavailable_reason(Generator.trafgen, found, params) + "：改用 iperf3（不能按帧率发送定长帧）")
    if found["iperf3"]:
        return Generator.iperf3, [n for n in notes if n]
    raise GeneratorUnavailable(
        "没有可用的流量发生器：" + "；".join([*notes, unavailable_reason(Generator.iperf3, found, params)])
    )
