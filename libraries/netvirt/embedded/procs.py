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
from collections.abc import Callable, Sequence
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


# -- processes by network namespace ------------------------------------------------------------------
# A lab's namespaces outlive its daemons when a process forked inside them keeps running (an sshd
# session whose listener was stopped, a server a case started in the background): such a process is
# found by the inode of its /proc/<pid>/ns/net, never by its name.


def netns_inode(path: str | Path) -> int | None:
    """The inode of a network namespace (``/run/netns/<name>`` or ``/proc/<pid>/ns/net``), or None."""
    try:
        return os.stat(path).st_ino
    except OSError:  # gone, a zombie, or a kernel thread without a namespace link
        return None


def machine_netns() -> int | None:
    """The machine's own network namespace (init's)."""
    return netns_inode("/proc/1/ns/net")


def named_netns() -> dict[str, int]:
    """The named network namespaces (``ip netns``) and their inodes."""
    run = Path("/run/netns")
    found = {}
    for entry in run.iterdir() if run.is_dir() else ():
        inode = netns_inode(entry)
        if inode is not None:
            found[entry.name] = inode
    return found


def all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def parent_pid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def descendants(roots: set[int]) -> set[int]:
    """Every live process forked (directly or not) by one of ``roots``, the roots excluded."""
    children: dict[int, list[int]] = {}
    for pid in all_pids():
        ppid = parent_pid(pid)
        if ppid:
            children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    todo = list(roots)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found and child not in roots:
                found.add(child)
                todo.append(child)
    return found


def pids_in_netns(inodes: set[int]) -> set[int]:
    """The processes whose network namespace is one of ``inodes``."""
    return {pid for pid in all_pids() if netns_inode(f"/proc/{pid}/ns/net") in inodes}


def open_paths(pid: int) -> list[str]:
    """The files ``pid`` has open and its working directory (``(deleted)`` kept in the name)."""
    proc = Path(f"/proc/{pid}")
    paths = []
    try:
        entries = [proc / "cwd", *(proc / "fd").iterdir()]
    except OSError:
        return []
    for entry in entries:
        try:
            paths.append(os.readlink(entry))
        except OSError:
            continue
    return paths


def stop_pids(pids: set[int], still_ours: Callable[[int], bool], timeout: float = 5.0) -> list[int]:
    """Stop each pid for which ``still_ours`` holds once it is pinned (pidfd): TERM, then KILL. Return those stopped.

    A pid is pinned with ``pidfd_open`` before it is checked, so a pid recycled in between is
    either checked as the new process (and left alone) or signalled as the one checked.
    """
    pinned: dict[int, int] = {}
    for pid in sorted(pids):
        if pid == os.getpid():
            continue
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            continue
        if not still_ours(pid):
            os.close(fd)
            continue
        try:
            signal.pidfd_send_signal(fd, signal.SIGTERM)
        except ProcessLookupError:
            os.close(fd)
            continue
        pinned[pid] = fd
    deadline = time.monotonic() + timeout
    try:
        while any(pid_alive(pid) for pid in pinned) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid, fd in pinned.items():
            if pid_alive(pid):
                try:
                    signal.pidfd_send_signal(fd, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        while any(pid_alive(pid) for pid in pinned) and time.monotonic() < deadline + 2:
            time.sleep(0.05)
    finally:
        for fd in pinned.values():
            os.close(fd)
    return sorted(pinned)
