"""A host whose sshd stops answering, with OpenSSH's real sshd (issue 19: a guest that locked up kept robot
waiting 16 minutes, every later command its full timeout).

This machine's /usr/sbin/sshd serves 127.0.0.1 on a free port with keys made for the test; "locking up" is
SIGSTOP to the listener and every process it forked (the per-connection sshd, the command's shell): the
kernel keeps the TCP connections and accepts new ones, nothing answers, as with a guest in a soft lockup.
SIGCONT brings it back. The test's processes are stopped by pid at the end, none left behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from netvirt.labspec import Credentials
from netvirt.ssh import HostConnectionError, SshSession

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="sshd needs root (privilege separation)"),
    pytest.mark.skipif(not Path("/usr/sbin/sshd").exists(), reason="no OpenSSH sshd on this machine"),
]

CONFIG = """\
ListenAddress 127.0.0.1
Port {port}
HostKey {dir}/host_ed25519
AuthorizedKeysFile {dir}/authorized_keys
PidFile {dir}/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
UseDNS no
Subsystem sftp internal-sftp
"""


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _signal_tree(pid: int, sig: int) -> None:
    for target in [pid, *_descendants(pid)]:
        try:
            os.kill(target, sig)
        except ProcessLookupError:
            pass


@pytest.fixture
def sshd(tmp_path):
    for name in ("host_ed25519", "id_ed25519"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / name)], check=True)
    shutil.copy(tmp_path / "id_ed25519.pub", tmp_path / "authorized_keys")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "sshd_config").write_text(CONFIG.format(port=port, dir=tmp_path))
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    daemon = subprocess.Popen(
        ["/usr/sbin/sshd", "-D", "-e", "-f", str(tmp_path / "sshd_config")], stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "sshd did not listen"
            time.sleep(0.1)
    session = SshSession("vm01", "127.0.0.1", Credentials("root", key_file=str(tmp_path / "id_ed25519")), port)
    yield session, daemon
    session.close()
    _signal_tree(daemon.pid, signal.SIGCONT)
    forked = _descendants(daemon.pid)
    daemon.terminate()
    daemon.wait(10)
    for pid in forked:  # the per-connection sshd outlive their listener
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in forked) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in forked if Path(f"/proc/{pid}/stat").exists() and " Z " not in _stat(pid)]


def _stat(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return " Z "


def test_a_host_that_locks_up_mid_command_fails_within_timeout_and_probe_then_at_once(sshd):
    session, daemon = sshd
    session.probe_timeout = 3.0
    session.retry_after = 3.0
    assert session.run("echo up", timeout=30).stdout == "up\n"

    threading.Timer(1.0, _signal_tree, args=(daemon.pid, signal.SIGSTOP)).start()
    start = time.monotonic()
    with pytest.raises(HostConnectionError) as first:
        session.run("sleep 3; echo late", timeout=5)
    elapsed = time.monotonic() - start
    assert elapsed < 5 + 3 + 2, elapsed  # the command's timeout, the probe's, a margin
    message = str(first.value)
    assert "主机 vm01（127.0.0.1）自 " in message and "起没有应答：命令 sleep 3; echo late 超时（5 秒）" in message
    assert session.unresponsive

    for _ in range(3):  # every later command fails at once, with the same message
        start = time.monotonic()
        with pytest.raises(HostConnectionError) as later:
            session.run("true")
        assert time.monotonic() - start < 0.5 and str(later.value) == message

    _signal_tree(daemon.pid, signal.SIGCONT)
    time.sleep(session.retry_after)
    assert session.run("echo back", timeout=30).stdout == "back\n"
    assert not session.unresponsive


def test_a_host_that_locked_up_while_idle_fails_the_next_command_within_its_timeout(sshd):
    session, daemon = sshd
    session.retry_after = 60.0
    session.probe_timeout = 2.0
    assert session.run("true", timeout=30).ok
    path = f"/tmp/netvirt-test-ssh-hung-host-{os.getpid()}"
    session.put(b"netvirt\n", path, timeout=30)  # SFTP, bounded as commands are
    assert session.run(f"cat {path} && rm {path}").stdout == "netvirt\n"
    _signal_tree(daemon.pid, signal.SIGSTOP)
    start = time.monotonic()
    # The command goes to the session's shell, whose channel is open: its timeout, then the probe's.
    with pytest.raises(HostConnectionError, match="起没有应答：命令 true 超时（4 秒），随后的探测命令 true 在 2 秒内"):
        session.run("true", timeout=4)
    assert time.monotonic() - start < 4 + 2 + 1
    start = time.monotonic()
    with pytest.raises(HostConnectionError, match="之后的命令立即失败"):
        session.run("uname -r")  # the default timeout (120 s) is not waited
    assert time.monotonic() - start < 0.5
    with pytest.raises(HostConnectionError, match="之后的命令立即失败"):
        session.put(b"x", path)
