"""netperf throughput runs, as the record measures: ``netserver`` on one host, ``netperf`` on the other.

The record runs ``./netserver`` and ``./netperf -H 5.5.5.51 -l 30 -cC -fG`` and keeps the
min/max of 5 runs. Here the server is ``netserver -D -f -4 -p PORT`` (in the foreground,
serving tests one after another, so its pid is the only process to stop) and the client
asks for keyword output (``-- -k``), which :func:`netvirt.parsers.traffic.parse_netperf_keyval`
reads (a netperf before 2.5 refuses ``-k`` on stderr and prints its classic table, which
:func:`netvirt.parsers.traffic.parse_netperf_classic` reads); the runs come back in the shape of
iperf3's, so one summary and one table serve both.
"""

from __future__ import annotations

import enum
import shlex
from dataclasses import dataclass
from typing import Any

from robot.api import logger

from netvirt.parsers.traffic import NETPERF_SELECTORS, parse_netperf_classic, parse_netperf_keyval
from netvirt.ssh import CommandResult, SshSession
from netvirt.traffic.hostproc import ServerProcess, require_tools
from netvirt.traffic.hostproc import start_server as start_server_listening
from netvirt.traffic.throughput import check_run_options, repeat_runs


class NetperfTest(enum.Enum):
    """netperf bulk-transfer tests: ``TCP_STREAM`` sends to the server, ``TCP_MAERTS`` receives from it."""

    TCP_STREAM = "TCP_STREAM"
    TCP_MAERTS = "TCP_MAERTS"


@dataclass(frozen=True)
class NetperfOptions:
    """One measurement's options, validated on construction."""

    test: NetperfTest = NetperfTest.TCP_STREAM
    duration: int = 10
    repeat: int = 1
    port: int = 12865
    send_size: int | None = None

    def __post_init__(self) -> None:
        check_run_options(self.duration, self.repeat, self.port)
        if self.send_size is not None and not 1 <= self.send_size <= 1048576:
            raise ValueError(f"send_size {self.send_size} 超出范围 1..1048576 字节")

    def client_argv(self, address: str) -> list[str]:
        """The record's ``netperf -H ADDR -l SECS -cC`` with explicit test, port and keyword output."""
        argv = ["netperf", "-H", address, "-p", str(self.port), "-t", self.test.value, "-l", str(self.duration)]
        argv += ["-c", "-C", "-f", "m", "--", "-k", ",".join(NETPERF_SELECTORS)]
        if self.send_size:
            argv += ["-m", str(self.send_size)]
        return argv


def start_server(session: SshSession, port: int, limit_seconds: int) -> ServerProcess:
    """``netserver`` in the foreground, serving tests one after another, listening; a port in use is refused."""
    argv = ["netserver", "-D", "-f", "-4", "-p", str(port)]
    return start_server_listening(session, argv, port, limit_seconds, "测量netperf吞吐量")


def as_run(values: dict[str, Any], test: NetperfTest) -> dict[str, Any]:
    """A parsed keyword output in the shape of an iperf3 run (see ``iperf.summarize``)."""
    rate = values["throughput_bps"]
    return {
        "tool": "netperf",
        "protocol": values.get("protocol", "TCP"),
        "num_streams": 1,
        "sent_bps": rate,
        "received_bps": rate,
        "retransmits": values.get("retransmits"),
        "lost_percent": None,
        "jitter_ms": None,
        "cpu_utilization_percent": {"host_total": values.get("local_cpu"), "remote_total": values.get("remote_cpu")},
        "seconds": values.get("elapsed"),
        "test": test.value,
    }


def run_client(session: SshSession, address: str, options: NetperfOptions) -> tuple[CommandResult, dict[str, Any]]:
    """One client run; returns the command result and the run."""
    result = session.run(shlex.join(options.client_argv(address)), timeout=options.duration + 60)
    try:
        values = parse_netperf_keyval(result.stdout)
    except ValueError:
        try:  # netperf before 2.5 has no -k: it says "invalid option -- k" and prints its classic table
            values = parse_netperf_classic(result.stdout)
        except ValueError:
            output = " ".join((result.stderr + result.stdout).split())[:500] or "没有输出"
            raise RuntimeError(
                f"{session.name} 上的 netperf（到 {address}:{options.port}）失败（rc={result.rc}）：{output}"
            ) from None
        logger.info(f"{session.name} 上的 netperf 没有 -k 关键字输出（2.5 之前的版本）：读取其经典结果表")
    return result, as_run(values, options.test)


def measure(
    client: SshSession, server: SshSession, address: str, options: NetperfOptions
) -> tuple[list[dict[str, Any]], list[CommandResult], str]:
    """``options.repeat`` client runs against one netserver; returns runs, command results, server output."""
    require_tools(client, ["netperf"], "测量netperf吞吐量")
    limit = options.repeat * (options.duration + 60) + 30
    netserver = start_server(server, options.port, limit)
    return repeat_runs(netserver, options.repeat, lambda: run_client(client, address, options))


def measure_alternating(
    client: SshSession, server: SshSession, addresses: dict[str, str], options: NetperfOptions
) -> tuple[dict[str, list[dict[str, Any]]], list[CommandResult], str]:
    """``options.repeat`` rounds of one run to each of ``addresses`` (name -> address), against one netserver.

    Paths compared on a shared machine are measured in turn, round after round, so a change of
    load while they are measured falls on each of them alike instead of on whichever ran last.
    Returns the runs by name (each run carries its ``round``), the command results and the server's
    output; a failed run raises :class:`MeasurementError` with the runs done before it.
    """
    if not addresses:
        raise ValueError("至少要有一条路径（名称=地址）")
    require_tools(client, ["netperf"], "测量netperf吞吐量")
    order = [(round_, name) for round_ in range(1, options.repeat + 1) for name in addresses]
    netserver = start_server(server, options.port, len(order) * (options.duration + 60) + 30)
    pending = iter(order)

    def run_once() -> tuple[CommandResult, dict[str, Any]]:
        round_, name = next(pending)
        result, run = run_client(client, addresses[name], options)
        return result, {**run, "path": name, "round": round_}

    runs, results, output = repeat_runs(netserver, len(order), run_once)
    return {name: [run for run in runs if run["path"] == name] for name in addresses}, results, output
