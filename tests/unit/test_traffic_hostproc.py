"""Host-side helpers without a host: tool checks, temporary directories, the background wrapper."""

from __future__ import annotations

import pytest

from netvirt.ssh import CommandResult
from netvirt.traffic import capture, hostproc


class FakeSession:
    """Answers ``run`` from a function of the command; records every command."""

    def __init__(self, answer):
        self.name = "hostb"
        self.answer = answer
        self.commands: list[str] = []

    def run(self, command: str, timeout: float = 120) -> CommandResult:
        self.commands.append(command)
        rc, out = self.answer(command)
        return CommandResult(self.name, command, rc, out, "", 0.01)


def test_missing_tools_are_named_with_host_and_package():
    session = FakeSession(lambda command: (0, "iperf3\ntimeout\n"))
    with pytest.raises(hostproc.MissingToolError) as err:
        hostproc.require_tools(session, ["iperf3", "timeout", "ss"], "测量吞吐量")
    assert str(err.value) == "主机 hostb 上没有 iperf3、timeout（测量吞吐量需要它；请在该主机上安装：coreutils iperf3）"


def test_found_tools_are_checked_once_per_session():
    session = FakeSession(lambda command: (0, ""))
    hostproc.require_tools(session, ["tcpdump", "timeout"], "抓包")
    hostproc.require_tools(session, ["tcpdump"], "抓包")
    assert len(session.commands) == 1
    assert "command -v" in session.commands[0] and "tcpdump timeout" in session.commands[0]


def test_tool_names_are_checked_before_they_reach_a_shell():
    with pytest.raises(ValueError, match="工具名"):
        hostproc.require_tools(FakeSession(lambda command: (0, "")), ["tcpdump; reboot"], "抓包")


class FakeSftp:
    def __init__(self, files: dict[str, list[str]]):
        self.files = files
        self.removed: list[str] = []

    def listdir(self, path):
        if path not in self.files:
            raise FileNotFoundError(path)
        return self.files[path]

    def remove(self, path):
        self.removed.append(path)

    def rmdir(self, path):
        self.removed.append(path + "/")


def test_tempdir_paths_are_fresh_and_checked():
    first, second = hostproc.tempdir_path("capture"), hostproc.tempdir_path("capture")
    assert first != second and hostproc.check_tempdir(first) == first
    for bad in ("/", "/tmp", first + "/../..", "/tmp/other.0123abcd", "/tmp/netvirt-capture.0123ABCD"):
        with pytest.raises(ValueError):
            hostproc.check_tempdir(bad)
    with pytest.raises(ValueError, match="lowercase"):
        hostproc.tempdir_path("../x")


def test_remove_tempdir_removes_its_files_then_itself_and_nothing_else():
    path = "/tmp/netvirt-capture.0123abcd"
    client = FakeSftp({path: ["capture.pcap"]})
    hostproc.remove_tempdir(client, path)
    assert client.removed == [f"{path}/capture.pcap", f"{path}/"]
    hostproc.remove_tempdir(client, "/tmp/netvirt-capture.ffffffff")  # already gone: nothing to do
    with pytest.raises(ValueError):
        hostproc.remove_tempdir(client, "/etc")


def test_tcpdump_argv_keeps_the_filter_one_argument_after_double_dash():
    argv = capture.tcpdump_argv("enP5p1s0", "/tmp/netvirt-capture.AbC12345/capture.pcap", "vlan 100 and arp", 5)
    assert argv[-4:] == ["-c", "5", "--", "vlan 100 and arp"]
    assert capture.tcpdump_argv("eth1", "/tmp/x.pcap")[-2:] == ["-w", "/tmp/x.pcap"]


SS_BUSY = """State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process
LISTEN 0      5            0.0.0.0:5201       0.0.0.0:*    users:(("iperf3",pid=7,fd=3))
"""


def test_a_port_with_a_listener_is_refused_before_any_server_starts():
    # `ss -ltnp` run in the receiver's namespace (the prefix) shows 5201 taken.
    def answer(command):
        return (0, "") if command.startswith("for t in") else (0, SS_BUSY)

    session = FakeSession(answer)
    with pytest.raises(RuntimeError) as err:
        hostproc.start_server(
            session, ["iperf3", "-s", "-p", "5201"], 5201, 60, "测量", prefix=["nsenter", "-t", "42", "-n"]
        )
    assert str(err.value).startswith("hostb（nsenter -t 42 -n） 上的端口 5201 已被占用，无法启动 iperf3：LISTEN")
    assert session.commands[-1] == "nsenter -t 42 -n ss -ltnp"
    assert "nsenter" in session.commands[0], "the prefix's tool is required too"


def test_listeners_match_the_port_exactly():
    session = FakeSession(lambda command: (0, SS_BUSY))
    assert hostproc.listeners(session, 5201) and not hostproc.listeners(session, 520)
