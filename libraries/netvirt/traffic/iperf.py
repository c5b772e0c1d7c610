"""iperf3 throughput runs: a server started and stopped by pid, client runs with ``-J``.

The server (``iperf3 -s -p PORT``) serves every repetition and is stopped by pid when
the runs end, whatever happened (``hostproc.start_server``: a port that already has a
listener is refused before anything starts). Summaries and tables: ``throughput``.
"""

from __future__ import annotations

import enum
import shlex
from dataclasses import dataclass
from typing import Any

from netvirt import validate
from netvirt.parsers.traffic import Iperf3Error, parse_iperf3_json
from netvirt.ssh import CommandResult, SshSession
from netvirt.traffic.hostproc import ServerProcess, require_tools
from netvirt.traffic.hostproc import start_server as start_server_listening
from netvirt.traffic.throughput import check_run_options, repeat_runs

RATE_RE = validate.RATE
REPORT_INTERVAL = 0.1  # iperf3's shortest


class Protocol(enum.Enum):
    """Transport iperf3 measures (``-u`` for UDP)."""

    tcp = "tcp"
    udp = "udp"


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
        check_run_options(self.duration, self.repeat, self.port)
        if not 1 <= self.parallel <= 128:
            raise ValueError(f"parallel {self.parallel} 超出范围 1..128")
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
            if self.protocol is Protocol.udp:
                # Reports every 0.1 s: whether the sender kept its rate all along (see throughput.slowest_interval).
                argv += ["-i", str(REPORT_INTERVAL)]
        if self.length:
            argv += ["-l", self.length]
        return argv


def as_run(parsed: dict[str, Any]) -> dict[str, Any]:
    """A parsed ``-J`` output as a run of ``throughput.summarize``."""
    return {**parsed, "tool": "iperf3"}


def run_client(session: SshSession, address: str, options: IperfOptions) -> tuple[CommandResult, dict[str, Any]]:
    """One client run; returns the command result and the parsed ``-J`` output."""
    result = session.run(shlex.join(options.client_argv(address)), timeout=options.duration + 60)
    try:
        return result, as_run(parse_iperf3_json(result.stdout))
    except Iperf3Error as err:
        raise RuntimeError(f"{session.name} 上的 iperf3 客户端（到 {address}:{options.port}）失败：{err}") from None
    except ValueError as err:
        output = (result.stderr or result.stdout).strip()[:500]
        raise RuntimeError(f"{session.name} 上的 iperf3 客户端没有给出 JSON 结果（rc={result.rc}）：{output}") from err


def start_server(session: SshSession, port: int, limit_seconds: int) -> ServerProcess:
    """``iperf3 -s -p PORT`` on a host, listening; a port already in use is refused."""
    return start_server_listening(session, ["iperf3", "-s", "-p", str(port)], port, limit_seconds, "测量吞吐量")


def measure(
    client: SshSession, server: SshSession, address: str, options: IperfOptions
) -> tuple[list[dict[str, Any]], list[CommandResult], str]:
    """``options.repeat`` client runs against one server; returns runs, command results, server output."""
    require_tools(client, ["iperf3"], "测量吞吐量")
    limit = options.repeat * (options.duration + 60) + 30
    iperf_server = start_server(server, options.port, limit)
    return repeat_runs(iperf_server, options.repeat, lambda: run_client(client, address, options))
