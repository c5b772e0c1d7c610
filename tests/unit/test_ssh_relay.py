"""The unix socket relay real labs' OVSDB goes through, run as the hypervisor runs it.

``netvirt.ssh``'s relay is handed to the host's Python: python3, or CentOS 7's python 2.7 (yum's, always
there). Here it runs under this machine's python3 and, where pyenv has one, a CPython 2.7, between a pipe
(the SSH channel's stdin/stdout) and a unix socket served by the test.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from netvirt.ssh import _RELAY_LAUNCH, _UNIX_RELAY

PYTHON27 = Path.home() / ".pyenv" / "versions" / "2.7.18" / "bin" / "python2.7"
PYTHONS = [sys.executable] + ([str(PYTHON27)] if PYTHON27.exists() else [])


def echo_server(path: Path) -> socket.socket:
    """Answers every message upper-cased, as a server would answer a request."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def serve():
        conn, _ = server.accept()
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data.upper())

    threading.Thread(target=serve, daemon=True).start()
    return server


@pytest.mark.parametrize("python", PYTHONS)
def test_relay_carries_bytes_both_ways_and_ends_with_its_input(tmp_path, python):
    path = tmp_path / "db.sock"
    server = echo_server(path)
    relay = subprocess.Popen([python, "-c", _UNIX_RELAY, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    message = b'{"method":"list_dbs","params":[],"id":0}' * 2000  # larger than one read
    relay.stdin.write(message)
    relay.stdin.flush()
    received = b""
    while len(received) < len(message):
        received += relay.stdout.read1(65536)
    assert received == message.upper()
    relay.stdin.close()
    assert relay.wait(5) == 0
    server.close()


@pytest.mark.parametrize("python", PYTHONS)
def test_relay_to_a_missing_socket_says_which(tmp_path, python):
    done = subprocess.run([python, "-c", _UNIX_RELAY, str(tmp_path / "none.sock")], capture_output=True, timeout=10)
    assert done.returncode == 2
    assert str(tmp_path / "none.sock") in done.stderr.decode()


def test_launcher_takes_the_first_python_on_path(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python2").symlink_to(PYTHONS[-1])  # a host with python2 only, as CentOS 7 minimal
    env = {"PATH": str(bin_dir)}  # nothing else: no python3
    done = subprocess.run(
        ["/bin/sh", "-c", _RELAY_LAUNCH, _UNIX_RELAY, str(tmp_path / "none.sock")], capture_output=True, env=env
    )
    assert done.returncode == 2 and b"none.sock" in done.stderr
    done = subprocess.run(["/bin/sh", "-c", _RELAY_LAUNCH, _UNIX_RELAY, "x"], capture_output=True, env={"PATH": "/x"})
    assert done.returncode == 127 and b"no python on this host" in done.stderr
