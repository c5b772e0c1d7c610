"""Running commands and daemons for the embedded lab, always by argv and tracked by pid.

Nothing here builds a shell string or stops a process by name: a daemon's pid is written
to the lab's own pid directory when it starts, and it is stopped only if that pid still
runs a command line that carries the lab's marker (so a recycled pid is never hit).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


class LabCommandError(RuntimeError):
    """A lab command failed; the message has the command and what it printed."""


def netns_argv(ns: str | None, argv: Sequence[str]) -> list[str]:
    return ["ip", "netns", "exec", ns, *argv] if ns else list(argv)


def run(
    argv: Sequence[str],
    ns: str | None = None,
    check: bool = True,
    timeout: float = 60,
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess:
    """Run ``argv`` (in namespace ``ns``) and return the completed process."""
    full = netns_argv(ns, argv)
    proc = subprocess.run(
        full, capture_output=True, text=True, timeout=timeout, input=input, env={**os.environ, **env} if env else None
    )
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise LabCommandError(f"命令失败 (rc={proc.returncode}): {' '.join(full)}\n{detail}")
    return proc


def start_daemon(
    argv: Sequence[str], pidfile: Path, logfile: Path, ns: str | None = None, env: dict[str, str] | None = None
) -> int:
    """Start a foreground daemon in its own session and record its pid."""
    with open(logfile, "ab") as log:
        proc = subprocess.Popen(
            netns_argv(ns, argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            env={**os.environ, **env} if env else None,
        )
    pidfile.write_text(f"{proc.pid}\n")
    return proc.pid


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone; reap it if it is ours.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    if state == "Z":
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        return False
    return True


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def stop_pid(pid: int, marker: str, timeout: float = 5.0) -> bool:
    """Stop ``pid`` if its command line contains ``marker``: TERM, then KILL. True if it was ours."""
    if not pid_alive(pid) or marker not in cmdline(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
        while pid_alive(pid) and time.monotonic() < deadline + 2:
            time.sleep(0.05)
    return True


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    """Poll ``predicate`` until it returns a truthy value; raise naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise LabCommandError(f"等待超时（{timeout:.0f} 秒）：{what}")
        time.sleep(interval)
