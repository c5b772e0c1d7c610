"""The trafgen measurer's pieces and the verdicts that survive a busy machine.

Fixtures: tests/fixtures/generated/trafgen (real outputs of trafgen 0.6.8, iproute2 6.1 and /proc/net/dev
on this machine, see its README)."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from robot.api import SkipExecution

from netvirt import seam
from netvirt.perf import frames, judge, search, trafgen
from netvirt.perf.generators import Endpoint
from netvirt.perf.measurer import Measurer, TrialResult
from netvirt.perf.topology import Scenario, Topology
from netvirt.ssh import CommandResult
from PerfLibrary import PerfLibrary

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "generated" / "trafgen"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


# -- the frame ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [64, 128, 512, 1518, 9000])
def test_frame_has_the_trial_size_without_fcs_and_a_valid_ipv4_header(size):
    frame = trafgen.udp_frame(size, "02:00:00:00:09:01", "02:00:00:00:09:02", "198.19.9.1", "198.19.1.2")
    assert len(frame) == size - frames.FCS
    assert frame[:6] == bytes.fromhex("020000000902") and frame[6:12] == bytes.fromhex("020000000901")
    assert frame[12:14] == b"\x08\x00"
    header = frame[14:34]
    # The one's complement sum of a header with its checksum is 0xffff (RFC 1071).
    total = sum(struct.unpack("!10H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    assert total == 0xFFFF
    ip_len, ttl, proto = struct.unpack("!H", header[2:4])[0], header[8], header[9]
    assert (ip_len, ttl, proto) == (size - 18, 64, 17)
    sport, dport, udp_len = struct.unpack("!HHH", frame[34:40])
    assert (sport, dport, udp_len) == (5000, 9, size - 38)
    assert header[12:16] == bytes([198, 19, 9, 1]) and header[16:20] == bytes([198, 19, 1, 2])


def test_the_checksum_matches_a_known_header():
    # RFC 1071's example header as Wikipedia's IPv4 checksum worked example: 0xb861.
    header = bytes.fromhex("450000730000400040110000c0a80001c0a800c7")
    assert trafgen.ipv4_checksum(header) == 0xB861


def test_packet_config_and_command_line():
    frame = trafgen.udp_frame(64, "02:00:00:00:09:01", "02:00:00:00:09:02", "198.19.9.1", "198.19.9.2")
    packet = trafgen.trafgen_packet(frame)
    assert packet.startswith("{ 0x02, 0x00, 0x00, 0x00, 0x09, 0x02,") and packet.endswith(", fill(0x00, 18) }")
    assert packet.count("0x") == 42 + 1
    argv = trafgen.trafgen_argv("b0", 20000, 10000, packet, 64, overshoot_ns=30_000)
    assert argv[:-1] == [
        "trafgen",
        "-o",
        "b0",
        "-n",
        "20000",
        "-P",
        "1",
        "--no-sock-mem",
        "-Q",
        "-H",
        "-t",
        "70000ns",
    ]
    # The overshoot eats a 20 µs interval: a quarter of it stays, trafgen falls behind instead of bursting.
    assert trafgen.trafgen_argv("b0", 5, 50_000, packet, 64, overshoot_ns=25_000)[-3:-1] == ["-t", "5000ns"]
    assert "-t" not in trafgen.trafgen_argv("b0", 5, 14_880_952, packet, 64)
    assert "-t" not in trafgen.trafgen_argv("b0", 5, None, packet, 64)
    assert "-J" in trafgen.trafgen_argv("b0", 5, None, packet, 9000)
    with pytest.raises(frames.PerfInputError, match="至少为 1"):
        trafgen.trafgen_argv("b0", 0, 10, packet, 64)
    # The generator's maximum from both CPUs of this machine; a paced trial keeps one process and one gap.
    assert trafgen.trafgen_argv("b0", 5, None, packet, 64, cpus=2)[5:7] == ["-P", "2"]
    with pytest.raises(frames.PerfInputError, match="只能用 1 个 CPU"):
        trafgen.trafgen_argv("b0", 5, 10_000, packet, 64, cpus=2)
    with pytest.raises(ValueError, match="不是 IPv4 地址"):
        trafgen.udp_frame(64, "02:00:00:00:09:01", "02:00:00:00:09:02", "198.19.9.1; reboot", "198.19.9.2")
    with pytest.raises(ValueError, match="不是以太网地址"):
        trafgen.udp_frame(64, "02:00:00:00:09", "02:00:00:00:09:02", "198.19.9.1", "198.19.9.2")


def test_timed_command_quotes_the_packet_and_reads_the_elapsed_time():
    command = trafgen.timed(["nsenter", "-t", "42", "-n", "trafgen", "-o", "b0", "{ 0x02, fill(0x00, 18) }"])
    assert "'{ 0x02, fill(0x00, 18) }'" in command and "timerslack_ns" in command
    assert trafgen.parse_elapsed("x\nnvperf-elapsed-ns 2057000000\n") == pytest.approx(2.057)
    with pytest.raises(ValueError):
        trafgen.parse_elapsed("trafgen: invalid option")


# -- outputs read on the hosts -----------------------------------------------------------------------


def test_proc_net_dev_counts_the_frames_trafgen_sent_across_the_pair():
    before = trafgen.parse_proc_net_dev(fixture("proc-net-dev-before.txt"))
    after = trafgen.parse_proc_net_dev(fixture("proc-net-dev-after.txt"))
    assert set(after) == {"lo", "b0", "b1"}
    sent = after["b0"]["tx_packets"] - before["b0"]["tx_packets"]
    received = after["b1"]["rx_packets"] - before["b1"]["rx_packets"]
    assert trafgen.parse_trafgen_sent(fixture("trafgen-stdout.txt")) == 20000
    assert sent == received == 20005  # the 20 000 frames and 5 neighbour-discovery frames, on both sides
    with pytest.raises(ValueError, match="无法解析"):
        trafgen.parse_proc_net_dev("Inter-|   Receive\n")


@pytest.mark.parametrize("shell", ["dash", "bash"])
def test_counters_read_by_the_shells_own_read_are_proc_net_devs(shell):
    here = Endpoint("hosta", "lo", "127.0.0.1")
    command = trafgen.proc_net_dev_command(here)
    assert "cat" not in command  # no process started for a reading (0.1 s each in a TCG guest)
    done = subprocess.run([shell, "-c", command], capture_output=True, text=True, check=True, timeout=10)
    expected = Path("/proc/net/dev").read_text().splitlines()

    def header(lines: list[str]) -> list[list[str]]:
        return [line.split() for line in lines[:2]]

    assert header(done.stdout.splitlines()) == header(expected)
    assert set(trafgen.parse_proc_net_dev(done.stdout)) == set(trafgen.parse_proc_net_dev("\n".join(expected)))
    elsewhere = Endpoint("hosta", "b0", "10.0.0.1", netns_pid=42)
    assert trafgen.proc_net_dev_command(elsewhere) == "nsenter -t 42 -n cat /proc/net/dev"


def test_addresses_from_ip_text_output():
    assert trafgen.parse_link_mac(fixture("ip-o-link.txt")) == "02:00:00:00:09:01"
    assert trafgen.parse_route_next_hop(fixture("ip-route-get-via.txt"), "198.19.2.1") == "198.19.9.2"
    assert trafgen.parse_route_next_hop(fixture("ip-route-get-direct.txt"), "198.19.9.2") == "198.19.9.2"
    assert trafgen.parse_neigh_mac(fixture("ip-neigh.txt")) == "02:00:00:00:09:02"
    assert trafgen.parse_neigh_mac(fixture("ip-neigh-none.txt")) is None
    assert trafgen.parse_neigh_mac("198.19.9.3 dev b0 FAILED\n") is None
    with pytest.raises(ValueError, match="没有以太网地址"):
        trafgen.parse_link_mac("1: lo: <LOOPBACK> mtu 65536\\    link/loopback 00:00:00:00:00:00")


def test_a_generator_that_sends_its_count_too_slowly_falls_short_in_time():
    assert trafgen.time_shortfall(1.0, 0.998) == 0.0
    assert trafgen.time_shortfall(1.0, 1.08) == 0.0  # start-up jitter
    assert trafgen.time_shortfall(1.0, 1.25, slack_s=0) == pytest.approx(0.2)
    assert trafgen.time_shortfall(1.0, 1.375) == pytest.approx(0.2)
    # The measurer's slack is the spread of its start-up samples: in a TCG guest it can be half a second, and a run
    # longer by as much says nothing about the sending (vm2vm's 200 frames at 200 frames/s "took" 1.49 s).
    assert trafgen.time_shortfall(1.0, 1.49, slack_s=0.5) == 0.0
    on_time = TrialResult(10_000, 1, 64, 10_000, 10_000, 1.0, 1.2, "trafgen")
    late = TrialResult(10_000, 1, 64, 10_000, 10_000, 1.25, 1.4, "trafgen", time_shortfall=0.2)
    assert on_time.shortfall == 0 and late.shortfall == pytest.approx(0.2)
    assert not judge.trial_meets(late, 0.0) and judge.trial_meets(on_time, 0.0)


def test_a_trial_sent_faster_than_asked_is_judged_by_its_forwarding_rate_over_the_time_it_took():
    """30000 frames asked at 30 kpps went out in 0.657 s by trafgen's clock (a policer of 5250 frames/s for a 1 s
    trial let 3571 through): per intended second that is 5435 frames/s, not 3571; untimed (an emulated guest)
    nothing is scaled."""
    fast = TrialResult(30_000, 1, 64, 30_000, 3571, 0.657, 1.3, "trafgen")
    assert fast.ran_fast and search.forwarded_count(fast) == 5435
    untimed = TrialResult(30_000, 1, 64, 30_000, 3571, 0.657, 1.3, "trafgen", timed=False)
    assert not untimed.ran_fast and search.forwarded_count(untimed) == 3571
    on_time = TrialResult(5000, 1, 64, 5000, 5000, 0.97, 1.2, "trafgen")  # within the 5 % tolerance
    assert not on_time.ran_fast and search.forwarded_count(on_time) == 5000


# -- verdicts ------------------------------------------------------------------------------------------


def trial(load: float, lost: int = 0, shortfall: float = 0.0) -> TrialResult:
    sent = round(load)
    return TrialResult(load, 1, 64, sent, sent - lost, 1.0, 1.2, "trafgen", time_shortfall=shortfall)


def test_criterion_of_a_size_is_its_own_or_the_nearest_smaller():
    criteria = {64: 0.01, "1518": 0.1}
    assert judge.criterion_for(criteria, 64) == 0.01
    assert judge.criterion_for(criteria, 512) == 0.01
    assert judge.criterion_for(criteria, 9000) == 0.1
    assert judge.criterion_for({128: 1}, 64) is None


def test_ndr_judgement():
    need = 1488.0
    assert judge.ndr_judgement(20_000, need, [], [], busy=True).verdict is judge.Verdict.PASS
    # The search was disturbed: a confirmation at the criterion's load is loss-free.
    passed = judge.ndr_judgement(300, need, [trial(need, 5), trial(need)], [], busy=True)
    assert passed.verdict is judge.Verdict.PASS and "复测第 2 次无丢包" in passed.reason
    # The DUT loses, and so does the plain veth: the machine, not the DUT.
    unsure = judge.ndr_judgement(300, need, [trial(need, 5)] * 3, [trial(need, 9)] * 3, busy=False)
    assert unsure.verdict is judge.Verdict.INCONCLUSIVE and "基线（不经被测设备的 veth）同样承载不了" in unsure.reason
    # The baseline carries it but the machine is overloaded: still inconclusive.
    busy = judge.ndr_judgement(300, need, [trial(need, 5)] * 3, [trial(need)], busy=True)
    assert busy.verdict is judge.Verdict.INCONCLUSIVE and "本机负载超过 CPU 数" in busy.reason
    # A generator that cannot keep the rate proves nothing either way.
    late = judge.ndr_judgement(None, need, [trial(need, 0, 0.3)] * 3, [trial(need, 0, 0.3)] * 3, busy=False)
    assert late.verdict is judge.Verdict.INCONCLUSIVE and "发生器超时 30.0%" in late.reason
    failed = judge.ndr_judgement(300, need, [trial(need, 5)] * 3, [trial(need)], busy=False)
    assert failed.verdict is judge.Verdict.FAIL and "基线（不经被测设备的 veth）承载了它" in failed.reason


def test_quality_judgement():
    assert judge.quality_judgement([], None, None, busy=True).verdict is judge.Verdict.PASS
    assert judge.quality_judgement(["p50"], None, None, busy=True).verdict is judge.Verdict.INCONCLUSIVE
    assert judge.quality_judgement(["p50"], None, None, busy=False).verdict is judge.Verdict.FAIL
    assert judge.quality_judgement(["p50"], [], None, busy=True).verdict is judge.Verdict.PASS
    assert judge.quality_judgement(["p50"], ["p50"], ["p50"], busy=False).verdict is judge.Verdict.INCONCLUSIVE
    assert judge.quality_judgement(["p50"], ["p50"], [], busy=True).verdict is judge.Verdict.INCONCLUSIVE
    assert judge.quality_judgement(["p50"], ["p50"], [], busy=False).verdict is judge.Verdict.FAIL
    # A guest of the path that answers its own management ping late at the same load: inconclusive, the
    # baseline meeting the criterion or not; one that answers in time leaves the FAIL, and says so.
    slow_guest = judge.quality_judgement(["p50"], ["p50"], [], busy=False, guest_problems=["vm01 2800 µs"])
    assert slow_guest.verdict is judge.Verdict.INCONCLUSIVE and "vm01 2800 µs" in slow_guest.reason
    in_time = judge.quality_judgement(["p50"], ["p50"], [], busy=False, guest_problems=[])
    assert in_time.verdict is judge.Verdict.FAIL and "虚拟机按时应答" in in_time.reason
    assert judge.quality_judgement(["p50"], [], [], busy=False, guest_problems=["vm01"]).verdict is judge.Verdict.PASS


class LossyPath(Measurer):
    """A path that loses ``lost`` frames of every trial above ``limit_pps``."""

    name = "fake"

    def __init__(self, limit_pps: float, lost: int = 10):
        super().__init__(1500, 10_000)
        self.limit_pps, self.lost, self.loads = limit_pps, lost, []

    def _trial(self, load_pps, duration_s, frame_size):
        self.loads.append(load_pps)
        return trial(load_pps, self.lost if load_pps > self.limit_pps else 0)


class Host:
    def __init__(self, load: float):
        self.load = load

    def run(self, command: str, timeout: float = 30):
        return SimpleNamespace(stdout=f"{self.load} 0.40 0.30 1/100 123\n2\n")


def library(load: float, dut: Measurer, baseline: list[TrialResult]) -> tuple[PerfLibrary, dict]:
    params: dict = {"perf_ndr_criteria": {"pvp": {64: 0.01}}, "perf_trial_duration": 1}
    seam.use(SimpleNamespace(spec=SimpleNamespace(params=params), session=lambda host: Host(load)))
    lib = PerfLibrary()
    a, b = Endpoint("hosta", "enP4p1s0", "198.19.1.1"), Endpoint("hosta", "enP5p1s0", "198.19.2.1", 7)
    lib._topology = Topology(Scenario.pvp, a, b, 1500, 10_000)
    lib._measurer = dut
    lib._baseline_trials = lambda *args, **kwargs: (baseline, "fake")
    return lib, params


def result(ndr: float | None) -> dict:
    line = frames.line_rate_pps(10_000, 64)
    return {"scenario": "pvp", "frame_size": 64, "line_rate_pps": line, "ndr_pps": ndr, "ndr_pct_line_rate": 0}


@pytest.fixture(autouse=True)
def no_lab():
    yield
    seam.use(None)


def test_ndr_verdict_confirms_at_the_criterions_load_before_failing():
    dut = LossyPath(limit_pps=5000)
    lib, _ = library(0.5, dut, [])
    lib.ndr_verdict(result(300))  # the search said 300, but 1488 pps is loss-free: PASS
    assert dut.loads == [pytest.approx(1488.095, rel=1e-3)]


def test_ndr_verdict_fails_only_when_the_baseline_carries_the_load_on_a_quiet_machine():
    lib, _ = library(0.5, LossyPath(limit_pps=1000), [trial(1488)])
    with pytest.raises(AssertionError, match="pvp 64 字节帧的转发性能不满足判据：NDR 300 帧/秒低于判据 1,488 帧/秒"):
        lib.ndr_verdict(result(300))
    lib, _ = library(7.5, LossyPath(limit_pps=1000), [trial(1488)])
    with pytest.raises(SkipExecution, match=r"本机负载超过 CPU 数.*hosta 负载（/proc/loadavg，1 分钟）：开始 7.50"):
        lib.ndr_verdict(result(300))
    lib, _ = library(0.5, LossyPath(limit_pps=1000), [trial(1488, 40)])
    with pytest.raises(SkipExecution, match="基线（不经被测设备的 veth）同样承载不了"):
        lib.ndr_verdict(result(None))


def test_ndr_verdict_without_a_criterion_skips():
    lib, params = library(0.5, LossyPath(limit_pps=1000), [])
    params["perf_ndr_criteria"] = {"pvp": {128: 1}}
    with pytest.raises(SkipExecution, match="没有给 pvp 场景 64 字节帧的判据"):
        lib.ndr_verdict(result(300))


class LocalShell:
    """``SshSession.run`` through this machine's shell: the combined trial command runs for real."""

    name = "hosta"

    def __init__(self):
        self.commands: list[str] = []

    def run(self, command: str, timeout: float = 30) -> CommandResult:
        self.commands.append(command)
        done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=timeout, check=False)
        return CommandResult(self.name, command, done.returncode, done.stdout, done.stderr, 0.0)


def test_a_trial_reads_both_ends_counters_and_runs_the_generator_in_one_round_trip():
    shell = LocalShell()
    tx = Endpoint("hosta", "lo", "127.0.0.1")
    measurer = trafgen.TrafgenMeasurer(lambda host: shell, tx, tx, 1500, 10_000)
    result, counts = measurer._run_counted(["sh", "-c", "echo '5 packets outgoing'; exit 3"], 1.0)
    assert len(shell.commands) == 1  # a round trip into a TCG guest costs seconds on a busy machine
    assert result.rc == 3 and trafgen.parse_trafgen_sent(result.stdout) == 5
    assert trafgen.parse_elapsed(result.stdout) > 0
    assert set(counts) == {"tx0", "rx0", "tx1", "rx1", "rx_before"}  # both ends on one host: read there, around the run
    assert counts["tx1"] >= counts["tx0"] and counts["rx1"] >= counts["rx_before"] == counts["rx0"]
    assert trafgen.split_sections("x\n@@nvperf:a\n1\n2\n@@nvperf:b\n") == {"a": "1\n2", "b": ""}


def test_the_search_starts_from_the_lab_descriptions_bound_below_the_line_rate():
    lib, params = library(0.5, LossyPath(limit_pps=5000), [])
    line = frames.line_rate_pps(10_000, 64)
    assert lib._max_load(lib._topology, 64)[0] == pytest.approx(line)  # no bound: the line rate
    params.update(perf_max_load_pps={"pvp": 5000, "p2p": 30_000}, perf_min_load_pps=500)
    bound, why = lib._max_load(lib._topology, 64)
    assert bound == 5000 and "perf_max_load_pps" in why
    assert lib._spec(64, None, None).max_load_pps == 5000
    params["perf_max_load_pps"] = 20_000_000  # above the line rate: the line rate stays the bound
    assert lib._max_load(lib._topology, 64)[0] == pytest.approx(line)


class StallingPath(Measurer):
    """A path whose first ``stalls`` trials lose 3.5 % (the machine stalled 70 ms of a 2 s point), then none."""

    name = "fake"

    def __init__(self, stalls: int):
        super().__init__(1500, 10_000)
        self.stalls, self.calls = stalls, 0

    def _trial(self, load_pps, duration_s, frame_size):
        self.calls += 1
        return trial(load_pps, round(load_pps * 0.035) if self.calls <= self.stalls else 0)


@pytest.mark.parametrize("stalls", [2, 3])
def test_a_quality_point_is_repeated_until_one_repeat_meets_the_criterion(stalls):
    dut = StallingPath(stalls)
    lib, params = library(0.5, dut, [])
    params.update(perf_quality_judged_up_to_pct=50, perf_quality_max_loss_ratio=0.01)
    lib._quality = (64, 1.0, 0.0)
    point = {"pct_of_pdr": 50, "load_pps": 5000, "loss_ratio": 0.035, "latency": None, "latency_measured": False}
    if stalls < judge.CONFIRM_TRIALS:
        lib.quality_criterion([point])  # the third repeat carried the load: the path can
    else:  # every repeat lost, and no baseline was measured to tell the path from the machine
        with pytest.raises(SkipExecution, match="无法判定"):
            lib.quality_criterion([point])
    assert dut.calls == judge.CONFIRM_TRIALS


def test_no_pdr_is_inconclusive_when_the_generator_or_the_machine_explains_it():
    lib, _ = library(0.5, LossyPath(limit_pps=5000), [])
    lib.pdr_must_be_found({"pdr_pps": 4000.0})
    with pytest.raises(SkipExecution, match="发生器没能按时发出"):  # 7.3.6.1 sriov_vm2vm beside a second lab
        lib.pdr_must_be_found({"pdr_pps": None, "pdr_limited_by_generator": True})
    with pytest.raises(AssertionError, match="最低负载 .*也丢包"):  # a quiet machine, the DUT lost
        lib.pdr_must_be_found({"pdr_pps": None, "pdr_limited_by_generator": False})
    busy, _ = library(9.0, LossyPath(limit_pps=5000), [])
    with pytest.raises(SkipExecution, match="本机负载超过 CPU 数"):
        busy.pdr_must_be_found({"pdr_pps": None, "pdr_limited_by_generator": False})


# trafgen's exit statistics, netsniff-ng 0.6.8 (Debian 12), run on this machine: 5000 frames of 60 bytes with
# ``-t 200us`` on a veth in a namespace (``trafgen -o va -n 5000 -P 1 --no-sock-mem -Q -H -t 200us ...``).
TRAFGEN_EXIT = """
        5000 packets outgoing
      300000 bytes outgoing
           1 sec, 62466 usec on CPU0 (5000 packets)
"""


def test_trafgens_own_sending_time_is_read_from_its_exit_statistics():
    assert trafgen.parse_send_time(TRAFGEN_EXIT) == pytest.approx(1.062466)
    two = TRAFGEN_EXIT + "           0 sec, 998001 usec on CPU1 (2500 packets)\n"
    assert trafgen.parse_send_time(two) == pytest.approx(1.062466)  # several CPUs: the longest
    assert trafgen.parse_send_time("        5000 packets outgoing\n") is None  # run with -C: no time printed
    assert trafgen.parse_trafgen_sent(TRAFGEN_EXIT) == 5000


def test_overshoot_is_kept_by_interval_band_and_interpolated_between_them():
    """Measured on an idle machine: ~10 µs beyond a 10 µs gap (20 µs interval), ~26 µs beyond a 1 ms gap; one value
    for both made trials at 50 kpps run 20-30 % fast (the 1 ms value ate the 20 µs interval)."""
    over = trafgen.Overshoots()
    assert over.at(50_000) == 0.0 and over.describe() == "未测"
    over.observe(20_000, 10_000)  # band 14 (16-32 µs)
    over.observe(1_026_000, 26_000)  # band 20 (1 ms)
    assert over.at(50_000) == 10_000 and over.at(1000) == 26_000
    assert over.at(1_000_000) == 10_000 and over.at(100) == 26_000  # beyond the ends: the nearest band
    assert over.at(8000) == pytest.approx(10_000 + 16_000 * 3 / 6)  # 125 µs: band 17, halfway
    assert trafgen.gap_ns(50_000, over.at(50_000)) == 10_000
    over.observe(20_000, 14_000)  # a trial in band 14: half old, half new
    assert over.at(50_000) == 12_000 and over.at(1000) == 26_000
    over.observe(20_000, -500)  # a trial faster than its gap: no negative overshoot
    assert over.at(50_000) == 6_000
    assert over.describe() == "16.4 µs 间隔 6.0 µs，1.05 ms 间隔 26.0 µs"
