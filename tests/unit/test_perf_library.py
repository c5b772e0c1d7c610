"""PerfLibrary's keywords without a lab: the verdicts against the lab's criteria (PASS, FAIL with the reason,
SKIP when the generator cannot reach the criterion's load), and bad input refused before any trial."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from robot.api import SkipExecution
from test_perf_search import PolicedPath

from netvirt import emulation, seam
from netvirt.perf import frames
from netvirt.perf.generators import Endpoint, Generator
from netvirt.perf.topology import Scenario, Topology
from netvirt.validate import InvalidValue
from PerfLibrary import PerfLibrary


class LoadedHost:
    """A host whose /proc/loadavg says ``load`` on 2 CPUs."""

    def __init__(self, load: float = 0.5):
        self.load = load

    def run(self, command: str, timeout: float = 30):
        return SimpleNamespace(stdout=f"{self.load} 0.40 0.30 1/100 123\n2\n")


@pytest.fixture
def params():
    values: dict = {}
    seam.use(SimpleNamespace(spec=SimpleNamespace(params=values), session=lambda host: LoadedHost()))
    yield values
    seam.use(None)


def result(size: int, ndr_pps: float | None, max_offered: float, speed: int = 10_000) -> dict:
    line = frames.line_rate_pps(speed, size)
    return {
        "frame_size": size,
        "line_rate_pps": line,
        "ndr_pps": ndr_pps,
        "ndr_pct_line_rate": None if ndr_pps is None else 100 * ndr_pps / line,
        "max_offered_pps": max_offered,
    }


def test_ndr_above_the_criterion_passes(params):
    params["perf_ndr_min_pct_line_rate"] = {64: 0.01, 1518: 0.1}
    PerfLibrary().ndr_criterion([result(64, 25_000, 200_000), result(512, 100, 200_000), result(1518, 14_000, 90_000)])


def test_ndr_below_the_criterion_fails_naming_frame_size_and_rates(params):
    params["perf_ndr_min_pct_line_rate"] = {1518: 0.1}
    # 5.4.8.1's 8 Mbit/s policer left on the path: 667 frames/s of 1518 bytes, 0.082 % of 10GE.
    with pytest.raises(
        AssertionError, match=r"1518 字节帧的 NDR 为线速的 0.0821%（667 帧/秒），低于判据 0.1%（813 帧/秒）"
    ):
        PerfLibrary().ndr_criterion([result(1518, 667, 90_000)])
    with pytest.raises(AssertionError, match="NDR 为线速的 0%"):
        PerfLibrary().ndr_criterion([result(1518, None, 90_000)])  # even the minimum load lost


def test_a_criterion_the_generator_cannot_reach_is_skipped(params):
    # The record's lab: 90 % of 56GE at 1518 bytes is 4.1 Mpps; iperf3 offered 0.9 Mpps at most.
    params["perf_ndr_min_pct_line_rate"] = {1518: 90}
    with pytest.raises(SkipExecution, match="发生器最多只发出 900,000 帧/秒，低于判据负载 4,096,229 帧/秒"):
        PerfLibrary().ndr_criterion([result(1518, 850_000, 900_000, speed=56_000)])
    with pytest.raises(SkipExecution, match="没有转发性能结果可判定"):
        PerfLibrary().ndr_criterion([])
    params["perf_ndr_min_pct_line_rate"] = {}
    with pytest.raises(SkipExecution, match="没有为所测帧长给出判据"):
        PerfLibrary().ndr_criterion([result(64, 25_000, 200_000)])


def point(pct: float, loss: float, p50: float, p99: float) -> dict:
    return {"pct_of_pdr": pct, "loss_ratio": loss, "latency": {"p50_us": p50, "p99_us": p99}}


def test_quality_verdict_judges_loads_up_to_the_limit(params):
    params.update(perf_quality_judged_up_to_pct=50, perf_latency_max_us={"p50_us": 2000})
    points = [point(10, 0, 300, 90_000), point(50, 0.004, 450, 9000), point(90, 0.05, 3000, 30_000)]
    PerfLibrary().quality_criterion(points)  # 90 % is not judged; p99 is not a criterion here
    with pytest.raises(AssertionError, match=r"50% PDR：丢包率 0.600% 超过 0.500%"):
        PerfLibrary().quality_criterion([point(50, 0.006, 450, 900)])
    with pytest.raises(AssertionError, match=r"10% PDR：时延 p50_us 2500 µs 超过 2000 µs"):
        PerfLibrary().quality_criterion([point(10, 0, 2500, 9000)])
    with pytest.raises(SkipExecution, match="没有不超过 PDR 50% 的负载点"):
        PerfLibrary().quality_criterion([point(100, 0, 300, 900)])


def test_quality_verdict_with_the_real_labs_criteria(params):
    params.update(
        perf_quality_judged_up_to_pct=90, perf_quality_max_loss_ratio=0.001, perf_latency_max_us={"p99_us": 500}
    )
    PerfLibrary().quality_criterion([point(90, 0.0005, 40, 120)])
    with pytest.raises(AssertionError, match="90% PDR：时延 p99_us 800 µs 超过 500 µs"):
        PerfLibrary().quality_criterion([point(90, 0.0005, 40, 800)])
    with pytest.raises(ValueError, match="perf_latency_max_us 的键 p42_us 不是时延统计量"):
        params["perf_latency_max_us"] = {"p42_us": 1}
        PerfLibrary().quality_criterion([point(90, 0, 40, 800)])


def test_frame_sizes_follow_the_mtu(params):
    params["perf_frame_sizes"] = [64, 512, 1518, 9000]
    library = PerfLibrary()
    assert library.frame_sizes(1500) == [64, 512, 1518]
    assert library.frame_sizes(9000) == [64, 512, 1518, 9000]
    assert library.frame_sizes(1500, 128, 256) == [128, 256]
    with pytest.raises(frames.PerfInputError, match="帧长 60 字节小于以太网最小帧长 64 字节"):
        library.frame_sizes(1500, 60, 64)


def with_path(params) -> tuple[PerfLibrary, PolicedPath]:
    params.update(perf_min_load_pps=500, perf_relative_width=0.01)
    library = PerfLibrary()
    tx, rx = Endpoint("hosta", "enP4p1s0", "198.19.1.1"), Endpoint("hosta", "enP5p1s0", "198.19.1.2", 7)
    library._topology = Topology(Scenario.p2p, tx, rx, 1500, 10_000)
    library._measurer = path = PolicedPath(5000)
    return library, path


def test_search_keywords_refuse_bad_input_before_any_trial(params):
    library, path = with_path(params)
    for call, message in (
        (lambda: library.search(63), "帧长 63 字节小于以太网最小帧长"),
        (lambda: library.search(9000), "超过 MTU 1500 允许的最大帧长 1518"),
        (lambda: library.search(64, pdr_loss_ratio=1.0), r"PDR 丢包率 1.0 超出范围 \[0, 1\)"),
        (lambda: library.search(64, trial_duration=0), "试验时长 0.0 秒不合法"),
        (lambda: library.sweep(64, 1519), "超过 MTU 1500"),
        (lambda: library.sweep(), "没有帧长"),
        (lambda: library.measure_quality(64, 4000, 0), "负载点 0 超出范围"),
        (lambda: library.measure_quality(64, 4000, 50, duration=0), "试验时长 0.0 秒不合法"),
    ):
        with pytest.raises(frames.PerfInputError, match=message):
            call()
    assert path.calls == []


def test_search_keyword_returns_the_figures(params):
    library, _ = with_path(params)
    figures = library.search(64)
    assert figures["scenario"] == "p2p" and figures["frame_size"] == 64
    assert 4900 < figures["ndr_pps"] <= 5006 and figures["ndr_upper_pps"] > 5006
    assert figures["ndr_mpps"] == pytest.approx(figures["ndr_pps"] / 1e6)
    assert figures["ndr_gbps"] == pytest.approx(figures["ndr_pps"] * 64 * 8 / 1e9)
    assert figures["ndr_pct_line_rate"] == pytest.approx(100 * figures["ndr_pps"] / figures["line_rate_pps"])
    assert figures["trials"] >= 3 and figures["pdr_pps"] >= figures["ndr_pps"]


def test_a_busy_generator_host_is_named_in_a_warning(params, monkeypatch):
    warnings = []
    monkeypatch.setattr("PerfLibrary.logger.warn", warnings.append)
    seam.use(SimpleNamespace(spec=seam.current().spec, session=lambda host: LoadedHost(3.7)))
    library, _ = with_path(params)
    library.search(64)
    assert len(warnings) == 1 and "开始 3.70，结束 3.70，CPU 2 个" in warnings[0] and "受其他进程干扰" in warnings[0]


def test_keywords_without_a_path_say_what_to_call_first(params):
    with pytest.raises(RuntimeError, match="先调用 准备转发性能拓扑"):
        PerfLibrary().search(64)
    with pytest.raises(InvalidValue, match="mtu 20000 超出范围 68..9702"):
        PerfLibrary().prepare(Scenario.p2p, mtu=20000)
    PerfLibrary().teardown()  # nothing built: nothing to do


def test_every_test_measuring_a_path_built_on_an_emulated_nic_says_so(params, monkeypatch):
    """7.3's path is built by the first test of a scenario and measured by the next ones (7.3.6.1 after 7.3.5.1):
    each of them rests on the emulated NIC the path crosses, not only the one that built it."""
    params.update(perf_min_load_pps=500, perf_relative_width=0.01)
    tx, rx = Endpoint("hostb", "enp4s0", "198.19.1.1"), Endpoint("hostb", "enp5s0", "198.19.1.2", 7)

    def build(lab, scenario, mtu, vm_interfaces=None):
        emulation.used("emulated-nic", "SR-IOV 网卡的 eswitch 与 VF 为模拟")
        return Topology(scenario, tx, rx, mtu, 10_000)

    monkeypatch.setattr("PerfLibrary.topology.build", build)
    monkeypatch.setattr("PerfLibrary.topology.restore", lambda lab, topo: [])
    monkeypatch.setattr(PerfLibrary, "_start_measurer", lambda self, lab, topo: PolicedPath(5000))
    library = PerfLibrary()
    library._generator = Generator.trafgen
    emulation.begin()  # 7.3.5.1 sriov 64B: builds the path and searches
    library.prepare(Scenario.sriov)
    library.search(64)
    assert list(emulation.take()) == ["emulated-nic"]
    emulation.begin()  # 7.3.6.1 sriov 64B: the same path, the search's figures taken over
    library.searched_or_search(64)
    assert emulation.take() == {"emulated-nic": ["SR-IOV 网卡的 eswitch 与 VF 为模拟"]}
    library.teardown()
    emulation.begin()  # the next scenario's test: the path is gone, and with it the emulated NIC
    with pytest.raises(RuntimeError, match="先调用 准备转发性能拓扑"):
        library.search(64)
    assert emulation.take() == {}
