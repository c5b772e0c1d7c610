"""iperf3 throughput runs: a server started and stopped by pid, client runs with ``-J``, statistics.

The server (``iperf3 -s -p PORT``) serves every repetition and is stopped by pid when
the runs end, whatever happened. iperf3 buffers its stdout when it is not a terminal,
so readiness is read from the socket table (``ss -ltn``), not from "Server listening";
a port that already has a listener is refused before anything starts.

Runs that completed are kept when a later one fails (:class:`MeasurementError` carries
them), so a keyword can report what was measured before failing.
"""

from __future__ import annotations

import enum
import re
import shlex
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from netvirt.parsers.traffic import Iperf3Error, parse_iperf3_json
from netvirt.ssh import CommandResult, SshSession
from netvirt.traffic.hostproc import BackgroundProcess, require_tools, start_background
from netvirt.traffic.units import format_bps

RATE_RE = re.compile(r"^\d+(\.\d+)?[KMGkmg]?$")
READY_TIMEOUT = 10.0


class Protocol(enum.Enum):
    """Transport iperf3 measures (``-u`` for UDP)."""

    tcp = "tcp"
    udp = "udp"


class MeasurementError(RuntimeError):
    """A run failed; ``runs`` holds those that completed before it."""

    def __init__(self, message: str, runs: list[dict[str, Any]], results: list[CommandResult]):
        super().__init__(message)
        self.runs = runs
        self.results = results


@dataclass(frozen=True)
class IperfOptions:
    """One measurement's client options, validated on construction."""

    protocol: Protocol = Protocol.tcp
    duration: int = 5
    parallel: int = 1
    repeat: int = 1
    bitrate: str | None = None
    length: str | None = None
    port: int = 5201

    def __post_init__(self) -> None:
        if not 1 <= self.duration <= 3600:
            raise ValueError(f"duration {self.duration} 超出范围 1..3600 秒")
        if not 1 <= self.parallel <= 128:
            raise ValueError(f"parallel {self.parallel} 超出范围 1..128")
        if not 1 <= self.repeat <= 100:
            raise ValueError(f"repeat {self.repeat} 超出范围 1..100")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port {self.port} 超出范围 1..65535")
        for name in ("bitrate", "length"):
            value = getattr(self, name)
            if value is not None and not RATE_RE.match(value):
                raise ValueError(f"{name} {value!r} 不合法（应为数字加可选的 K/M/G，例如 100M）")

    def client_argv(self, address: str) -> list[str]:
        argv = ["iperf3", "-c", address, "-p", str(self.port), "-t", str(self.duration), "-J"]
        if self.parallel > 1:
            argv += ["-P", str(self.parallel)]
        if self.protocol is Protocol.udp:
            argv.append("-u")
        if self.bitrate:
            argv += ["-b", self.bitrate]
        if self.length:
            argv += ["-l", self.length]
        return argv


def listeners(session: SshSession, port: int) -> list[str]:
    """Lines of ``ss -ltnp`` whose local address ends in ``:port``."""
    result = session.run(shlex.join(["ss", "-ltnp"]), timeout=30)
    found = []
    for line in result.stdout.splitlines()[1:]:  # State Recv-Q Send-Q Local:Port Peer:Port Process
        fields = line.split()
        if len(fields) > 3 and fields[3].endswith(f":{port}"):
            found.append(line)
    return found


@dataclass
class ServerProcess:
    """A traffic server (``iperf3 -s``, ``netserver``) on a host, from its ``start_server`` until ``stop``."""

    session: SshSession
    port: int
    process: BackgroundProcess = field(repr=False)

    def stop(self) -> str:
        """Stop it by pid; return what it printed."""
        self.process.stop()
        return self.process.stdout + self.process.stderr


def start_server(session: SshSession, port: int, limit_seconds: int) -> ServerProcess:
    """Start an iperf3 server and wait until it listens; refuse a port already in use."""
    require_tools(session, ["iperf3", "timeout", "ss"], "测量吞吐量")
    busy = listeners(session, port)
    if busy:
        raise RuntimeError(f"{session.name} 上的端口 {port} 已被占用，无法启动 iperf3 服务端：{busy[0].strip()}")
    process = start_background(session, ["iperf3", "-s", "-p", str(port)], limit_seconds)
    server = ServerProcess(session, port, process)
    if not process.wait_until(lambda: bool(listeners(session, port)), READY_TIMEOUT):
        output = server.stop().strip()
        raise RuntimeError(f"{session.name} 上的 iperf3 服务端没有在端口 {port} 上监听：{output or '没有输出'}")
    return server


def run_client(session: SshSession, address: str, options: IperfOptions) -> tuple[CommandResult, dict[str, Any]]:
    """One client run; returns the command result and the parsed ``-J`` output."""
    result = session.run(shlex.join(options.client_argv(address)), timeout=options.duration + 60)
    try:
        return result, parse_iperf3_json(result.stdout)
    except Iperf3Error as err:
        raise RuntimeError(f"{session.name} 上的 iperf3 客户端（到 {address}:{options.port}）失败：{err}") from None
    except ValueError as err:
        output = (result.stderr or result.stdout).strip()[:500]
        raise RuntimeError(f"{session.name} 上的 iperf3 客户端没有给出 JSON 结果（rc={result.rc}）：{output}") from err


def measure(
    client: SshSession, server: SshSession, address: str, options: IperfOptions
) -> tuple[list[dict[str, Any]], list[CommandResult], str]:
    """``options.repeat`` client runs against one server; returns runs, command results, server output."""
    require_tools(client, ["iperf3"], "测量吞吐量")
    limit = options.repeat * (options.duration + 60) + 30
    iperf_server = start_server(server, options.port, limit)
    runs: list[dict[str, Any]] = []
    results: list[CommandResult] = []
    try:
        for _ in range(options.repeat):
            result, parsed = run_client(client, address, options)
            results.append(result)
            runs.append(parsed)
    except (RuntimeError, OSError) as err:
        raise MeasurementError(str(err), runs, results) from err
    finally:
        server_output = iperf_server.stop()
    return runs, results, server_output


def spread(values: Sequence[float]) -> dict[str, float | None]:
    """``{min, max, mean, stdev}``; stdev (sample) is None for fewer than two values."""
    return {
        "min": min(values),
        "max": max(values),
        "mean": statistics.fmean(values),
        "stdev": statistics.stdev(values) if len(values) > 1 else None,
    }


def summarize(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The keyword's result: each run's figures and min/max/mean/stdev over the runs.

    ``mean_bps``, ``min_bps``, ``max_bps`` and ``stdev_bps`` are of the received rate (what
    arrived is the throughput); ``sent_bps`` and ``received_bps`` hold both spreads.
    """
    if not runs:
        raise ValueError("没有完成的 iperf3 测量")
    per_run = [
        {
            "run": index,
            "tool": run.get("tool", "iperf3"),
            "test": run.get("test"),
            "protocol": run["protocol"],
            "streams": run["num_streams"],
            "sent_bps": run["sent_bps"],
            "received_bps": run["received_bps"],
            "retransmits": run["retransmits"],
            "lost_percent": run["lost_percent"],
            "jitter_ms": run["jitter_ms"],
            "cpu_local": run["cpu_utilization_percent"].get("host_total"),
            "cpu_remote": run["cpu_utilization_percent"].get("remote_total"),
        }
        for index, run in enumerate(runs, 1)
    ]
    received = spread([run["received_bps"] for run in per_run])
    return {
        "tool": per_run[0]["tool"],
        "protocol": per_run[0]["protocol"],
        "runs": per_run,
        "sent_bps": spread([run["sent_bps"] for run in per_run]),
        "received_bps": received,
        "mean_bps": received["mean"],
        "min_bps": received["min"],
        "max_bps": received["max"],
        "stdev_bps": received["stdev"],
    }


RUN_HEADERS = ["次", "协议", "流数", "发送", "接收", "重传", "UDP 丢包", "抖动 (ms)", "CPU 本端/对端 (%)"]


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def run_rows(summary: dict[str, Any]) -> list[list[object]]:
    """Rows under ``RUN_HEADERS``: one per run, then min/max/mean/stdev of the rates."""
    rows: list[list[object]] = [
        [
            run["run"],
            run["protocol"],
            run["streams"],
            format_bps(run["sent_bps"]),
            format_bps(run["received_bps"]),
            "—" if run["retransmits"] is None else run["retransmits"],
            "—" if run["lost_percent"] is None else f"{run['lost_percent']:.3g}%",
            _number(run["jitter_ms"], 3),
            f"{_number(run['cpu_local'], 1)} / {_number(run['cpu_remote'], 1)}",
        ]
        for run in summary["runs"]
    ]
    for key, label in (("min", "最小"), ("max", "最大"), ("mean", "平均"), ("stdev", "标准差")):
        sent, received = summary["sent_bps"][key], summary["received_bps"][key]
        rows.append([label, "", "", format_bps(sent), format_bps(received), "", "", "", ""])
    return rows


def close_to(measured: float, expected: float, tolerance_pct: float) -> bool:
    """Whether ``measured`` is within ``tolerance_pct`` percent of ``expected``."""
    return abs(measured - expected) <= abs(expected) * tolerance_pct / 100
