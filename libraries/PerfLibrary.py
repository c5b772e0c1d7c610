"""Robot keywords for forwarding performance and quality (record chapter 7.3): RFC 2544 NDR/PDR, latency, jitter."""

from __future__ import annotations

import time
from typing import Any

from robot.api import SkipExecution, logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from netvirt import evidence, seam, validate
from netvirt.perf import frames, generators, judge, quality, report, topology
from netvirt.perf.generators import Generator, GeneratorUnavailable, Iperf3Measurer
from netvirt.perf.measurer import Measurer
from netvirt.perf.search import NDR, PDR, SearchError, SearchResult, SearchSpec, mlr_search
from netvirt.perf.topology import Scenario, ScenarioUnavailable, Topology
from netvirt.perf.trafgen import TrafgenMeasurer
from netvirt.ssh import HostConnectionError

DEFAULTS: dict[str, Any] = {
    "perf_generator": "auto",
    "perf_frame_sizes": list(frames.RFC2544_FRAME_SIZES) + [frames.JUMBO_FRAME],
    "perf_mtu": 1500,
    "perf_trial_duration": 1,
    "perf_duration_sum": None,
    "perf_exceed_ratio": 0.0,
    "perf_pdr_loss_ratio": 0.005,
    "perf_relative_width": 0.005,
    "perf_min_load_pps": 10_000,
    # The search's upper bound in frames/s, a number or {scenario: frames/s}; None: the line rate. A lab whose
    # paths carry far less than their line rate (the embedded lab's emulated NICs and TCG guests) names what its
    # generator can offer there: a first trial at 14.88 Mpps that trafgen cannot send floods the path, and the
    # forwarding rate MLRsearch then starts from is meaningless (1075 frames/s on a path carrying 9000).
    "perf_max_load_pps": None,
    "perf_search_timeout": 600,
    "perf_quality_duration": 10,
    "perf_quality_loads": [10, 50, 90, 100],
    "perf_quality_frame_size": 64,
    "perf_vm_frame_sizes": [64],
    "perf_probe_pps": 1000,
    "perf_ndr_min_pct_line_rate": {},
    "perf_ndr_criteria": {},  # {scenario: {frame size: % of line rate}}; p2p falls back to perf_ndr_min_pct_line_rate
    "perf_quality_max_loss_ratio": None,  # None: the PDR loss ratio
    "perf_quality_judged_up_to_pct": 90,
    "perf_latency_max_us": {},  # {"p99_us": 500}: latency statistics and their maxima in µs
}
LATENCY_KEYS = ("min_us", "avg_us", "max_us", "p50_us", "p90_us", "p99_us", "p999_us", "jitter_us", "ipdv_us")


def _param(name: str) -> Any:
    return seam.current().spec.params.get(name, DEFAULTS[name])


def _host_load(host: str) -> tuple[float, int]:
    """The 1-minute load average and CPU count of ``host`` (on the embedded lab: of the whole machine)."""
    result = seam.current().session(host).run("cat /proc/loadavg; nproc", timeout=30)
    try:
        load, cpus = result.stdout.split("\n", 1)
        return float(load.split()[0]), int(cpus.strip())
    except ValueError:
        return 0.0, 0


class LoadWatch:
    """The generator host's load before and after a measurement; a warning when it exceeded its CPUs."""

    def __init__(self, host: str):
        self.host = host
        self.before, self.cpus = _host_load(host)
        self.after = self.before

    @property
    def busy(self) -> bool:
        """Whether the load average exceeded the CPU count at the start or at the last ``note``."""
        return bool(self.cpus) and max(self.before, self.after) > self.cpus

    def note(self) -> str:
        after, _ = _host_load(self.host)
        self.after = after
        text = f"{self.host} 负载（/proc/loadavg，1 分钟）：开始 {self.before:.2f}，结束 {after:.2f}"
        text += f"，CPU {self.cpus} 个"
        if self.cpus and max(self.before, after) > self.cpus:
            logger.warn(f"测量期间 {text}：负载超过 CPU 数，结果可能受其他进程干扰（丢包与时延偏高、NDR 偏低）")
        return text


def _skip_if_busy(err: Exception, what: str) -> None:
    """A host that stopped answering, or a search out of time, while the machine's load exceeds its CPUs:
    inconclusive, not a FAIL."""
    watch = LoadWatch("hosta")
    note = watch.note()
    if watch.busy:
        raise SkipExecution(f"{what}没有完成（{err}），而本机负载超过 CPU 数：无法判定（{note}）") from None


def _png(title: str, png: bytes) -> None:
    evidence.image(title, png)


def _chart(title: str, draw) -> None:
    try:
        png = draw()
    except ImportError:
        logger.warn("没有安装 matplotlib：只记录表格，不画图")
        return
    _png(title, png)


@library(scope="GLOBAL", auto_keywords=False)
class PerfLibrary:
    """Robot keywords for forwarding performance and quality (record chapter 7.3): RFC 2544 NDR/PDR, latency, jitter.

    = 场景 =
    ``准备转发性能拓扑`` builds one measured path and starts the generator on it:
    | ``p2p``   | Host A enP4p1s0 → dpdkp0 → OVS ovsbr0 → dpdkp1 → Host A enP5p1s0 |
    | ``pvp``   | Host A → dpdkp0 → ovsbr0 → dpdkvhostuser0 → VM01 (kernel forwarding) → ovsbr0 → dpdkp1 → Host A |
    | ``vm2vm`` | VM02 → dpdkvhostuser1 → ovsbr0 → dpdkvhostuser0 → VM01 |
    | ``sriov`` | Host A → Host B enP4p1s0's VF, passed to VM01 (kernel forwarding) → enP5p1s0's VF → Host A |
    | ``sriov_vm2vm`` | VM02's VF of enP5p1s0 → the NIC's embedded switch → VM01's VF of enP5p1s0 |
    The DUT's side (the dpdk ports on ovsbr0; for ``sriov`` the VFs given to VM01) is configured by
    ``perf.resource`` with the OVS and SR-IOV keywords. Host A holds both ends of p2p, pvp and sriov,
    so the receiving NIC is moved into a network namespace of its own for the measurement and moved
    back by ``拆除转发性能拓扑``.

    = 流量发生器 =
    iperf3 UDP runs on every lab: datagrams of ``frame - 46`` bytes (frame = 14 Ethernet + 20 IPv4
    + 8 UDP + payload + 4 FCS), ``-b`` at the trial's rate, ``-t`` the trial's seconds; counts from
    ``iperf3 -J``. TRex and pktgen-DPDK are detected on Host A and named in the log, but have no
    measurer yet: asking for them fails saying so.

    = 搜索 =
    NDR (0 % loss) and PDR (``perf_pdr_loss_ratio``, 0.5 %) per frame size with MLRsearch 1.2.1,
    between ``perf_min_load_pps`` and the line rate of Host A's NIC (``speed_mbps``), to a relative
    width of ``perf_relative_width``. Every trial is logged (load, frames sent and received, loss),
    then the final intervals; throughput in Mpps, Gbit/s (L2: frame bytes × 8) and % of line rate
    (L1: 20 bytes of preamble and gap per frame counted).

    = 转发质量 =
    ``测量转发质量`` runs trials at 10/50/90/100 % of the PDR with latency probes beside the load
    (``netvirt/remote/latprobe.py``: one-way latency, both ends on Host A's clock): loss, iperf3's
    jitter, latency min/avg/max and percentiles, RFC 3550 jitter and IPDV of the probes.

    = 判据 =
    The pass criteria are lab parameters: ``perf_ndr_min_pct_line_rate`` (``{frame size: % of
    line rate}``), ``perf_quality_max_loss_ratio`` and ``perf_latency_max_us`` (``{"p99_us": 500}``),
    the last two at loads up to ``perf_quality_judged_up_to_pct`` % of the PDR. A criterion the generator cannot reach
    (iperf3 slower than the criterion's load) cannot be judged: the test is skipped, saying so.
    """

    def __init__(self) -> None:
        self._generator: Generator | None = None
        self._topology: Topology | None = None
        self._measurer: Measurer | None = None
        self._results: dict[int, SearchResult] = {}
        self._quality: tuple[int, float] | None = None  # the last quality measurement's frame size and seconds
        # Each search's figures in this run by (scenario, frame size), with the test that measured them and when.
        self._searched: dict[tuple[str, int], tuple[dict, str, str]] = {}

    # -- generator -----------------------------------------------------------------------------------
    @keyword("选择流量发生器")
    def choose_generator(self, generator: Generator | None = None) -> str:
        """Detect the generators on Host A, choose one (``auto``, ``iperf3``, ``trex``, ``pktgen``) and return it.

        Without ``generator`` the lab parameter ``perf_generator`` decides (default ``auto``: TRex or
        pktgen-DPDK when a measurer exists for them, else iperf3). Fails, naming what is missing,
        when the chosen generator cannot run.

        Example: | ${gen}= | 选择流量发生器 | iperf3 |
        """
        lab = seam.current()
        kind = generator or Generator(_param("perf_generator"))
        found = generators.detect(lab.session("hosta"), lab.spec.params)
        evidence.table(
            ["流量发生器", "Host A 上已安装"],
            [(name, "是" if present else "否") for name, present in found.items()],
            "流量发生器检测",
        )
        choice, notes = generators.choose(kind, found, lab.spec.params)
        for note in notes:
            logger.info(f"不使用：{note}")
        logger.info(f"使用流量发生器：{choice.value}")
        self._generator = choice
        return choice.value

    # -- topology ------------------------------------------------------------------------------------
    @keyword("转发场景可测")
    def scenario_available(self, scenario: Scenario) -> bool:
        """Return whether the lab can build ``scenario``; if not, log a warning saying why.

        For one scenario of a case that the lab cannot measure, while the others still count.

        Example: | ${ok}= | 转发场景可测 | sriov |
        """
        reason = topology.unavailable_reason(seam.current(), scenario)
        if reason:
            logger.warn(f"本实验环境不测 {scenario.value} 场景：{reason}")
            return False
        return True

    @keyword("准备转发性能拓扑")
    def prepare(self, scenario: Scenario, mtu: int = 1500, vm_interfaces: list[str] | None = None) -> dict:
        """Configure the ends of ``scenario``'s path, check it forwards, start the generator; return its summary.

        The path's MTU is ``mtu`` at its ends (the DUT's ports are set by the suite). ``sriov``
        needs ``vm_interfaces``: VM01's NICs of the VFs of enP4p1s0 and enP5p1s0, as
        ``把VF直通给虚拟机`` returned them; ``sriov_vm2vm`` VM01's and VM02's VF NICs. A scenario
        the lab cannot build skips the test with the reason. Put ``拆除转发性能拓扑`` in the teardown.

        Example: | ${topo}= | 准备转发性能拓扑 | p2p | mtu=9000 |
        Example: | ${topo}= | 准备转发性能拓扑 | sriov | vm_interfaces=${vfs} |
        """
        if self._topology is not None:
            raise RuntimeError(f"已有转发性能拓扑（{self._topology.scenario.value}）：先调用 拆除转发性能拓扑")
        validate.mtu(mtu, validate.OVS_DPDK_MTU, "mtu")  # the path's ports are OVS-DPDK ones
        if self._generator is None:
            self.choose_generator()
        if self._generator not in (Generator.trafgen, Generator.iperf3):
            raise GeneratorUnavailable(f"流量发生器 {self._generator.value} 没有测量器：请用 trafgen 或 iperf3")
        lab = seam.current()
        try:
            topo = topology.build(lab, scenario, mtu, vm_interfaces=vm_interfaces)
        except ScenarioUnavailable as err:
            raise SkipExecution(str(err)) from None
        except HostConnectionError as err:
            _skip_if_busy(err, f"搭建 {scenario.value} 路径")
            raise
        for result in topo.commands:
            evidence.command(result)
        try:
            measurer = self._start_measurer(lab, topo)
        except BaseException:
            topology.restore(lab, topo)
            raise
        self._topology, self._measurer, self._results = topo, measurer, {}
        summary = topo.summary()
        summary["generator"] = measurer.name
        evidence.table(
            ["场景", "路径", "发送端", "接收端", "MTU", "线速参考 (Mb/s)", "流量发生器"],
            [
                (
                    summary["scenario"],
                    summary["path"],
                    summary["tx"],
                    summary["rx"],
                    topo.mtu,
                    topo.speed_mbps,
                    measurer.name,
                )
            ],
            "转发性能拓扑",
        )
        return summary

    def _start_measurer(self, lab, topo: Topology) -> Measurer:
        """The chosen generator's measurer on ``topo``, started; trafgen falls back to iperf3 where it cannot run."""
        if self._generator is Generator.trafgen:
            measurer = TrafgenMeasurer(lab.session, topo.tx, topo.rx, topo.mtu, topo.speed_mbps)
            try:
                measurer.start()
                logger.info(
                    f"{topo.scenario.value}：trafgen 从 {topo.tx} 发送定长帧，"
                    f"启动开销 {measurer.overhead_s * 1000:.1f} ms，"
                    f"每帧间隔的额外开销 {measurer.overshoot_ns / 1000:.0f} µs，"
                    f"目的 MAC {measurer.dst_mac}（下一跳 {measurer.next_hop}）；收发计数取自两端接口的 /proc/net/dev"
                )
                return measurer
            except (GeneratorUnavailable, RuntimeError, ValueError) as err:
                measurer.close()
                logger.warn(
                    f"{topo.scenario.value}：trafgen 不能在发送端运行（{err}），改用 iperf3（按 UDP 数据报计数）"
                )
        iperf3 = Iperf3Measurer(lab.session, topo.tx, topo.rx, topo.mtu, topo.speed_mbps)
        iperf3.start()
        return iperf3

    @keyword("当前转发场景")
    def current_scenario(self) -> str:
        """Return the scenario of the prepared path (``p2p`` ...), or an empty string when none is prepared.

        Lets a suite keep one path for all frame sizes of a scenario.

        Example: | ${now}= | 当前转发场景 |
        """
        return self._topology.scenario.value if self._topology is not None else ""

    @keyword("转发场景应可测")
    def scenario_must_be_available(self, scenario: Scenario) -> None:
        """Skip the test, with the reason, when the lab cannot build ``scenario``.

        Example: | 转发场景应可测 | sriov |
        """
        reason = topology.unavailable_reason(seam.current(), scenario)
        if reason:
            raise SkipExecution(f"本实验环境不能搭建 {scenario.value} 场景：{reason}")

    @keyword("帧长应在本场景测量")
    def frame_size_must_be_measured(self, scenario: Scenario, frame_size: int, mtu: int) -> None:
        """Skip the test when the lab does not measure ``frame_size`` on ``scenario`` or ``mtu`` cannot carry it.

        p2p measures ``perf_frame_sizes``, the other scenarios ``perf_vm_frame_sizes``.

        Example: | 帧长应在本场景测量 | p2p | 9000 | 1500 |
        """
        name = "perf_frame_sizes" if scenario is Scenario.p2p else "perf_vm_frame_sizes"
        sizes = [int(s) for s in _param(name)]
        if frame_size not in sizes:
            raise SkipExecution(f"实验环境参数 {name} 不含 {frame_size} 字节（{sizes}）：本实验环境不测此帧长")
        if frame_size > frames.max_frame(mtu):
            raise SkipExecution(
                f"{scenario.value} 路径的 MTU 为 {mtu}，最大帧长 {frames.max_frame(mtu)} 字节，"
                f"承载不了 {frame_size} 字节的帧"
            )

    @keyword("拆除转发性能拓扑")
    def teardown(self) -> None:
        """Stop the generator and restore the path's ends (the receiving NIC back to Host A, addresses, routes).

        Does nothing when no path is built, so it belongs in every test teardown.

        Example: | 拆除转发性能拓扑 |
        """
        errors = []
        if self._measurer is not None:
            try:
                self._measurer.close()
            except Exception as err:  # restore the path anyway, then report
                errors.append(str(err))
            self._measurer = None
        if self._topology is not None:
            topo, self._topology = self._topology, None
            start = len(topo.commands)
            failed = topology.restore(seam.current(), topo)
            for result in topo.commands[start:]:
                evidence.command(result)
            errors += [f"[{r.host}]# {r.command}：{(r.stderr or r.stdout).strip()}" for r in failed]
        if errors:
            raise RuntimeError("转发性能拓扑没能完全恢复：\n" + "\n".join(errors))

    def _ready(self) -> tuple[Topology, Measurer]:
        if self._topology is None or self._measurer is None:
            raise RuntimeError("还没有转发性能拓扑：先调用 准备转发性能拓扑")
        return self._topology, self._measurer

    @keyword("性能测试参数")
    def perf_parameter(self, name: str) -> Any:
        """Return the lab description's performance parameter ``name`` (``perf_...``), or its default.

        An unknown name fails, listing the known ones.

        Example: | @{loads}= | 性能测试参数 | perf_quality_loads |
        """
        if name not in DEFAULTS:
            raise ValueError(f"没有性能测试参数 {name}（已知：{', '.join(DEFAULTS)}）")
        return _param(name)

    # -- NDR / PDR -----------------------------------------------------------------------------------
    @keyword("性能测试帧长")
    def frame_sizes(self, mtu: int, *sizes: int) -> list[int]:
        """Return ``sizes`` (default: the lab parameter ``perf_frame_sizes``) that a path of ``mtu`` carries.

        A jumbo size above what ``mtu`` allows is left out, and the log says so.

        Example: | @{sizes}= | 性能测试帧长 | 9000 |
        """
        wanted = [int(s) for s in (sizes or _param("perf_frame_sizes"))]
        for size in wanted:
            if size < frames.MIN_FRAME:
                frames.check_frame_size(size, mtu)
        kept = frames.frame_sizes_for(wanted, mtu)
        dropped = [s for s in wanted if s not in kept]
        if dropped:
            logger.info(f"MTU {mtu} 的路径不测这些帧长：{dropped}（最大帧长 {frames.max_frame(mtu)} 字节）")
        return kept

    @staticmethod
    def _max_load(topo: Topology, frame_size: int) -> tuple[float, str]:
        """The search's upper bound for ``frame_size`` on ``topo`` and where it comes from."""
        line = frames.line_rate_pps(topo.speed_mbps, frame_size)
        bound = _param("perf_max_load_pps")
        if isinstance(bound, dict):
            bound = bound.get(topo.scenario.value)
        if bound is None or float(bound) >= line:
            return line, f"线速 {line:,.0f} 帧/秒"
        return float(bound), f"实验环境参数 perf_max_load_pps {float(bound):,.0f} 帧/秒（线速 {line:,.0f}）"

    def _spec(self, frame_size: int, pdr_loss_ratio: float | None, trial_duration: float | None) -> SearchSpec:
        topo, _ = self._ready()
        frames.check_frame_size(frame_size, topo.mtu)
        return SearchSpec(
            min_load_pps=float(_param("perf_min_load_pps")),
            max_load_pps=self._max_load(topo, frame_size)[0],
            pdr_loss_ratio=_param("perf_pdr_loss_ratio") if pdr_loss_ratio is None else pdr_loss_ratio,
            relative_width=float(_param("perf_relative_width")),
            trial_duration=float(_param("perf_trial_duration") if trial_duration is None else trial_duration),
            duration_sum=_param("perf_duration_sum"),
            exceed_ratio=float(_param("perf_exceed_ratio")),
            timeout_s=float(_param("perf_search_timeout")),
        )

    @keyword("搜索NDR和PDR")
    def search(self, frame_size: int, pdr_loss_ratio: float | None = None, trial_duration: float | None = None) -> dict:
        """Search the NDR and PDR of ``frame_size``-byte frames on the prepared path with MLRsearch; return the figures.

        ``pdr_loss_ratio`` and ``trial_duration`` override the lab parameters. The log shows every
        trial and the final intervals. Returns ``frame_size``, ``ndr_pps``, ``pdr_pps`` (None when even
        the minimum load loses), ``ndr_mpps``, ``ndr_gbps``, ``ndr_pct_line_rate`` (and ``pdr_…``),
        ``ndr_upper_pps``, ``trials``, ``trial_seconds``, ``seconds`` and ``max_offered_pps``.

        Example: | ${r}= | 搜索NDR和PDR | 64 | pdr_loss_ratio=0.005 |
        """
        topo, measurer = self._ready()
        spec = self._spec(frame_size, pdr_loss_ratio, trial_duration)
        title = f"{topo.scenario.value} {frame_size} 字节帧"
        watch = LoadWatch(topo.tx.host)
        try:
            result = mlr_search(measurer, frame_size, spec, on_trial=self._progress)
        except HostConnectionError as err:
            _skip_if_busy(err, f"{title}的 NDR/PDR 搜索")
            raise
        except SearchError as err:
            if err.trials:
                partial = SearchResult("MLRsearch 1.2.1", frame_size, spec, [], err.trials)
                evidence.table(report.TRIAL_HEADERS, report.trial_rows(partial), f"{title}：中止前的试验")
            # A search cut short by its time limit on an overloaded machine (trials through a starved guest
            # take many seconds each) says nothing about the DUT.
            _skip_if_busy(err, f"{title}的 NDR/PDR 搜索（{len(err.trials)} 次试验）")
            raise
        if measurer.last_command is not None:
            logger.info(f"试验命令（最后一次）：[{measurer.last_command.host}]# {measurer.last_command.command}")
        evidence.table(
            report.TRIAL_HEADERS,
            report.trial_rows(result),
            f"{title}：MLRsearch 试验（{len(result.trials)} 次，试验时长合计 {result.trial_seconds:g} 秒，"
            f"用时 {result.seconds:.1f} 秒；搜索上限 {self._max_load(topo, frame_size)[1]}；{watch.note()}）",
        )
        evidence.table(report.INTERVAL_HEADERS, report.interval_rows(result), f"{title}：最终区间")
        self._results[frame_size] = result
        figures = self._figures(result, topo)
        try:
            test = BuiltIn().get_variable_value("${TEST NAME}", "")
        except RobotNotRunningError:  # called from Python (the integration tests)
            test = ""
        self._searched[(topo.scenario.value, frame_size)] = (figures, test, time.strftime("%H:%M:%S"))
        return figures

    @keyword("本场景的NDR和PDR")
    def searched_or_search(self, frame_size: int) -> dict:
        """Return the NDR and PDR of ``frame_size``-byte frames on the prepared path: those an earlier test of this
        run found for the same scenario and frame size, else a new ``搜索NDR和PDR``.

        For 7.3.6, whose loads are fractions of the PDR that 7.3.5 measured on the same path (FD.io CSIT too
        measures latency at fractions of the PDR its NDR/PDR test found). The log names the test the figures
        come from and when.

        Example: | ${r}= | 本场景的NDR和PDR | 64 |
        """
        topo, _ = self._ready()
        found = self._searched.get((topo.scenario.value, int(frame_size)))
        if found is None:
            return self.search(int(frame_size))
        figures, test, when = found
        pdr = "—" if figures["pdr_pps"] is None else f"{figures['pdr_pps']:,.0f}"
        ndr = "—" if figures["ndr_pps"] is None else f"{figures['ndr_pps']:,.0f}"
        logger.info(
            f"{topo.scenario.value} {frame_size} 字节帧的 NDR {ndr} 帧/秒、PDR {pdr} 帧/秒："
            f"取自本次运行中用例“{test}”在 {when} 的搜索（同一场景、同一帧长，{figures['trials']} 次试验），"
            "不再重复搜索"
        )
        return figures

    @staticmethod
    def _progress(trial) -> None:
        r = trial.result
        logger.debug(
            f"试验 {trial.index}：{r.load_pps:.0f} 帧/秒 × {r.duration_s:g} 秒，发送 {r.sent}，接收 {r.received}，"
            f"丢包率 {trial.search_loss_ratio:.4%}"
        )

    @staticmethod
    def _figures(result: SearchResult, topo: Topology) -> dict:
        figures: dict[str, Any] = {
            "scenario": topo.scenario.value,
            "frame_size": result.frame_size,
            "speed_mbps": topo.speed_mbps,
            "line_rate_pps": frames.line_rate_pps(topo.speed_mbps, result.frame_size),
            "trials": len(result.trials),
            "trial_seconds": result.trial_seconds,
            "seconds": result.seconds,
            "max_offered_pps": result.max_offered_pps,
        }
        for goal in (NDR, PDR):
            interval = result.interval(goal)
            values = report.figures(interval, result.frame_size, topo.speed_mbps)
            key = goal.lower()
            figures[f"{key}_pps"] = values["pps"]
            figures[f"{key}_mpps"] = values["mpps"]
            figures[f"{key}_gbps"] = values["gbps"]
            figures[f"{key}_pct_line_rate"] = values["pct_line_rate"]
            figures[f"{key}_upper_pps"] = interval.upper_pps
            figures[f"{key}_loss_ratio"] = interval.loss_ratio
            figures[f"{key}_limited_by_generator"] = interval.limited_by_generator
        return figures

    @keyword("按帧长搜索NDR和PDR")
    def sweep(self, *frame_sizes: int) -> list[dict]:
        """Search NDR and PDR for each of ``frame_sizes``; log the summary table and chart; return each one's figures.

        Example: | @{r}= | 按帧长搜索NDR和PDR | 64 | 512 | 1518 |
        """
        if not frame_sizes:
            raise frames.PerfInputError("没有帧长：例如 64 128 256 512 1024 1280 1518")
        topo, _ = self._ready()
        for size in frame_sizes:
            frames.check_frame_size(size, topo.mtu)  # every size checked before the first trial
        figures = [self.search(size) for size in frame_sizes]
        results = [self._results[size] for size in frame_sizes]
        title = f"{topo.scenario.value}：NDR/PDR（线速参考 {topo.speed_mbps} Mb/s）"
        evidence.table(report.SUMMARY_HEADERS, report.summary_rows(results, topo.speed_mbps), title)
        _chart(title, lambda: report.throughput_chart(results, topo.speed_mbps, f"{topo.scenario.value} NDR/PDR"))
        return figures

    # -- quality -------------------------------------------------------------------------------------
    @keyword("测量转发质量")
    def measure_quality(
        self, frame_size: int, pdr_pps: float, *load_pcts: float, duration: float | None = None
    ) -> list[dict]:
        """Measure loss, jitter and latency at ``load_pcts`` % (default 10 50 90 100) of ``pdr_pps``; return each point.

        Each point is one trial of ``duration`` seconds (default: ``perf_quality_duration``) with
        latency probes (``perf_probe_pps`` per second) sent beside the load. Logs the table and a chart.

        Example: | @{q}= | 测量转发质量 | 64 | ${r}[pdr_pps] | 10 | 50 | 90 | 100 |
        """
        topo, measurer = self._ready()
        pcts = quality.check_pcts(load_pcts or _param("perf_quality_loads"))
        seconds = float(duration if duration is not None else _param("perf_quality_duration"))
        probe_pps = float(_param("perf_probe_pps"))
        if topo.tx.host != topo.rx.host:
            logger.warn(
                f"{topo.scenario.value}：发送端 {topo.tx.host} 与接收端 {topo.rx.host} 不在同一主机（不同时钟），"
                "不测单向时延，只测丢包"
            )
            probe_pps = 0.0
        self._quality = (frame_size, seconds, probe_pps)
        watch = LoadWatch("hosta")
        measurer.probe_pps = probe_pps
        try:
            points = quality.measure(measurer, frame_size, pdr_pps, pcts, seconds)
        except HostConnectionError as err:
            _skip_if_busy(err, f"{topo.scenario.value} 的转发质量测量")
            raise
        finally:
            measurer.probe_pps = 0.0
        title = (
            f"{topo.scenario.value} {frame_size} 字节帧的转发质量（PDR {pdr_pps:,.0f} 帧/秒，每点 {seconds:g} 秒，"
            f"时延探测 {probe_pps:g} 个/秒；{watch.note()}）"
        )
        evidence.table(report.QUALITY_HEADERS, report.quality_rows(points), title)
        _chart(title, lambda: report.latency_chart(points, f"{topo.scenario.value} {frame_size} B: latency vs load"))
        return [
            {
                "scenario": topo.scenario.value,
                "frame_size": frame_size,
                "latency_measured": bool(probe_pps),
                "pct_of_pdr": p.pct_of_pdr,
                "load_pps": p.load_pps,
                "sent": p.trial.sent,
                "received": p.trial.received,
                "loss_ratio": p.trial.loss_ratio,
                "jitter_ms": p.trial.jitter_ms,
                "latency": p.trial.latency.as_dict() if p.trial.latency else None,
            }
            for p in points
        ]

    # -- verdicts ------------------------------------------------------------------------------------
    @keyword("转发性能应满足判据")
    def ndr_criterion(self, results: list[dict]) -> None:
        """Fail unless each result's NDR reaches the lab's ``perf_ndr_min_pct_line_rate`` for its frame size.

        A frame size without a criterion is not judged. Where the NDR falls short but the generator never
        offered the criterion's load, the lab cannot judge it: with nothing else judged the test is skipped.

        Example: | 转发性能应满足判据 | ${results} |
        """
        if not results:
            raise SkipExecution("没有转发性能结果可判定（场景不可测？见上面的警告）")
        criteria = {int(k): float(v) for k, v in (_param("perf_ndr_min_pct_line_rate") or {}).items()}
        rows, failures, unjudged = [], [], []
        for r in results:
            size = int(r["frame_size"])
            if size not in criteria:
                continue
            need_pct = criteria[size]
            need_pps = r["line_rate_pps"] * need_pct / 100
            got = r["ndr_pct_line_rate"] or 0.0
            if got >= need_pct:
                verdict = "PASS"
            elif r["max_offered_pps"] < need_pps:
                verdict = "无法判定"
                unjudged.append(
                    f"{size} 字节：发生器最多只发出 {r['max_offered_pps']:,.0f} 帧/秒，"
                    f"低于判据负载 {need_pps:,.0f} 帧/秒"
                )
            else:
                verdict = "FAIL"
                failures.append(
                    f"{size} 字节帧的 NDR 为线速的 {got:.3g}%（{(r['ndr_pps'] or 0):,.0f} 帧/秒），"
                    f"低于判据 {need_pct:g}%（{need_pps:,.0f} 帧/秒）"
                )
            rows.append((size, f"{got:.3g}%", f"≥ {need_pct:g}%", f"{need_pps:,.0f}", verdict))
        evidence.table(
            ["帧长 (B)", "NDR (% 线速)", "判据", "判据负载 (帧/秒)", "结果"],
            rows,
            "转发性能判据（实验环境参数 perf_ndr_min_pct_line_rate）",
            highlight=[(i, 4) for i, row in enumerate(rows) if row[4] != "PASS"],
        )
        if failures:
            raise AssertionError("转发性能不满足判据：\n" + "\n".join(failures))
        if not rows:
            raise SkipExecution("实验环境参数 perf_ndr_min_pct_line_rate 没有为所测帧长给出判据，无法判定")
        if unjudged and len(unjudged) == len(rows):
            raise SkipExecution("流量发生器达不到判据负载，本实验环境无法判定：\n" + "\n".join(unjudged))
        for line in unjudged:
            logger.warn(f"无法判定：{line}")

    def _ndr_criteria(self, scenario: str) -> dict:
        by_scenario = _param("perf_ndr_criteria") or {}
        if scenario in by_scenario:
            return dict(by_scenario[scenario] or {})
        if scenario == Scenario.p2p.value:
            return dict(_param("perf_ndr_min_pct_line_rate") or {})
        return {}

    def _baseline_trials(self, load_pps: float, duration: float, frame_size: int, count: int, probe_pps: float = 0.0):
        """Up to ``count`` trials at ``load_pps`` on the baseline (a veth pair, no DUT), until one carries it."""
        lab = seam.current()
        mtu = self._topology.mtu if self._topology is not None else 1500
        base = topology.build(lab, Scenario.baseline, mtu)
        trials = []
        measurer = None
        try:
            measurer = self._start_measurer(lab, base)
            measurer.probe_pps = probe_pps
            for _ in range(count):
                trial = measurer.measure(load_pps, duration, frame_size)
                trials.append(trial)
                if judge.trial_meets(trial, 0.0):
                    break
        finally:
            if measurer is not None:
                measurer.close()
            failed = topology.restore(lab, base)
            for result in base.commands:
                evidence.command(result)
            if failed:
                logger.warn("基线路径没能完全拆除：" + "；".join(f"{r.command}：{r.stderr.strip()}" for r in failed))
        return trials, measurer.name if measurer is not None else "—"

    @keyword("NDR应满足判据")
    def ndr_verdict(self, result: dict) -> None:
        """Judge one scenario's NDR at one frame size against its criterion, robustly to a busy machine.

        The criterion (% of line rate) is ``perf_ndr_criteria[scenario][frame size]`` (the nearest smaller
        listed size's when the size is not listed; p2p falls back to ``perf_ndr_min_pct_line_rate``).
        An NDR below it is confirmed by up to 3 trials at the criterion's load on the same path (one
        loss-free trial passes), then compared with a plain veth baseline in the same run: FAIL only when
        the baseline carries the load and the machine's load stayed within its CPUs; otherwise the test is
        skipped as inconclusive, with the figures and the load. A size without a criterion is skipped.

        Example: | ${r}= | 搜索NDR和PDR | 64 |
        | NDR应满足判据 | ${r} |
        """
        topo, measurer = self._ready()
        size, scenario = int(result["frame_size"]), str(result["scenario"])
        pct = judge.criterion_for(self._ndr_criteria(scenario), size)
        if pct is None:
            raise SkipExecution(f"实验环境参数 perf_ndr_criteria 没有给 {scenario} 场景 {size} 字节帧的判据，无法判定")
        need = result["line_rate_pps"] * pct / 100
        watch = LoadWatch("hosta")
        duration = float(_param("perf_trial_duration"))
        confirm, baseline, base_name = [], [], "—"
        ndr = result.get("ndr_pps")
        if ndr is None or ndr < need:
            for _ in range(judge.CONFIRM_TRIALS):
                confirm.append(measurer.measure(need, duration, size))
                if judge.trial_meets(confirm[-1], 0.0):
                    break
            if not any(judge.trial_meets(t, 0.0) for t in confirm):
                try:
                    baseline, base_name = self._baseline_trials(need, duration, size, judge.CONFIRM_TRIALS)
                except (RuntimeError, ValueError) as err:  # no baseline: nothing proves the DUT at fault
                    logger.warn(f"基线没有测成：{err}")
        load = watch.note()
        verdict = judge.ndr_judgement(ndr, need, confirm, baseline, watch.busy)
        evidence.table(
            ["场景", "帧长 (B)", "NDR (帧/秒)", "NDR (% 线速)", "判据", "判据负载 (帧/秒)", "复测", "基线", "结果"],
            [
                (
                    scenario,
                    size,
                    "—" if ndr is None else f"{ndr:,.0f}",
                    f"{result.get('ndr_pct_line_rate') or 0:.3g}%",
                    f"≥ {pct:g}%",
                    f"{need:,.0f}",
                    "；".join(judge.describe(t) for t in confirm) or "不需要",
                    ("；".join(judge.describe(t) for t in baseline) + f"（{base_name}）") if baseline else "不需要",
                    verdict.verdict.value,
                )
            ],
            f"{scenario} {size} 字节帧的转发性能判据（{measurer.name}；{load}）",
            highlight=[(0, 8)] if verdict.verdict is not judge.Verdict.PASS else [],
        )
        if verdict.verdict is judge.Verdict.FAIL:
            raise AssertionError(f"{scenario} {size} 字节帧的转发性能不满足判据：{verdict.reason}（{load}）")
        if verdict.verdict is judge.Verdict.INCONCLUSIVE:
            raise SkipExecution(f"{scenario} {size} 字节帧：{verdict.reason}（{load}）")
        logger.info(f"{scenario} {size} 字节帧：{verdict.reason}（{load}）")

    @keyword("转发质量应满足判据")
    def quality_criterion(self, points: list[dict]) -> None:
        """Judge loss and latency at loads up to a fraction of the PDR, robustly to a busy machine.

        The loads judged are those up to ``perf_quality_judged_up_to_pct`` % of the PDR. Loss may be
        at most ``perf_quality_max_loss_ratio`` (default: the PDR loss ratio); each latency statistic
        named in ``perf_latency_max_us`` (e.g. ``{"p99_us": 500}``) at most its value in µs (not judged
        where the two ends have different clocks: VM to VM). A point that misses is measured once more;
        missing twice, it is measured on a plain veth baseline at the same load: FAIL only when the
        baseline meets the criterion and the machine's load stayed within its CPUs, otherwise the test is
        skipped as inconclusive, with the figures and the load.

        Example: | 转发质量应满足判据 | ${points} |
        """
        up_to = float(_param("perf_quality_judged_up_to_pct"))
        max_loss = _param("perf_quality_max_loss_ratio")
        max_loss = float(_param("perf_pdr_loss_ratio") if max_loss is None else max_loss)
        limits = {str(k): float(v) for k, v in (_param("perf_latency_max_us") or {}).items()}
        for key in limits:
            if key not in LATENCY_KEYS:
                raise ValueError(f"perf_latency_max_us 的键 {key} 不是时延统计量（可用：{', '.join(LATENCY_KEYS)}）")
        watch = LoadWatch("hosta")

        def problems_of(loss_ratio: float, latency: dict | None, measured: bool) -> list[str]:
            found = []
            if loss_ratio > max_loss:
                found.append(f"丢包率 {loss_ratio:.3%} 超过 {max_loss:.3%}")
            for key, limit in limits.items() if measured else ():
                value = latency[key] if latency else None
                if value is None or value > limit:
                    shown = "未测得" if value is None else f"{value:.0f} µs"
                    found.append(f"时延 {key} {shown} 超过 {limit:g} µs")
            return found

        def trial_problems(trial, measured: bool) -> list[str]:
            latency = trial.latency.as_dict() if trial.latency else None
            return problems_of(trial.loss_ratio, latency, measured)

        rows, judgements = [], []
        for p in points:
            if p["pct_of_pdr"] > up_to:
                continue
            measured = p.get("latency_measured", True)
            problems = problems_of(p["loss_ratio"], p["latency"], measured)
            retry_problems, baseline_problems, extra = None, None, []
            if problems and self._measurer is not None and self._quality is not None:
                size, seconds, probe_pps = self._quality
                self._measurer.probe_pps = probe_pps
                try:
                    retry = self._measurer.measure(p["load_pps"], seconds, size)
                    retry_problems = trial_problems(retry, measured)
                    extra.append(f"复测：{judge.describe(retry)}")
                except (RuntimeError, ValueError) as err:  # a repeat that did not measure proves nothing
                    retry_problems = problems
                    extra.append(f"复测没有完成：{err}")
                finally:
                    self._measurer.probe_pps = 0.0
                base = []
                if retry_problems:
                    try:
                        base, _ = self._baseline_trials(
                            p["load_pps"], seconds, size, 1, float(_param("perf_probe_pps"))
                        )
                    except (RuntimeError, ValueError) as err:
                        extra.append(f"基线没有测成：{err}")
                    baseline_problems = trial_problems(base[0], True) if base else None
                    if base:
                        lat = base[0].latency.as_dict() if base[0].latency else {}
                        shown = "；".join(f"{k} {lat[k]:.0f} µs" for k in limits if lat.get(k) is not None)
                        extra.append(f"基线：{judge.describe(base[0])}{('，' + shown) if shown else ''}")
            load = watch.note()
            verdict = judge.quality_judgement(problems, retry_problems, baseline_problems, watch.busy)
            judgements.append((p, verdict))
            latency = "；".join(
                f"{key} {p['latency'][key]:.0f}" for key in limits if p["latency"] and p["latency"][key] is not None
            )
            rows.append(
                (
                    f"{p['pct_of_pdr']:g}",
                    f"{p['loss_ratio']:.3%}",
                    f"≤ {max_loss:.3%}",
                    latency or ("不可测（两端不同时钟）" if not measured else "—"),
                    ("；".join(f"{k} ≤ {v:g}" for k, v in limits.items()) if measured and limits else "不判定"),
                    "；".join(extra) or "不需要",
                    verdict.verdict.value,
                )
            )
        load = watch.note()
        evidence.table(
            ["负载 (% PDR)", "丢包率", "丢包判据", "时延 (µs)", "时延判据 (µs)", "复测与基线", "结果"],
            rows,
            f"转发质量判据（负载不超过 PDR 的 {up_to:g}%；{load}）",
            highlight=[(i, 6) for i, row in enumerate(rows) if row[6] != "PASS"],
        )
        if not rows:
            raise SkipExecution(f"没有不超过 PDR {up_to:g}% 的负载点，无法判定转发质量")
        failures = [f"{p['pct_of_pdr']:g}% PDR：{j.reason}" for p, j in judgements if j.verdict is judge.Verdict.FAIL]
        if failures:
            raise AssertionError("转发质量不满足判据：\n" + "\n".join(failures) + f"\n（{load}）")
        unsure = [
            f"{p['pct_of_pdr']:g}% PDR：{j.reason}" for p, j in judgements if j.verdict is judge.Verdict.INCONCLUSIVE
        ]
        if unsure:
            raise SkipExecution("转发质量无法判定：\n" + "\n".join(unsure) + f"\n（{load}）")
