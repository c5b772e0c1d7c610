"""A real lab is owned by one run from its setup's first step to its teardown's last (issue 19, item 1).

The owner lock's own script runs here for real (``sh`` and util-linux's ``flock`` on a lock file in a
temporary directory), through a stand-in for the hypervisor's SSH session that runs the command as sshd
would (``sh -c <command>``, stdin and stdout as the channel): what is tested is the lock's behaviour, not a
mock of it. The embedded lab's hosts reached over real SSH are in tests/integration/test_real_lab_access.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from netvirt import reallab, seam
from netvirt.reallab import OwnerLock, RealLab
from netvirt.ssh import HostConnectionError

pytestmark = pytest.mark.skipif(shutil.which("flock") is None, reason="util-linux flock is not installed")


class LocalChannel:
    """The part of a paramiko channel the lock uses, over ``sh -c <command>`` on this machine."""

    def __init__(self, command: str):
        self.proc = subprocess.Popen(
            ["sh", "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self._out = b""
        self._err = b""
        self.closed = False
        self._lock = threading.Lock()
        for stream, name in ((self.proc.stdout, "_out"), (self.proc.stderr, "_err")):
            threading.Thread(target=self._pump, args=(stream, name), daemon=True).start()

    def _pump(self, stream, name: str) -> None:
        for chunk in iter(lambda: os.read(stream.fileno(), 4096), b""):
            with self._lock:
                setattr(self, name, getattr(self, name) + chunk)

    def recv_ready(self) -> bool:
        return bool(self._out)

    def recv(self, size: int) -> bytes:
        with self._lock:
            data, self._out = self._out[:size], self._out[size:]
        return data

    def recv_stderr_ready(self) -> bool:
        return bool(self._err)

    def recv_stderr(self, size: int) -> bytes:
        with self._lock:
            data, self._err = self._err[:size], self._err[size:]
        return data

    def exit_status_ready(self) -> bool:
        if self.proc.poll() is None:
            return False
        time.sleep(0.05)  # what the process wrote before it ended reaches the buffer first
        return True

    def shutdown_write(self) -> None:
        self.proc.stdin.close()

    def close(self) -> None:
        """As sshd does when the connection goes: the session's stdin closes, its processes get SIGHUP."""
        self.closed = True
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            self.proc.send_signal(signal.SIGHUP)
            self.proc.wait(5)


class LocalSession:
    """The hypervisor's SSH session as the lock sees it: ``start`` a command, ``close``."""

    name = "hostb"

    def __init__(self):
        self.channels: list[LocalChannel] = []
        self.closed = 0

    def start(self, command: str) -> LocalChannel:
        channel = LocalChannel(command)
        self.channels.append(channel)
        return channel

    def close(self) -> None:
        self.closed += 1
        for channel in self.channels:
            if not channel.closed:
                channel.close()


@pytest.fixture
def lock_path(tmp_path):
    return str(tmp_path / "netvirt-robot.lock")


def owner(name: str) -> str:
    return f"运行 {name}，主机 ctl，pid 1"


def test_a_second_owner_is_refused_naming_the_first_until_it_releases(lock_path):
    first = OwnerLock(LocalSession(), lock_path, owner("r1"))
    first.take("record")
    assert first.held
    with open(lock_path, encoding="utf-8") as f:
        assert f.read() == "运行 r1，主机 ctl，pid 1\n"

    second = OwnerLock(LocalSession(), lock_path, owner("r2"))
    with pytest.raises(seam.LabInUseError) as refused:
        second.take("record")
    message = str(refused.value)
    assert "实验环境 record 正被另一次运行使用" in message
    assert f"hostb 上的锁 {lock_path}：运行 r1，主机 ctl，pid 1" in message
    assert "本次运行没有改动它" in message
    assert not second.held and not second.taken

    first.release()
    assert not first.held
    with open(lock_path, encoding="utf-8") as f:
        assert f.read() == ""  # released: the owner's line is gone with the lock
    second.take("record")
    assert second.held
    second.release()


def test_a_killed_owners_lock_goes_with_its_connection(lock_path):
    """robot killed: its SSH connection closes, sshd ends the session, and the lock is free for the next run."""
    dead = LocalSession()
    OwnerLock(dead, lock_path, owner("killed")).take("record")
    dead.channels[0].close()  # the connection drops; no release ran
    following = OwnerLock(LocalSession(), lock_path, owner("next"))
    following.take("record")
    assert following.held
    following.release()


def test_a_lock_the_host_cannot_take_fails_naming_host_and_path(tmp_path):
    lock = OwnerLock(LocalSession(), str(tmp_path / "missing-dir" / "x.lock"), owner("r1"))
    with pytest.raises(HostConnectionError) as err:
        lock.take("record")
    assert not isinstance(err.value, seam.LabInUseError)
    assert f"hostb：无法取得实验环境的所有权锁 {tmp_path}/missing-dir/x.lock" in str(err.value)
    assert str(err.value).count("missing-dir/x.lock") == 2  # the host's own words follow


@pytest.fixture
def runs(record, lock_path, monkeypatch):
    """Two runs of the record's lab; what the lab-wide setup and teardown did, in order."""
    done: list[str] = []
    monkeypatch.setattr(reallab.SshLab, "setup", lambda self: done.append(f"{self.lock.owner}: setup"))
    monkeypatch.setattr(reallab.SshLab, "teardown", lambda self: done.append(f"{self.lock.owner}: teardown"))

    def said(message: str) -> None:  # the progress lines, shortened to what they say about ownership
        done.append(message.replace(record.name, "record").replace(f"hostb 上的锁 {lock_path}", "锁"))

    def run(name: str) -> RealLab:
        lab = RealLab(record, progress=said)
        lab.lock = OwnerLock(LocalSession(), lock_path, name)
        return lab

    return run, done


def test_the_second_run_changes_nothing_in_its_setup_nor_its_teardown(runs):
    run, done = runs
    first, second = run("first"), run("second")
    first.setup()
    with pytest.raises(seam.LabInUseError, match="正被另一次运行使用.*first"):
        second.setup()
    second.teardown()  # the suite teardown of a run that does not own the lab
    owned = "本次运行拥有实验环境 record（锁）"
    assert done == [owned, "first: setup"]  # the second run put nothing back and removed nothing
    assert first.lock.held
    first.teardown()
    assert done == [owned, "first: setup", "first: teardown", "实验环境 record 已交还（锁 已释放）"]
    assert not first.lock.held
    # the lab is free again: the next run owns it
    third = run("third")
    third.setup()
    third.teardown()
    assert done[-3:] == ["third: setup", "third: teardown", "实验环境 record 已交还（锁 已释放）"]


def test_a_run_whose_lock_connection_dropped_does_not_touch_the_lab_in_teardown(runs):
    run, done = runs
    lab = run("first")
    lab.setup()
    lab.lock.session.channels[0].close()  # the lock's connection dropped mid-run
    lab.teardown()
    assert done[1:] == ["first: setup", "实验环境 record 的所有权锁已失去（连接断开）：拆除时不再改动它"]


def test_the_owner_line_names_run_user_host_pid_and_time():
    line = reallab.owner_line("record")
    assert line.startswith("运行 ") and "（实验环境 record）" in line
    assert f"pid {os.getpid()}" in line and "主机 " in line and "用户 " in line and "开始于 " in line


def test_the_lock_is_on_the_hypervisor_at_the_lab_parameter_or_the_default(record):
    import dataclasses

    assert RealLab(record, progress=lambda m: None).lock.path == reallab.OWNER_LOCK == "/run/netvirt-robot.lock"
    params = dict(record.params, owner_lock="/var/lock/lab.lock")
    lab = RealLab(dataclasses.replace(record, params=params), progress=lambda m: None)
    assert (lab.lock.path, lab.lock.session.name) == ("/var/lock/lab.lock", "hostb")


def test_a_lock_held_with_no_owner_written_is_asked_again(lock_path):
    """An owner starting or finishing holds the lock with its file empty: asked again a moment later, the lock is
    free (here a holder that writes nothing lets go after 0.7 s); one that keeps it is named as unknown."""
    holder = subprocess.Popen(["flock", lock_path, "sleep", "0.7"])
    try:
        deadline = time.monotonic() + 5
        while not Path(lock_path).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        waiting = OwnerLock(LocalSession(), lock_path, owner("next"))
        waiting.take("record")
        assert waiting.held
        waiting.release()
    finally:
        holder.wait(5)
    stuck = subprocess.Popen(["flock", lock_path, "sleep", "10"])
    try:
        time.sleep(0.2)
        with pytest.raises(seam.LabInUseError, match="所有者未知.*反复几次仍是如此"):
            OwnerLock(LocalSession(), lock_path, owner("other")).take("record")
    finally:
        stuck.kill()
        stuck.wait(5)
