"""设置接口地址 runs its ip commands as one ``ip -batch`` process: checked here against this machine's own
iproute2 (Debian 12, 6.1.0) in a network namespace of the test's own, through the keyword as a suite calls it."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

import embedded_lab
from HostLibrary import HostLibrary
from netvirt import iproute, seam
from netvirt.labspec import load_lab
from netvirt.ssh import CommandResult

NS = f"nvut-ipb-{os.getpid()}"


class _NamespaceShell:
    """Runs a command line with bash in the test's namespace, as a lab host's sshd would with the login shell."""

    def __init__(self):
        self.commands: list[str] = []

    def run(self, command: str, timeout: float = 120) -> CommandResult:
        self.commands.append(command)
        start = time.monotonic()
        done = subprocess.run(
            ["ip", "netns", "exec", NS, "bash", "-c", command], capture_output=True, text=True, timeout=timeout
        )
        return CommandResult("hosta", command, done.returncode, done.stdout, done.stderr, time.monotonic() - start)


class _Lab:
    def __init__(self, shell: _NamespaceShell):
        self.spec = load_lab(embedded_lab.description("nvut"))
        self.shell = shell

    def session(self, host: str) -> _NamespaceShell:
        return self.shell


def _ns(*argv: str) -> str:
    return subprocess.run(["ip", "netns", "exec", NS, *argv], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def shell():
    subprocess.run(["ip", "netns", "add", NS], check=True)
    try:
        _ns("ip", "link", "add", "t0", "type", "veth", "peer", "name", "t1")
        shell = _NamespaceShell()
        seam.use(_Lab(shell))
        yield shell
    finally:
        seam.use(None)
        subprocess.run(["ip", "netns", "delete", NS], check=True)


def _link(name: str) -> dict:
    return json.loads(_ns("ip", "-j", "addr", "show", "dev", name))[0]


def test_flush_replace_and_up_run_as_one_ip_process(shell):
    _ns("ip", "addr", "add", "9.9.9.9/24", "dev", "t0")
    HostLibrary().set_address("hosta", "t0", "5.5.5.51/24", flush=True)
    link = _link("t0")
    assert [(a["local"], a["prefixlen"]) for a in link["addr_info"] if a["family"] == "inet"] == [("5.5.5.51", 24)]
    assert "UP" in link["flags"]
    assert len(shell.commands) == 1 and shell.commands[0].startswith("ip -4 -batch - <<")


def test_without_flush_the_other_addresses_stay(shell):
    _ns("ip", "addr", "add", "9.9.9.9/24", "dev", "t0")
    HostLibrary().set_address("hosta", "t0", "5.5.5.51/24")
    assert {a["local"] for a in _link("t0")["addr_info"] if a["family"] == "inet"} == {"9.9.9.9", "5.5.5.51"}


def test_a_failing_step_stops_the_batch_and_fails_the_keyword_with_ips_words(shell):
    # The address step fails (no such device): the link step after it must not run.
    command = iproute.batch([["addr", "replace", "5.5.5.51/24", "dev", "nosuch"], ["link", "set", "t0", "up"]], "-4")
    with pytest.raises(AssertionError) as failure:
        HostLibrary().run_on_host("hosta", command)
    assert 'Cannot find device "nosuch"' in str(failure.value) and "Command failed -:1" in str(failure.value)
    assert "UP" not in _link("t0")["flags"]


def test_bad_input_is_refused_before_anything_runs(shell):
    with pytest.raises(ValueError):
        HostLibrary().set_address("hosta", "t0", "5.5.5.351/24")
    with pytest.raises(ValueError):
        HostLibrary().set_address("hosta", "t0; reboot", "5.5.5.51/24")
    assert shell.commands == []


def test_a_line_cannot_smuggle_the_end_marker_or_a_newline():
    with pytest.raises(ValueError):
        iproute.batch([["link", "set", "t0", "up"], [iproute.END]])
    with pytest.raises(ValueError):
        iproute.batch([["link", "set", "t0\nreboot", "up"], ["link", "show"]])


def test_addresses_flushed_on_several_hosts_at_once(shell):
    # Both "hosts" are the test's namespace here: t0 and t1 stand for the two guests' interfaces.
    _ns("ip", "addr", "add", "9.9.9.9/24", "dev", "t0")
    _ns("ip", "addr", "add", "9.9.9.10/24", "dev", "t0")
    HostLibrary().flush_addresses_on("t0", "vm01", "vm02")
    assert [a for a in _link("t0")["addr_info"] if a["family"] == "inet"] == []
    assert shell.commands == ["ip -4 addr flush dev t0"] * 2
    with pytest.raises(AssertionError, match=r'清除 nosuch 的地址失败：hosta：Device "nosuch" does not exist'):
        HostLibrary().flush_addresses_on("nosuch", "vm01")


def test_flushing_refuses_bad_input_before_anything_runs(shell):
    with pytest.raises(ValueError):
        HostLibrary().flush_addresses_on("t0; reboot", "vm01", "vm02")
    with pytest.raises(ValueError, match="至少给一台主机"):
        HostLibrary().flush_addresses_on("t0")
    assert shell.commands == []
