"""Running things on a lab host: required tools, private temporary directories, background processes.

A background process (tcpdump, an iperf3 server) is started over an SSH channel as
``echo $$; exec timeout -s INT -k 5 LIMIT <argv>``. The first output line is the pid to
signal later; before any signal the pid's ``/proc/<pid>/cmdline`` is compared with the
exact argv that was started, so a recycled pid is never hit, and nothing is ever stopped
by name. ``timeout`` is the safety net: should this Robot process die before it stops
the process, the host stops it by itself after LIMIT seconds.

Nothing here logs: callers hand what they get back to the keyword's thread.
"""

from __future__ import annotations

import re
import secrets
import shlex
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import paramiko

from netvirt.ssh import SshSession

# The Debian package that brings each tool, for the error message.
PACKAGES = {
    "tcpdump": "tcpdump",
    "iperf3": "iperf3",
    "netperf": "netperf（Debian non-free）",
    "netserver": "netperf（Debian non-free）",
    "python3": "python3",
    "ethtool": "ethtool",
    "timeout": "coreutils",
    "ss": "iproute2",
    "ping": "iputils-ping",
}
_TOOL_RE = re.compile(r"^[A-Za-z0-9_.+-]+$")
_TEMPDIR_RE = re.compile(r"^/tmp/netvirt-[a-z]+\.[0-9a-f]{8}$")
# As long as a command's own timeout (30 s): a TCG guest of a machine running several labs (load 20 on 2 cores)
# took more than 10 s to start a shell and print its pid (netserver in 待解决问题 netperf, nvh2, 2026-12-03).
_PID_TIMEOUT = 30.0

# Tools already found on a session's host; weak keys, so a rebuilt lab is checked again.
_found: weakref.WeakKeyDictionary[SshSession, set[str]] = weakref.WeakKeyDictionary()


class MissingToolError(RuntimeError):
    """A tool a keyword needs is not installed on the host."""


class HostProcessError(RuntimeError):
    """A background process on a host did not start or could not be stopped."""


def require_tools(session: SshSession, tools: Sequence[str], purpose: str) -> None:
    """Fail naming the host and the tool when any of ``tools`` is missing there."""
    known = _found.setdefault(session, set())
    wanted = [tool for tool in tools if tool not in known]
    if not wanted:
        return
    for tool in wanted:
        if not _TOOL_RE.match(tool):
            raise ValueError(f"工具名 {tool!r} 不合法")
    script = f'for t in {" ".join(map(shlex.quote, wanted))}; do command -v "$t" >/dev/null 2>&1 || echo "$t"; done'
    result = session.run(script, timeout=30)
    missing = result.stdout.split()
    if missing:
        names = "、".join(missing)
        packages = " ".join(sorted({PACKAGES.get(tool, tool) for tool in missing}))
        raise MissingToolError(f"主机 {session.name} 上没有 {names}（{purpose}需要它；请在该主机上安装：{packages}）")
    known.update(wanted)


def tempdir_path(purpose: str) -> str:
    """A fresh path for a private directory under /tmp on a host (created by whoever uses it).

    The name is random and the directory is made with ``mkdir`` (never ``-p``), so an
    existing file or link of that name makes the creation fail instead of being used.
    """
    if not re.fullmatch(r"[a-z]+", purpose):
        raise ValueError(f"purpose {purpose!r} must be lowercase letters")
    return f"/tmp/netvirt-{purpose}.{secrets.token_hex(4)}"


def check_tempdir(path: str) -> str:
    """``path`` if it is one of ``tempdir_path``'s, else ValueError (so nothing else is ever removed)."""
    if not _TEMPDIR_RE.match(path):
        raise ValueError(f"{path!r} is not a directory made by tempdir_path")
    return path


@contextmanager
def sftp(session: SshSession) -> Iterator[paramiko.SFTPClient]:
    """An SFTP session to the host: file transfers and removals without a shell round trip."""
    with session.open_sftp() as client:  # bounded: a host that stops answering fails it, not hangs it
        yield client


def remove_tempdir(client: paramiko.SFTPClient, path: str) -> None:
    """Remove a ``tempdir_path`` directory and the files in it, if it exists."""
    check_tempdir(path)
    try:
        names = client.listdir(path)
    except FileNotFoundError:
        return
    for name in names:
        client.remove(f"{path}/{name}")
    client.rmdir(path)


@dataclass
class BackgroundProcess:
    """A process started by ``start_background``: its pid, exact argv and output so far."""

    session: SshSession
    argv: list[str]
    pid: int
    channel: paramiko.Channel
    _out: bytearray = field(default_factory=bytearray, repr=False)
    _err: bytearray = field(default_factory=bytearray, repr=False)
    exit_status: int | None = None

    @property
    def host(self) -> str:
        return self.session.name

    @property
    def stdout(self) -> str:
        return self._out.decode(errors="replace")

    @property
    def stderr(self) -> str:
        return self._err.decode(errors="replace")

    def _drain(self) -> None:
        while self.channel.recv_ready():
            self._out += self.channel.recv(65536)
        while self.channel.recv_stderr_ready():
            self._err += self.channel.recv_stderr(65536)

    def running(self) -> bool:
        """Read what the process wrote so far; False once it has exited (``exit_status`` set)."""
        if self.exit_status is not None:
            return False
        self._drain()
        if not self.channel.exit_status_ready():
            return True
        self.exit_status = self.channel.recv_exit_status()
        # Output can still be in flight after the exit status arrived: read until EOF.
        deadline = time.monotonic() + 2
        while not self.channel.eof_received and time.monotonic() < deadline:
            time.sleep(0.01)
            self._drain()
        self._drain()
        return False

    def wait_until(self, ready: Callable[[], bool], timeout: float) -> bool:
        """Poll until ``ready()`` (True) or the process exits or ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        while True:
            alive = self.running()
            if ready():
                return True
            if not alive or time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def wait_exit(self, timeout: float) -> bool:
        return self.wait_until(lambda: self.exit_status is not None, timeout)

    def _signal(self, signal: str) -> bool:
        """Send ``signal`` if the pid still runs exactly our argv (one round trip); False if it is gone."""
        same = f"printf '%s\\0' {shlex.join(self.argv)} | cmp -s - /proc/{self.pid}/cmdline"
        return self.session.run(f"{same} && kill -{signal} {self.pid}", timeout=30).ok

    def stop(self, grace: float = 5) -> None:
        """Stop the process by pid (SIGINT, then SIGKILL after ``grace`` s) and close the channel."""
        try:
            if self.running() and self._signal("INT") and not self.wait_exit(grace):
                self._signal("KILL")
                if not self.wait_exit(5):
                    raise HostProcessError(f"主机 {self.host} 上的进程 {self.pid} 没有退出：{shlex.join(self.argv)}")
        finally:
            self.channel.close()


def start_background(
    session: SshSession, argv: Sequence[str], limit_seconds: int, workdir: str | None = None
) -> BackgroundProcess:
    """Start ``argv`` on the host under ``timeout``; return once its pid is known.

    ``workdir`` (a ``tempdir_path``) is created first, in the same round trip. The caller
    checks that ``timeout`` exists on the host (``require_tools``).
    """
    if limit_seconds < 1:
        raise ValueError(f"limit_seconds {limit_seconds} must be at least 1")
    wrapped = ["timeout", "-s", "INT", "-k", "5", str(limit_seconds), *argv]
    mkdir = f"{shlex.join(['mkdir', '-m', '0700', '--', check_tempdir(workdir)])} || exit 1; " if workdir else ""
    channel = session.start(f"{mkdir}echo $$; exec {shlex.join(wrapped)}")
    process = BackgroundProcess(session, wrapped, 0, channel)
    if not process.wait_until(lambda: b"\n" in process._out, _PID_TIMEOUT):
        process.channel.close()
        raise HostProcessError(
            f"主机 {session.name} 上的后台命令没有报告进程号：{shlex.join(argv)}\n{process.stderr.strip()}"
        )
    first, _, rest = bytes(process._out).partition(b"\n")
    process.pid = int(first)
    process._out[:] = rest
    return process


def listeners(session: SshSession, port: int, prefix: Sequence[str] = ()) -> list[str]:
    """Lines of ``ss -ltnp`` whose local address ends in ``:port`` (run under ``prefix``, e.g. nsenter)."""
    result = session.run(shlex.join([*prefix, "ss", "-ltnp"]), timeout=30)
    found = []
    for line in result.stdout.splitlines()[1:]:  # State Recv-Q Send-Q Local:Port Peer:Port Process
        fields = line.split()
        if len(fields) > 3 and fields[3].endswith(f":{port}"):
            found.append(line)
    return found


@dataclass
class ServerProcess:
    """A traffic server (``iperf3 -s``, ``netserver``) on a host, from ``start_server`` until ``stop``."""

    session: SshSession
    port: int
    process: BackgroundProcess = field(repr=False)

    def stop(self) -> str:
        """Stop it by pid; return what it printed."""
        self.process.stop()
        return self.process.stdout + self.process.stderr


def start_server(
    session: SshSession,
    argv: Sequence[str],
    port: int,
    limit_seconds: int,
    purpose: str,
    prefix: Sequence[str] = (),
    ready_timeout: float = 10,
) -> ServerProcess:
    """Start a server that listens on TCP ``port`` and wait until it does; refuse a port already in use.

    ``prefix`` runs it and the checks elsewhere on the host (``nsenter -t PID -n``: a namespace).
    iperf3 and netserver buffer their output when it is not a terminal, so readiness is read
    from the socket table (``ss -ltn``), not from what they print.
    """
    tool = argv[0]
    require_tools(session, [tool, "timeout", "ss", *prefix[:1]], purpose)
    where = f"{session.name}{'（' + shlex.join(prefix) + '）' if prefix else ''}"
    busy = listeners(session, port, prefix)
    if busy:
        raise RuntimeError(f"{where} 上的端口 {port} 已被占用，无法启动 {tool}：{busy[0].strip()}")
    process = start_background(session, [*prefix, *argv], limit_seconds)
    server = ServerProcess(session, port, process)
    if not process.wait_until(lambda: bool(listeners(session, port, prefix)), ready_timeout):
        output = server.stop().strip()
        raise RuntimeError(f"{where} 上的 {tool} 没有在端口 {port} 上监听：{output or '没有输出'}")
    return server
