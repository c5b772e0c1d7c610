"""A host that stops answering (a guest locked up under TCG, issue 19) costs one command's timeout plus a short
probe, not every later command's full timeout: ``SshSession`` marks it unresponsive, later commands fail at
once naming the host and since when, and a reconnect after ``retry_after`` clears the mark when the host is
back. A slow command on a live host is told apart by the probe and changes nothing.

The SSH server is paramiko's (an in-process sshd with password login whose exec runs the command under
``sh -c``, as sshd does, so the session's long-lived shell is a real one), reached through a TCP proxy that can
freeze: it then holds every byte and accepts new connections without answering, which is what a
locked-up guest's kernel-less sshd looks like from the client (the TCP connection stays up, nothing answers).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time

import paramiko
import pytest

from netvirt.labspec import Credentials
from netvirt.ssh import HostConnectionError, SshSession

HOST_KEY = paramiko.RSAKey.generate(1024)


class _Server(paramiko.ServerInterface):
    """Password login; an exec request runs ``sh -c <command>`` with SHELL=/bin/sh, its stdin, stdout and stderr
    the channel's, its exit status sent when it ends."""

    def check_auth_password(self, username, password):
        return paramiko.AUTH_SUCCESSFUL if password == "pw" else paramiko.AUTH_FAILED

    def get_allowed_auths(self, username):
        return "password"

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED

    def check_channel_exec_request(self, channel, command):
        proc = subprocess.Popen(
            ["sh", "-c", command.decode()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "SHELL": "/bin/sh"},
        )
        threading.Thread(target=self._serve, args=(channel, proc), daemon=True).start()
        return True

    @staticmethod
    def _serve(channel, proc):
        def feed():
            try:
                while data := channel.recv(65536):
                    proc.stdin.write(data)
                    proc.stdin.flush()
            except (OSError, EOFError):
                pass
            proc.stdin.close()

        def drain(stream, send):
            try:
                while data := stream.read1(65536):
                    send(data)
            except (OSError, EOFError):  # the client went (a test's frozen proxy closed)
                pass

        pumps = [
            threading.Thread(target=feed, daemon=True),
            threading.Thread(target=drain, args=(proc.stderr, channel.sendall_stderr), daemon=True),
        ]
        for pump in pumps:
            pump.start()
        try:
            drain(proc.stdout, channel.sendall)
            pumps[1].join()
            status = proc.wait()
            channel.send_exit_status(status if status >= 0 else 128 - status)  # killed: as sh reports it
            channel.close()
        except (OSError, EOFError):
            proc.kill()


def _sshd() -> tuple[socket.socket, list[paramiko.Transport]]:
    listener = socket.create_server(("127.0.0.1", 0))
    transports: list[paramiko.Transport] = []

    def negotiate(conn):
        transport = paramiko.Transport(conn)
        transport.add_server_key(HOST_KEY)
        transports.append(transport)
        try:
            transport.start_server(server=_Server())  # blocks until the key exchange is done
        except (EOFError, paramiko.SSHException):  # a client that gave up while the host was frozen
            transport.close()

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=negotiate, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return listener, transports


class _FreezingProxy:
    """TCP between the client and the sshd; ``frozen`` holds every byte and leaves new connections unanswered."""

    def __init__(self, target: int):
        self.target = target
        self.frozen = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client):
        while self.frozen.is_set():  # accepted by the kernel, no banner
            time.sleep(0.05)
        server = socket.create_connection(("127.0.0.1", self.target))
        self.sockets.append(server)
        for a, b in ((client, server), (server, client)):
            threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while data := source.recv(65536):
                while self.frozen.is_set():
                    time.sleep(0.05)
                sink.sendall(data)
        except OSError:
            pass

    def close(self):
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def host(monkeypatch):
    monkeypatch.setenv("NETVIRT_TEST_SSH_PASSWORD", "pw")
    listener, transports = _sshd()
    proxy = _FreezingProxy(listener.getsockname()[1])
    session = SshSession("vm01", "127.0.0.1", Credentials("root", password_env="NETVIRT_TEST_SSH_PASSWORD"), proxy.port)
    session.probe_timeout = 1.0
    session.retry_after = 3.0
    yield session, proxy
    proxy.frozen.clear()
    session.close()
    proxy.close()
    listener.close()
    for transport in transports:
        transport.close()


LATE = "sleep 1; echo ok"  # a command that answers after a second


def test_a_host_that_stops_answering_costs_one_timeout_then_fails_at_once_until_it_is_back(host):
    session, proxy = host
    assert session.run("echo ok", timeout=5).stdout == "ok\n"

    # The host locks up while the command runs: the command's timeout, then the probe's.
    threading.Timer(0.5, proxy.frozen.set).start()
    start = time.monotonic()
    with pytest.raises(HostConnectionError) as first:
        session.run(LATE, timeout=2)
    assert time.monotonic() - start < 2 + 1 + 1.5  # the command's timeout, the probe's, a margin
    message = str(first.value)
    assert re.search(rf"^主机 vm01（127\.0\.0\.1）自 \d\d:\d\d:\d\d 起没有应答：命令 {LATE} 超时（2 秒）", message)
    assert "随后的探测命令 true 在 1 秒内也没有回应（主机或虚拟机可能已挂起）" in message and session.unresponsive

    for command in ("true", "uname -r"):  # at once, with the same message, while the host is silent
        start = time.monotonic()
        with pytest.raises(HostConnectionError) as later:
            session.run(command, timeout=120)
        assert time.monotonic() - start < 0.5
        assert str(later.value) == message
    with pytest.raises(HostConnectionError):
        session.start("sleep 60")

    time.sleep(session.retry_after)  # one reconnect is tried, with the short timeout: still silent
    start = time.monotonic()
    with pytest.raises(HostConnectionError, match="重连也失败") as retried:
        session.run("true", timeout=120)
    assert time.monotonic() - start < 1 + 1.5
    assert str(retried.value).startswith(message)

    proxy.frozen.clear()  # the host answers again: the next reconnect clears the mark
    time.sleep(session.retry_after)
    assert session.run("echo ok", timeout=5).stdout == "ok\n"
    assert not session.unresponsive
    assert session.run("true", timeout=5).ok


def test_a_slow_command_on_a_live_host_times_out_alone(host):
    session, _ = host
    start = time.monotonic()
    with pytest.raises(HostConnectionError, match=r"命令超时（1 秒）：sleep 60（主机仍有应答：探测命令 true 成功）"):
        session.run("sleep 60", timeout=1)
    assert time.monotonic() - start < 1 + 1 + 1
    assert not session.unresponsive
    start = time.monotonic()
    assert session.run("echo ok", timeout=5).ok
    assert time.monotonic() - start < 1


def test_a_host_that_locked_up_while_idle_fails_the_next_command_within_its_timeout(host):
    """Nothing was running: the next command, sent to the session's shell, gets no answer within its own timeout
    and the probe none after it; with no shell yet, the channel for one is not even opened (the connect timeout,
    10 s, or the command's own timeout if shorter)."""
    session, proxy = host
    session.run("true", timeout=5)
    proxy.frozen.set()
    start = time.monotonic()
    with pytest.raises(
        HostConnectionError, match=r"自 \d\d:\d\d:\d\d 起没有应答：命令 true 超时（2 秒），随后的探测命令 true 在 1 秒"
    ):
        session.run("true", timeout=2)
    assert time.monotonic() - start < 2 + 1 + 1
    start = time.monotonic()
    with pytest.raises(HostConnectionError, match="没有应答"):
        session.run("true")
    assert time.monotonic() - start < 0.5

    proxy.frozen.clear()
    session.close()
    session.client  # noqa: B018 - connected, no shell started yet
    proxy.frozen.set()
    start = time.monotonic()
    with pytest.raises(
        HostConnectionError, match=r"自 \d\d:\d\d:\d\d 起没有应答：为命令 true 打开 SSH 通道，2 秒没有回应"
    ):
        session.run("true", timeout=2)
    assert time.monotonic() - start < 2 + 1


def test_commands_run_in_the_sessions_shell_one_at_a_time_each_as_in_a_channel_of_its_own(host):
    """The session's long-lived shell runs each command in a subshell with no stdin: its exit status, stdout and
    stderr apart, its working directory, variables and ``exit`` its own; a syntax error is the command's. A command
    started while another thread's holds the shell gets a channel of its own; a shell that ended is replaced."""
    session, _ = host
    result = session.run("cd /; pwd; x=1; echo err >&2; printf tail; exit 3", timeout=5)
    assert (result.rc, result.stdout, result.stderr) == (3, "/\ntail", "err\n")
    result = session.run('pwd; echo "x=${x:-unset}"; cat', timeout=5)
    assert (result.rc, result.stdout) == (0, f"{os.getcwd()}\nx=unset\n")
    result = session.run('echo "unterminated', timeout=5)
    assert result.rc == 2 and "eval" in result.stderr and result.stdout == ""
    shell_pid = session.run("echo $$", timeout=5).stdout
    assert session.run("echo $$", timeout=5).stdout == shell_pid  # one shell for both

    # Another thread's command holds the shell: this one runs beside it, in a shell of its own.
    held = threading.Thread(target=session.run, args=("sleep 1",), kwargs={"timeout": 5})
    held.start()
    time.sleep(0.3)
    start = time.monotonic()
    beside = session.run("echo $$", timeout=5).stdout
    assert time.monotonic() - start < 0.8 and beside != shell_pid
    held.join()

    # A command that ends the shell itself fails, naming the command; the next command gets a new shell.
    with pytest.raises(HostConnectionError, match="shell 意外结束.*：kill -9 \\$\\$"):
        session.run("kill -9 $$", timeout=5)
    assert session.run("echo $$", timeout=5).stdout not in (shell_pid, "")


def test_a_background_command_on_a_host_that_locked_up_fails_within_the_connect_timeout(host):
    """``start`` (captures, traffic servers) waited as long as paramiko does for a channel: an hour."""
    session, proxy = host
    session.connect_timeout = 2
    session.start("echo ok").close()
    proxy.frozen.set()
    start = time.monotonic()
    with pytest.raises(HostConnectionError, match="为命令 tcpdump -i eth1 打开 SSH 通道，2 秒没有回应"):
        session.start("tcpdump -i eth1")
    assert time.monotonic() - start < 2 + 1 and session.unresponsive


def test_close_forgets_that_the_host_was_silent(host):
    """A VM that is restarted gets a fresh start: its session is closed and connects as usual."""
    session, proxy = host
    session.run("true", timeout=5)
    proxy.frozen.set()
    with pytest.raises(HostConnectionError):
        session.run("true", timeout=1)
    assert session.unresponsive
    proxy.frozen.clear()
    session.close()
    assert not session.unresponsive and session.run("true", timeout=5).ok
