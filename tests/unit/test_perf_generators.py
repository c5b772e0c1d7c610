"""The measurer seam and its generators: input checks, iperf3's command line and counts, and what happens
when no generator can run (TRex and pktgen-DPDK absent, iperf3 missing)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from netvirt.parsers.traffic import Iperf3Error
from netvirt.perf import frames, generators
from netvirt.perf.generators import Endpoint, Generator, GeneratorUnavailable, Iperf3Measurer
from netvirt.perf.measurer import Measurer, TrialResult
from netvirt.ssh import CommandResult

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "generated"

# iperf3 -u -J through the embedded lab's p2p path with a 5000 pps policer (trimmed to what is read):
# 19 984 datagrams sent, the server saw up to #19 968 with 14 882 gaps, so 5 086 arrived.
LOSSY = {
    "start": {"test_start": {"protocol": "UDP", "num_streams": 1, "blksize": 18, "duration": 1}},
    "end": {
        "sum": {
            "seconds": 1.003607,
            "bytes": 359712,
            "bits_per_second": 2877477.3,
            "jitter_ms": 0.1828,
            "lost_packets": 14882,
            "packets": 19984,
            "lost_percent": 74.47,
            "sender": True,
        },
        "sum_sent": {
            "seconds": 1.000076,
            "bytes": 359712,
            "bits_per_second": 2877477.3,
            "jitter_ms": 0,
            "lost_packets": 0,
            "packets": 19984,
            "lost_percent": 0,
            "sender": True,
        },
        "sum_received": {
            "seconds": 1.003607,
            "bytes": 91548,
            "bits_per_second": 729751.8,
            "jitter_ms": 0.1828,
            "lost_packets": 14882,
            "packets": 19968,
            "lost_percent": 74.47,
            "sender": False,
        },
    },
}


class FakeSession:
    """Answers commands from a table of (substring, CommandResult fields); records what was run."""

    def __init__(self, name: str, answers: list[tuple[str, int, str]]):
        self.name = name
        self.answers = answers
        self.commands: list[str] = []

    def run(self, command: str, timeout: float = 120) -> CommandResult:
        self.commands.append(command)
        for needle, rc, stdout in self.answers:
            if needle in command:
                return CommandResult(self.name, command, rc, stdout, "", 0.01)
        return CommandResult(self.name, command, 0, "", "", 0.01)


def test_udp_counts_take_sent_from_the_client_and_received_from_the_server():
    counts = generators.udp_counts(json.dumps(LOSSY))
    assert counts == {"sent": 19984, "received": 5086, "seconds": 1.000076, "jitter_ms": 0.1828}
    # The 16 datagrams after the last one the server saw are lost too: 19 984 - 5 086.
    trial = TrialResult(20000, 1, 64, counts["sent"], counts["received"], counts["seconds"], 1.1, "iperf3")
    assert trial.lost == 14898 and trial.loss_ratio == pytest.approx(14898 / 19984)


def test_udp_counts_report_iperf3s_own_error():
    with pytest.raises(Iperf3Error, match="the server is busy"):
        generators.udp_counts(json.dumps({"start": {}, "error": "the server is busy running a test. try again later"}))
    with pytest.raises(ValueError, match="没有 UDP 的 packets 计数"):
        generators.udp_counts((FIXTURES / "iperf3-tcp.json").read_text(encoding="utf-8"))


def measurer(tx_ns: int | None = None, rx_ns: int | None = 4242, **kwargs) -> Iperf3Measurer:
    sessions = {"hosta": FakeSession("hosta", [])}
    return Iperf3Measurer(
        sessions.__getitem__,
        Endpoint("hosta", "enP4p1s0", "198.19.1.1", tx_ns),
        Endpoint("hosta", "enP5p1s0", "198.19.1.2", rx_ns),
        mtu=1500,
        speed_mbps=10_000,
        **kwargs,
    )


def test_client_command_line_sizes_datagrams_from_the_frame():
    argv = measurer().client_argv(5000, 1.0, 64)
    assert argv[:2] == ["iperf3", "-c"]  # the sender is in Host A's own namespace
    assert argv[argv.index("-l") + 1] == "18"  # 64 - 14 - 20 - 8 - 4
    assert argv[argv.index("-b") + 1] == str(5000 * 18 * 8)
    assert argv[argv.index("-t") + 1] == "1"
    assert argv[argv.index("-B") + 1] == "198.19.1.1" and "-J" in argv and "-u" in argv
    inside = measurer(tx_ns=99).client_argv(812_743.8, 2.0, 1518)
    assert inside[:5] == ["nsenter", "-t", "99", "-n", "iperf3"]
    assert inside[inside.index("-l") + 1] == "1472"


def test_trial_input_is_checked_before_anything_runs():
    m = measurer()
    m.server = object()  # as if started
    for args, message in (
        ((5000, 1, 63), "小于以太网最小帧长"),
        ((5000, 1, 1519), "超过 MTU 1500"),
        ((5000, 0, 64), "试验时长 0 秒不合法"),
        ((0, 1, 64), "负载 0 帧/秒不合法"),
        ((5000, 1.5, 64), "iperf3 的试验时长只能是整秒"),
    ):
        with pytest.raises(frames.PerfInputError, match=message):
            m.measure(*args)
    with pytest.raises(GeneratorUnavailable, match="iperf3 服务端没有运行"):
        measurer().measure(5000, 1, 64)


def test_one_way_latency_needs_both_ends_on_one_clock():
    vm2vm = Iperf3Measurer(
        lambda host: None, Endpoint("vm02", "eth1", "198.19.3.2"), Endpoint("vm01", "eth1", "198.19.3.1"), 1500, 10_000
    )
    vm2vm.server = object()
    vm2vm.probe_pps = 200
    with pytest.raises(frames.PerfInputError, match="同一台主机上（同一时钟）：发送端 vm02，接收端 vm01"):
        vm2vm.measure(1000, 1, 64)


def test_missing_iperf3_means_no_generator_named_with_its_package():
    session = FakeSession("hosta", [("command -v", 0, "iperf3\n")])
    m = Iperf3Measurer(
        lambda host: session,
        Endpoint("hosta", "a", "198.19.1.1"),
        Endpoint("hosta", "b", "198.19.1.2", 7),
        1500,
        10_000,
    )
    with pytest.raises(GeneratorUnavailable, match="主机 hosta 上没有 iperf3.*请在该主机上安装：iperf3"):
        m.start()
    assert m.server is None


def test_measure_bps_converts_an_l2_rate():
    class Echo(Measurer):
        def _trial(self, load_pps, duration_s, frame_size):
            return TrialResult(load_pps, duration_s, frame_size, 0, 0, 0.0, 0.0, "echo")

    result = Echo(1500, 10_000).measure_bps(512_000_000, 1, 64)
    assert result.load_pps == pytest.approx(1_000_000)
    assert result.loss_ratio == 1.0 and result.offered_pps == 0  # nothing sent: everything lost
    with pytest.raises(frames.PerfInputError, match="负载 0 帧/秒"):
        Echo(1500, 10_000).measure_bps(0, 1, 64)


NONE = {"trex": False, "pktgen": False, "trafgen": False, "iperf3": False}


def test_no_generator_at_all_is_a_clear_error():
    with pytest.raises(GeneratorUnavailable, match="没有可用的流量发生器：.*TRex.*不在 PyPI 上.*pktgen-DPDK.*iperf3"):
        generators.choose(Generator.auto, NONE, {})


def test_trex_and_pktgen_are_detected_but_not_measured_with():
    with pytest.raises(GeneratorUnavailable, match=r"trex 不可用：Host A 上没有安装 TRex（/opt/trex/current/t-rex-64"):
        generators.choose(Generator.trex, {**NONE, "iperf3": True}, {})
    with pytest.raises(GeneratorUnavailable, match="本库尚未实现 TRex 测量器"):
        generators.choose(Generator.trex, {**NONE, "trex": True}, {"trex_dir": "/opt/trex/v3.04"})
    with pytest.raises(GeneratorUnavailable, match="pktgen 不可用：Host A 上没有安装 pktgen-DPDK"):
        generators.choose(Generator.pktgen, NONE, {})
    choice, notes = generators.choose(Generator.auto, {**NONE, "trex": True, "iperf3": True}, {})
    assert choice is Generator.iperf3
    assert "尚未实现 TRex 测量器" in notes[0] and "pktgen-DPDK" in notes[1]
    assert "没有安装 trafgen（Debian/CentOS 软件包 netsniff-ng）：改用 iperf3" in notes[2]
    assert generators.choose(Generator.iperf3, {**NONE, "iperf3": True}, {}) == (Generator.iperf3, [])


def test_detection_asks_host_a():
    session = FakeSession(
        "hosta",
        [
            ("t-rex-64", 1, ""),
            ("command -v pktgen", 1, ""),
            ("command -v trafgen", 1, ""),
            ("command -v iperf3", 0, ""),
        ],
    )
    assert generators.detect(session, {}) == {"trex": False, "pktgen": False, "trafgen": False, "iperf3": True}
    assert shlex.join(["test", "-x", "/opt/trex/current/t-rex-64"]) in session.commands
