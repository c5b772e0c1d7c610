"""tcpdump started in the background on a host or guest, stopped by pid, its frames decoded here.

Why a pcap file (``tcpdump -U -w``) fetched over SFTP rather than ``tcpdump -XX`` text:
the file holds the exact bytes and wire lengths of every frame whatever tcpdump's text
format version, including the VLAN tags the kernel strips into metadata (libpcap puts
them back), and ``-U`` writes each frame as it arrives so a stop at any moment loses
nothing. The bytes are decoded in the Robot process by the same ``decode_ethernet``
that reads the record's ``-XX`` samples; no packet library is needed on the host.

Start is confirmed: the keyword waits for tcpdump's ``listening on`` line, so a bad
filter, a missing interface or a missing tool fails at once with tcpdump's own words.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field

from netvirt import atonce
from netvirt.ssh import SshSession
from netvirt.traffic import frames as framelib
from netvirt.traffic.hostproc import (
    BackgroundProcess,
    HostProcessError,
    remove_tempdir,
    require_tools,
    sftp,
    start_background,
    tempdir_path,
)

START_TIMEOUT = 10.0
_numbers = itertools.count(1)
_DROPPED_RE = re.compile(r"^(\d+) packets? dropped by kernel", re.MULTILINE)


class CaptureError(RuntimeError):
    """A capture did not start, or its file could not be read back."""


@dataclass
class Capture:
    """A running capture: where, what, and the tcpdump process behind it."""

    host: str
    interface: str
    filter: str
    count: int | None
    directory: str
    process: BackgroundProcess = field(repr=False)
    number: int = field(default_factory=lambda: next(_numbers))
    started: float = field(default_factory=time.monotonic)
    stopped: bool = False

    @property
    def pcap(self) -> str:
        return f"{self.directory}/capture.pcap"

    @property
    def name(self) -> str:
        what = f"，过滤 {self.filter!r}" if self.filter else ""
        return f"抓包#{self.number} {self.host}:{self.interface}{what}"

    def __str__(self) -> str:
        return self.name


@dataclass
class CaptureResult:
    capture: Capture
    frames: list[framelib.Frame]
    stderr: str
    seconds: float

    @property
    def dropped(self) -> int:
        found = _DROPPED_RE.search(self.stderr)
        return int(found.group(1)) if found else 0


def tcpdump_argv(interface: str, pcap: str, filter: str = "", count: int | None = None) -> list[str]:
    """``tcpdump -i IF --immediate-mode -U -Z root -n -w FILE [-c N] [-- FILTER]``.

    ``--immediate-mode`` hands each frame to tcpdump at once: otherwise libpcap's capture
    ring releases frames in blocks, up to a second late, and a block still open when tcpdump
    is stopped is lost (measured: a ping just before the stop went missing). ``-Z root``
    keeps tcpdump from dropping to its own user, who could not write into a root-owned
    private directory; ``--`` keeps a filter that starts with ``-`` from being read as an
    option, and the filter stays one argument.
    """
    argv = ["tcpdump", "-i", interface, "--immediate-mode", "-U", "-Z", "root", "-n", "-w", pcap]
    if count is not None:
        argv += ["-c", str(count)]
    return [*argv, "--", filter] if filter else argv


def start(
    session: SshSession, interface: str, filter: str = "", count: int | None = None, max_seconds: int = 600
) -> Capture:
    """Start tcpdump on the session's host; return once it is listening."""
    require_tools(session, ["tcpdump", "timeout"], "抓包")
    directory = tempdir_path("capture")
    argv = tcpdump_argv(interface, f"{directory}/capture.pcap", filter, count)
    try:
        process = start_background(session, argv, max_seconds, workdir=directory)
    except BaseException:
        _remove(session, directory)
        raise
    capture = Capture(session.name, interface, filter, count, directory, process)
    listening = process.wait_until(lambda: "listening on" in process.stderr, START_TIMEOUT)
    if not listening:
        complaint = process.stderr.strip() or f"{START_TIMEOUT:.0f} 秒内没有输出 'listening on'"
        try:
            process.stop()
        finally:
            _remove(session, directory)
        if "syntax error" in complaint or "can't parse filter" in complaint:
            raise CaptureError(f"抓包过滤条件 {filter!r} 有语法错误（{session.name}）：{complaint}")
        raise CaptureError(f"{session.name} 上的 tcpdump 没有开始抓包（接口 {interface}）：{complaint}")
    return capture


def start_many(
    targets: list[tuple[SshSession, str]], filter: str = "", count: int | None = None, max_seconds: int = 600
) -> list[Capture]:
    """``start`` on every ``(session, interface)`` at once (each waits for its tcpdump to listen: a second or so
    in a TCG guest); the captures in order. If one fails to start, those that did are stopped and removed and the
    first failure is raised: nothing is left running. No logging: the caller logs in Robot's thread."""
    started = atonce.outcomes(lambda target: start(*target, filter, count, max_seconds), targets, "capture")
    failures = [outcome for outcome in started if isinstance(outcome, Exception)]
    if failures:
        running = [(session, c) for (session, _), c in zip(targets, started, strict=True) if isinstance(c, Capture)]
        # Stopped, and a failure to stop them not reported: the start's failure is the one to report.
        stop_many(running)
        raise failures[0]
    return started  # type: ignore[return-value]


def stop_many(runs: list[tuple[SshSession, Capture]]) -> list[CaptureResult | Exception]:
    """``stop`` every ``(session, capture)`` at once; each one's result, or the exception that stopping it raised
    (every capture is stopped whatever the others do). No logging: the caller logs in Robot's thread."""
    return atonce.outcomes(lambda run: stop(*run), runs, "capture")


def stop(session: SshSession, capture: Capture) -> CaptureResult:
    """Stop tcpdump by pid, fetch its pcap and remove its directory over SFTP, decode the frames."""
    if capture.stopped:
        raise CaptureError(f"{capture.name} 已经停止过，它的帧由第一次 停止抓包 返回")
    capture.stopped = True
    try:
        capture.process.stop()
    finally:
        data = _fetch_and_remove(session, capture)
    if data is None:
        raise CaptureError(f"{capture.name}：tcpdump 没有写出抓包文件\n{capture.process.stderr.strip()}")
    return CaptureResult(capture, framelib.from_pcap(data), capture.process.stderr, time.monotonic() - capture.started)


def _fetch_and_remove(session: SshSession, capture: Capture) -> bytes | None:
    """The pcap's bytes (None if tcpdump wrote none), the directory removed either way."""
    try:
        with sftp(session) as client:
            try:
                with client.open(capture.pcap, "rb") as remote:
                    data = remote.read()
            except FileNotFoundError:
                data = None
            remove_tempdir(client, capture.directory)
            return data
    except OSError as err:
        raise HostProcessError(f"无法从 {session.name} 读取 {capture.pcap}：{err}") from None


def _remove(session: SshSession, directory: str) -> None:
    with sftp(session) as client:
        remove_tempdir(client, directory)
