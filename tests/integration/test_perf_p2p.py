"""Chapter 7.3's machinery on a real embedded lab (id ``nvpi``, bare: OVS, no VMs): the p2p path through
OVS-DPDK with an egress policer of known rate, a short NDR/PDR search that must find the policer, a
quality point with latency probes, and Host A left exactly as it was (NIC back, nothing running)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from p2plab import p2p_lab

from netvirt import seam
from netvirt.perf import frames, quality, search, topology
from netvirt.perf.generators import Iperf3Measurer

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the embedded lab needs root")

LAB_ID = "nvpi"
RATE_PPS, CBS_PCT = 3000, 5  # far below what the path forwards unpoliced (15-40 kpps of 64-byte frames)


@pytest.fixture(scope="module")
def lab():
    with p2p_lab(LAB_ID) as built:
        yield built


def busy() -> bool:
    """Whether this machine's load (1 minute) exceeds its CPUs, as PerfLibrary's LoadWatch judges a busy machine."""
    return os.getloadavg()[0] > (os.cpu_count() or 1)


def host_a_links(lab) -> dict:
    result = lab.session("hosta").run("ip -j addr show", timeout=30)
    return {
        link["ifname"]: (link["mtu"], "UP" in link["flags"], len(link["addr_info"]))
        for link in json.loads(result.stdout)
    }


def ours_running() -> list[str]:
    """iperf3, the probe and the namespace holder still running in the lab's Host A."""
    pids = subprocess.run(["ip", "netns", "pids", f"{LAB_ID}-hosta"], capture_output=True, text=True).stdout.split()
    left = []
    for pid in pids:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        line = b" ".join(argv).decode(errors="replace")
        if any(word in line for word in ("iperf3", "latprobe", "unshare", "sleep")):
            left.append(f"{pid}: {line}")
    return left


def test_search_finds_the_policer_and_the_path_is_restored(lab):
    lab, ovs = lab
    before = host_a_links(lab)
    cir = RATE_PPS * frames.ip_bytes(64)
    cbs = cir * CBS_PCT // 100
    truth = frames.policer_ndr_pps(cir, cbs, 64, 1)
    ovs.set_egress_policer("dpdkp1", cir, cbs)
    topo = topology.build(lab, topology.Scenario.p2p)
    measurer = Iperf3Measurer(lab.session, topo.tx, topo.rx, topo.mtu, topo.speed_mbps, settle_s=2 * cbs / cir)
    inconclusive = ""
    try:
        assert topo.rx.netns_pid and topo.rx.interface == "enP5p1s0"
        assert "enP5p1s0" not in host_a_links(lab)  # moved into the receiver's namespace
        measurer.start()
        spec = search.SearchSpec(min_load_pps=300, max_load_pps=frames.line_rate_pps(10_000, 64), relative_width=0.02)
        result = search.mlr_search(measurer, 64, spec)
        ndr, pdr = result.interval("NDR"), result.interval("PDR")
        # Above the policer's zero-loss limit every trial loses: neither the NDR nor the PDR (0.5 % loss
        # allowed: at most 1/0.995 of the limit) can be above it. Below it, a stall of this shared machine can
        # cost a frame or a few: the NDR, which allows none, then lands anywhere under the limit (1958 pps for
        # a limit of 3150 in a CI run with a chapter beside it), so the lower side is checked on the PDR.
        assert ndr.lower_pps is not None and ndr.lower_pps <= truth * 1.001
        assert pdr.lower_pps is not None and pdr.lower_pps <= truth / 0.995 * 1.001
        assert pdr.lower_pps >= ndr.lower_pps
        if pdr.lower_pps < 0.7 * truth:
            # A stall of the sender (iperf3 catches up in a burst the policer's bucket cannot hold) loses frames
            # well under the limit: in a CI run the PDR came out at 1506 pps for 3150. Whether the path itself
            # carries 80 % of the limit is asked again, as 7.3's verdicts do; a path that cannot is a failure.
            # On a machine loaded beyond its CPUs (the other pytest worker's TCG guests) even the repeats can lose:
            # inconclusive then, with the figures, as 7.3's verdicts are.
            repeats = [measurer.measure(0.8 * truth, 1, 64) for _ in range(3)]
            losses = ", ".join(f"{t.loss_ratio:.1%}" for t in repeats)
            if not any(t.loss_ratio <= 0.005 for t in repeats):
                assert busy(), f"PDR {pdr.lower_pps:.0f} pps and a repeat at 80 % of {truth:.0f} lost {losses}"
            inconclusive = (
                f"PDR {pdr.lower_pps:.0f} pps, under 70 % of {truth:.0f}; repeats at 80 % lost {losses}"
                f" (load {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)"
            )
        assert len(result.trials) <= 15
        assert all(t.result.generator == "iperf3" and t.result.duration_s == 1 for t in result.trials)

        measurer.probe_pps = 100
        (point,) = quality.measure(measurer, 64, ndr.lower_pps, [50], duration_s=2)
        latency = point.trial.latency
        assert latency is not None and latency.received > 0.9 * latency.sent
        assert 0 < latency.min_us <= latency.p50_us <= latency.p99_us <= latency.max_us
        assert point.trial.sent > 0.95 * ndr.lower_pps
    finally:
        measurer.close()
        failed = topology.restore(lab, topo)
        ovs.clear_qos("dpdkp1")
    assert failed == []
    assert host_a_links(lab) == before
    assert ours_running() == []
    if inconclusive:
        pytest.skip(inconclusive)


def test_bad_input_fails_before_the_lab_changes(lab):
    lab, _ = lab
    before = host_a_links(lab)
    with pytest.raises(topology.ScenarioUnavailable, match="没有虚拟机 vm01"):
        topology.build(lab, topology.Scenario.sriov, vm_interfaces=["enp4s0", "enp5s0"])
    with pytest.raises(topology.ScenarioUnavailable, match="没有虚拟机 vm01"):
        topology.build(lab, topology.Scenario.pvp)
    topo = topology.build(lab, topology.Scenario.p2p)
    measurer = Iperf3Measurer(lab.session, topo.tx, topo.rx, topo.mtu, topo.speed_mbps)
    try:
        measurer.start()
        for args, message in (
            ((1000, 1, 63), "小于以太网最小帧长"),
            ((1000, 1, 1519), "超过 MTU 1500"),
            ((1000, 0, 64), "试验时长 0 秒"),
        ):
            with pytest.raises(frames.PerfInputError, match=message):
                measurer.measure(*args)
    finally:
        measurer.close()
        assert topology.restore(lab, topo) == []
    assert host_a_links(lab) == before and ours_running() == []


def test_a_policer_left_on_the_path_fails_the_forwarding_criterion(lab):
    """The keywords end to end: 5.4.8.1's 8 Mbit/s policer still on dpdkp1 must make 7.3.5.1's verdict FAIL."""
    from PerfLibrary import PerfLibrary

    lab, ovs = lab
    rate = lab.spec.params["policer_rate_bps"]
    ovs.set_egress_policer("dpdkp1", rate // 8, rate // 8 // 20)  # 策略器参数: a bucket of 50 ms
    library = PerfLibrary()
    seam.use(lab)
    try:
        assert library.choose_generator() == "trafgen"  # auto prefers trafgen where Host A has it
        library.prepare(topology.Scenario.p2p)
        figures = library.search(1518)
        inconclusive = ""
        if figures["ndr_pps"] is None:
            # No zero-loss load found at all: on this machine (2026-12-04, quiet or not) trafgen's 1518 B trials at
            # 200-700 pps ran up to 11 % long or short, which the search counts as loss, in 1 of 3 runs. The policer
            # must still show: at twice its limit, half the frames or more are dropped; then the search's verdict
            # is nothing to judge (7.3 skips too), and the test says so with the figures.
            trial = library._measurer.measure(1400, 1, 1518)
            assert trial.loss_ratio >= 0.4, f"at 1400 pps behind a 700 pps policer {trial.loss_ratio:.1%} were lost"
            inconclusive = (
                f"no zero-loss load found (load {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs); "
                f"at twice the limit {trial.loss_ratio:.1%} were dropped"
            )
        if not inconclusive:
            # (1 000 000 + 50 000) B/s over 1500 policed bytes per frame: 700 frames/s at most, 0.086 % of 10GE;
            # trafgen's trials last what its pacing makes of them (703.6 frames/s was found at 1 s nominal).
            assert figures["ndr_pps"] <= 700 * 1.02
            with pytest.raises(AssertionError, match="1518 字节帧的 NDR 为线速的 .*低于判据 0.1%（813 帧/秒）"):
                library.ndr_criterion([figures])
    finally:
        library.teardown()
        seam.use(None)
        ovs.clear_qos("dpdkp1")
    assert ours_running() == []
    if inconclusive:
        pytest.skip(inconclusive)
