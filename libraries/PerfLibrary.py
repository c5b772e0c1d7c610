"""Robot keywords for forwarding performance and quality (record chapter 7.3): RFC 2544 NDR/PDR, latency, jitter."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from robot.api import SkipExecution, logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from netvirt import emulation, evidence, seam, validate
from netvirt.perf import frames, generators, judge, quality, report, topology
from netvirt.perf.generators import Generator, GeneratorUnavailable, Iperf3Measurer
from netvirt.perf.measurer import Measurer
from netvirt.perf.search import NDR, PDR, SearchError, SearchResult, SearchSpec, mlr_search
from netvirt.perf.topology import Scenario, ScenarioUnavailable, Topology
from netvirt.perf.trafgen import TrafgenMeasurer
from netvirt.ssh import HostConnectionError
from netvirt.traffic.ping import ping_argv, run_ping

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
    """转发性能与转发质量的关键字（记录 7.3）：RFC 2544 的 NDR / PDR、丢包、时延与抖动。

    对应记录第 7.3 章的 7.3.5 网络转发性能和 7.3.6 网络转发质量。

    = 场景 =
    `准备转发性能拓扑` 搭好一条被测路径，并在上面启动流量发生器：
    | ``p2p``   | Host A enP4p1s0 → dpdkp0 → OVS ovsbr0 → dpdkp1 → Host A enP5p1s0 |
    | ``pvp``   | Host A → dpdkp0 → ovsbr0 → dpdkvhostuser0 → VM01（内核转发）→ ovsbr0 → dpdkp1 → Host A |
    | ``vm2vm`` | VM02 → dpdkvhostuser1 → ovsbr0 → dpdkvhostuser0 → VM01 |
    | ``sriov`` | Host A → Host B enP4p1s0 的 VF（直通给 VM01，内核转发）→ enP5p1s0 的 VF → Host A |
    | ``sriov_vm2vm`` | VM02 上 enP5p1s0 的 VF → 网卡内部交换 → VM01 上 enP5p1s0 的 VF |
    被测设备一侧（ovsbr0 上的 dpdk 端口； ``sriov`` 场景中直通给 VM01 的 VF）由 ``perf.resource`` 用 OVS 和 SR-IOV
    关键字配置。p2p、pvp 和 sriov 的两端都在 Host A 上，所以测量期间接收网卡被移到它自己的网络命名空间中，
    由 `拆除转发性能拓扑` 移回。实验环境搭不出的场景（网卡或虚拟机不够）以 SKIP 结束并写明原因。

    = 流量发生器 =
    `选择流量发生器` 在 Host A 上检测可用的发生器：
    - trafgen（netsniff-ng 软件包）：按设定帧率发送定长以太网帧，收发计数取自两端接口的计数器； ``auto`` 时优先使
      用。发送端不能运行 trafgen 时改用 iperf3，并给出告警。
    - iperf3 UDP：所有实验环境上都能运行；数据报为 ``帧长 - 46`` 字节（帧 = 14 以太网 + 20 IPv4 + 8 UDP + 载荷 + 4
      FCS）， ``-b`` 为试验的速率， ``-t`` 为试验的秒数；计数取自 ``iperf3 -J`` 。
    - TRex 和 pktgen-DPDK：会被检测并记入日志，但本库还没有它们的测量器，指定它们时失败并说明。

    = 搜索 =
    每个帧长用 MLRsearch 1.2.1 搜索 NDR（0 丢包）和 PDR（ ``perf_pdr_loss_ratio`` ，默认 0.5 %），
    负载范围从 ``perf_min_load_pps`` 到发送网卡的线速（ ``speed_mbps`` ）或实验环境参数 ``perf_max_load_pps`` 给出的
    上限，精度为相对宽度 ``perf_relative_width`` 。每次试验（负载、发送与接收帧数、丢包）和最终区间都记入日志；
    吞吐量以 Mpps、Gbit/s（L2：帧字节 × 8）和线速百分比（L1：每帧另计 20 字节前导码与帧间隔）给出。

    = 转发质量 =
    `测量转发质量` 在 PDR 的 10 / 50 / 90 / 100 % 各做一次试验，同时发送时延探测包（
    ``netvirt/remote/latprobe.py`` ：单向时延，两端都用 Host A 的时钟）：丢包、iperf3 的抖动、
    时延的 min / avg / max 与百分位数，以及探测包的 RFC 3550 抖动和 IPDV。两端不在同一主机（不同时钟，如 VM 到 VM）
    时不测时延，只测丢包。

    = 判据 =
    合格判据是实验环境参数： ``perf_ndr_criteria`` （ ``{场景: {帧长: 线速百分比}}`` ，
    p2p 缺省时用 ``perf_ndr_min_pct_line_rate`` ）、 ``perf_quality_max_loss_ratio`` 和 ``perf_latency_max_us`` （如
    ``{"p99_us": 500}`` ），后两者只判 PDR 的 ``perf_quality_judged_up_to_pct`` % 以内的负载。

    = 繁忙的机器不等于产品 FAIL =
    流量发生器达不到判据负载时无法判定，用例 SKIP 并说明。没有达到判据时先在同一路径上复测，
    再在同一次运行中用一条没有被测设备的 veth 基线路径测同样的负载：只有基线能承载、且机器负载没有超过 CPU 数时才判
    FAIL，否则 SKIP（无法判定），并给出数字和负载。测量中主机不再应答或搜索超时、而机器负载超过 CPU 数时同样 SKIP。

    = 内嵌实验环境与真实实验环境 =
    关键字在两种实验环境上相同。内嵌实验环境的路径经过模拟网卡和 TCG 虚拟机，能承载的远低于线速，
    所以它在 ``perf_max_load_pps`` 中按场景给出发生器在那里能提供的负载上限；真实实验环境通常以线速为上限。
    """

    def __init__(self) -> None:
        self._generator: Generator | None = None
        self._topology: Topology | None = None
        self._measurer: Measurer | None = None
        self._results: dict[int, SearchResult] = {}
        self._quality: tuple[int, float] | None = None  # the last quality measurement's frame size and seconds
        # What the path's build drove that the lab emulates (an emulated NIC's VFs): every test measuring the path
        # rests on it too, also a test after the one that built it.
        self._path_emulation: dict[str, list[str]] = {}
        # Each search's figures in this run by (scenario, frame size), with the test that measured them and when.
        self._searched: dict[tuple[str, int], tuple[dict, str, str]] = {}

    # -- generator -----------------------------------------------------------------------------------
    @keyword("选择流量发生器")
    def choose_generator(self, generator: Generator | None = None) -> str:
        """在 Host A 上检测流量发生器，选定一个（ ``auto`` 、 ``trafgen`` 、 ``iperf3`` 、 ``trex`` 、 ``pktgen`` ）
        并返回它的名字。

        不给 ``generator`` 时由实验环境参数 ``perf_generator`` 决定（默认 ``auto`` ：有 trafgen 就用 trafgen，
        否则用 iperf3；TRex、pktgen-DPDK 还没有测量器，不会被选中）。检测结果以表格记录，没选中的发生器及原因记入日
        志。选定的发生器不能运行时失败并写明缺少什么。

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
        """返回实验环境能否搭建场景 ``scenario`` ；不能时给出告警并说明原因。

        用于一个用例中有某个场景本实验环境测不了、而其他场景照常计入的情况。要让整个用例 SKIP 用 `转发场景应可测` 。

        Example: | ${ok}= | 转发场景可测 | sriov |
        """
        reason = topology.unavailable_reason(seam.current(), scenario)
        if reason:
            logger.warn(f"本实验环境不测 {scenario.value} 场景：{reason}")
            return False
        return True

    @keyword("准备转发性能拓扑")
    def prepare(self, scenario: Scenario, mtu: int = 1500, vm_interfaces: list[str] | None = None) -> dict:
        """配置场景 ``scenario`` 路径的两端，检查路径能转发，启动流量发生器；返回路径的摘要（场景、路径、发送端、
        接收端、流量发生器等）。

        参数： ``mtu`` 为路径两端的 MTU（被测设备的端口由用例集设置；须在 OVS-DPDK 的范围 68..9702 内）；
        ``sriov`` 场景需要 ``vm_interfaces`` ：VM01 上 enP4p1s0 和 enP5p1s0 的 VF 网卡名（即 `把VF直通给虚拟机` 的返
        回值）， ``sriov_vm2vm`` 需要 VM01 和 VM02 的 VF 网卡名。

        还没有选流量发生器时先调用 `选择流量发生器` 。已有一条路径时失败（先 `拆除转发性能拓扑` ）。
        实验环境搭不出该场景时用例 SKIP 并写明原因；发生器启动失败时路径被恢复。搭建用的命令和路径摘要记入日志。
        在用例终程中放 `拆除转发性能拓扑` 。

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
        self._path_emulation = emulation.current()
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
                    f"每帧间隔之外的开销 {measurer.overshoots.describe()}，"
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
        """返回已准备好的路径的场景（ ``p2p`` 等）；没有路径时返回空字符串。

        便于用例集让一个场景的所有帧长共用同一条路径。

        Example: | ${now}= | 当前转发场景 |
        """
        return self._topology.scenario.value if self._topology is not None else ""

    @keyword("转发场景应可测")
    def scenario_must_be_available(self, scenario: Scenario) -> None:
        """实验环境不能搭建场景 ``scenario`` 时，让用例 SKIP 并写明原因（如 Host A 只有一个网卡、
        Host B 的网卡不支持 SR-IOV、描述中没有所需的虚拟机）。

        Example: | 转发场景应可测 | sriov |
        """
        reason = topology.unavailable_reason(seam.current(), scenario)
        if reason:
            raise SkipExecution(f"本实验环境不能搭建 {scenario.value} 场景：{reason}")

    @keyword("帧长应在本场景测量")
    def frame_size_must_be_measured(self, scenario: Scenario, frame_size: int, mtu: int) -> None:
        """本实验环境不在场景 ``scenario`` 上测帧长 ``frame_size`` ，或 MTU ``mtu`` 承载不了这个帧长时，
        让用例 SKIP 并写明原因。

        p2p 测实验环境参数 ``perf_frame_sizes`` 中的帧长，其他场景测 ``perf_vm_frame_sizes`` 中的帧长。

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
        """停止流量发生器，恢复路径的两端（接收网卡移回 Host A、地址、路由）。

        没有路径时什么也不做，所以可以放在每个用例的终程。恢复的命令记入日志；有步骤没能恢复时，其余步骤照常执行，
        最后失败并列出没恢复的命令。

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
            self._path_emulation = {}
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
        emulation.again(self._path_emulation)
        return self._topology, self._measurer

    @keyword("性能测试参数")
    def perf_parameter(self, name: str) -> Any:
        """返回实验环境描述中的性能测试参数 ``name`` （ ``perf_...`` ），没有设置时返回它的默认值。

        未知的参数名使关键字失败，并列出已知的参数名。

        Example: | @{loads}= | 性能测试参数 | perf_quality_loads |
        """
        if name not in DEFAULTS:
            raise ValueError(f"没有性能测试参数 {name}（已知：{', '.join(DEFAULTS)}）")
        return _param(name)

    # -- NDR / PDR -----------------------------------------------------------------------------------
    @keyword("性能测试帧长")
    def frame_sizes(self, mtu: int, *sizes: int) -> list[int]:
        """返回 ``sizes`` 中 MTU 为 ``mtu`` 的路径能承载的帧长（不给 ``sizes`` 时用实验环境参数
        ``perf_frame_sizes`` ）。

        超过 ``mtu`` 所允许的巨型帧被略去，日志中说明；小于以太网最小帧长的帧长使关键字失败。

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
        """在已准备好的路径上用 MLRsearch 搜索 ``frame_size`` 字节帧的 NDR 和 PDR，返回结果。对应记录 7.3.5。

        ``pdr_loss_ratio`` 和 ``trial_duration`` 可覆盖实验环境参数 ``perf_pdr_loss_ratio`` 与
        ``perf_trial_duration`` 。日志中记录每次试验、最终区间、搜索上限和测量期间的主机负载。

        返回 ``frame_size`` 、 ``ndr_pps`` 、 ``pdr_pps`` （连最低负载都丢包时为 None）、 ``ndr_mpps`` 、
        ``ndr_gbps`` 、 ``ndr_pct_line_rate`` （PDR 同样有 ``pdr_…`` ）、 ``ndr_upper_pps`` 、 ``line_rate_pps`` 、
        ``trials`` 、 ``trial_seconds`` 、 ``seconds`` 和 ``max_offered_pps`` 等。没有准备路径时失败；
        主机不再应答或搜索超时、而机器负载超过 CPU 数时 SKIP（无法判定）。

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
        for goal in (NDR, PDR):
            interval = result.interval(goal)
            if interval.upper_pps is None and interval.lower_pps is not None:
                logger.info(
                    f"{title}：{goal} 达到搜索上限（{self._max_load(topo, frame_size)[1]}，该负载上满足 {goal}）："
                    f"实际的 {goal} 不低于 {interval.lower_pps:,.0f} 帧/秒，上限以上没有测量"
                )
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
        """返回已准备好的路径上 ``frame_size`` 字节帧的 NDR 和 PDR：本次运行中之前的用例已为同一场景、
        同一帧长搜索过就直接用那次的结果，否则新做一次 `搜索NDR和PDR` 。

        用于 7.3.6：它的负载是 7.3.5 在同一路径上测得的 PDR 的若干百分比（FD.io CSIT 也是在 NDR/PDR 测试得到的 PDR
        的若干百分比上测时延）。日志中写明结果来自哪个用例、何时测得。

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
        """对 ``frame_sizes`` 中的每个帧长搜索 NDR 和 PDR（同 `搜索NDR和PDR` ），在日志中记录汇总表和图，
        返回每个帧长的结果。

        所有帧长在第一次试验之前就检查（路径 MTU 承载不了时失败）；没有给帧长时失败。

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
        """在 ``pdr_pps`` 的 ``load_pcts`` %（默认 10 50 90 100，即实验环境参数 ``perf_quality_loads`` ）
        负载下测量丢包、抖动和时延，返回每个负载点的结果。对应记录 7.3.6。

        每个负载点是一次 ``duration`` 秒（默认 ``perf_quality_duration`` ）的试验，同时发送时延探测包（每秒
        ``perf_probe_pps`` 个）。发送端与接收端不在同一主机（不同时钟）时给出告警，只测丢包、不测单向时延。
        每点返回 ``pct_of_pdr`` 、 ``load_pps`` 、 ``sent`` 、 ``received`` 、 ``loss_ratio`` 、 ``jitter_ms`` 、
        ``latency`` （时延统计，不测时为 None）等；表格和图记入日志。

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
        """检查 ``results`` 中每个结果的 NDR 达到实验环境参数 ``perf_ndr_min_pct_line_rate`` 为该帧长规定的线速百分
        比，否则失败。

        没有判据的帧长不判定。NDR 不够、但流量发生器从未发出判据所要求的负载时，本实验环境无法判定：
        如果没有其他帧长被判定，用例 SKIP。结果为空或没有任何帧长有判据时也 SKIP。判定结果以表格记录。

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

    def _guests_slow(
        self, load_pps: float, seconds: float, frame_size: int, limit_us: float, notes: list[str]
    ) -> list[str] | None:
        """Whether the path's guests answer a ping over their management NIC within ``limit_us`` (average round
        trip) while the path carries ``load_pps`` once more: what delays them (a TCG guest that does not get the
        CPU) delays each frame they forward, whatever the switch or NIC does. Pinged from the hypervisor host,
        every 50 ms for the trial; the pings are logged and summed up in ``notes``. None: no guest on the path;
        a guest that answers no ping at all is noted and not counted (nothing is known of it)."""
        guests = topology.GUESTS.get(self._topology.scenario, ()) if self._topology is not None else ()
        if not guests or self._measurer is None:
            return None
        lab = seam.current()
        hypervisor = lab.session(lab.spec.hypervisor)
        count = max(10, min(200, int(seconds / 0.05)))
        argvs = [
            (vm, ping_argv(lab.spec.vm(vm).mgmt, count, interval=0.05, deadline=int(seconds) + 3)) for vm in guests
        ]
        with ThreadPoolExecutor(max_workers=len(argvs), thread_name_prefix="guest-ping") as pool:
            futures = [pool.submit(run_ping, hypervisor, argv) for _, argv in argvs]
            try:
                self._measurer.measure(load_pps, seconds, frame_size)
            except (RuntimeError, ValueError) as err:
                notes.append(f"虚拟机应答检查时的负载没有加上：{err}")
            outcomes = [future.result() for future in futures]
        problems = []
        for (vm, _), outcome in zip(argvs, outcomes, strict=True):
            evidence.command(outcome.result)
            rtt = (outcome.summary or {}).get("rtt") or {}
            if not outcome.reached or rtt.get("avg") is None:
                # Not a finding either way (a real lab's hypervisor may have no route to its guests' management
                # addresses): the baseline alone judges then.
                notes.append(f"{vm} 的管理网 ping 没有应答，无法检查虚拟机自身的应答（{outcome.note}）")
                continue
            avg_us = rtt["avg"] * 1000
            notes.append(f"{vm} 管理网 ping 平均往返 {avg_us:.0f} µs（同一负载下，判据 {limit_us:g} µs）")
            if avg_us > limit_us:
                problems.append(f"{vm} 管理网 ping 平均往返 {avg_us:.0f} µs，超过 {limit_us:g} µs")
        return problems

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

    @keyword("PDR应已测得")
    def pdr_must_be_found(self, result: dict) -> None:
        """7.3.6 需要 PDR：``result`` （ `搜索NDR和PDR` 的结果）没有 PDR（连最低负载 ``perf_min_load_pps`` 都丢包）时，
        无法在 PDR 的各比例上测量转发质量。

        最低负载上的“丢包”只是发生器没能按时发出（TCG 虚拟机里的 trafgen 在繁忙的机器上），或本机负载超过 CPU 数时，
        分不清是被测设备还是机器：SKIP（无法判定），附负载；否则 FAIL。

        Example: | PDR应已测得 | ${r} |
        """
        if result.get("pdr_pps") is not None:
            return
        lowest = float(_param("perf_min_load_pps"))
        why = f"最低负载 {lowest:g} 帧/秒也丢包（PDR 低于它）：无法在 PDR 的各比例上测量转发质量"
        watch = LoadWatch("hosta")
        load = watch.note()
        if result.get("pdr_limited_by_generator"):
            raise SkipExecution(f"{why}；最低负载上的缺口是发生器没能按时发出，不是被测设备丢包：无法判定（{load}）")
        if watch.busy:
            raise SkipExecution(f"{why}；本机负载超过 CPU 数，分不清是被测设备还是本机繁忙：无法判定（{load}）")
        raise AssertionError(f"{why}（{load}）")

    @keyword("NDR应满足判据")
    def ndr_verdict(self, result: dict) -> None:
        """判定一个场景在一个帧长下的 NDR（`搜索NDR和PDR` 的结果 ``result`` ）是否满足判据，不因机器繁忙而误判。

        判据（线速百分比）是 ``perf_ndr_criteria[场景][帧长]`` （帧长没有列出时取列出的较小帧长中最接近的；
        p2p 缺省时用 ``perf_ndr_min_pct_line_rate`` ）。NDR 低于判据时，先在同一路径上以判据负载复测至多 3 次（一次
        不丢包即通过），再在同一次运行中与一条普通 veth 基线路径比较：只有基线能承载该负载、
        且机器负载没有超过 CPU 数时才 FAIL；否则用例 SKIP（无法判定），并给出数字和负载。没有判据的帧长 SKIP。
        判定过程以表格记录。

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
        """判定 PDR 一定比例以内负载下的丢包和时延（ ``points`` 为 `测量转发质量` 的结果），不因机器繁忙而误判。

        只判不超过 PDR 的 ``perf_quality_judged_up_to_pct`` % 的负载点。丢包率至多为 ``perf_quality_max_loss_ratio``
        （默认等于 PDR 的丢包率）； ``perf_latency_max_us`` 中列出的每个时延统计量（如 ``{"p99_us": 500}`` ）
        至多为其值（µs；两端时钟不同（VM 到 VM）时不判时延）。某点不满足时最多再测 3 次（有一次满足即通过）；
        都不满足时再在 veth 基线路径上以相同负载测量：只有基线满足判据、且机器负载没有超过 CPU 数时才 FAIL，
        否则用例 SKIP（无法判定），并给出数字和负载。路径经过虚拟机（pvp、sriov 等）且判时延时，在基线之前以相同
        负载再测一次，同时从 Hypervisor 每 50 ms ping 一次路径上每台虚拟机的管理地址：虚拟机自身的平均往返也超过
        时延判据（它得不到 CPU，它转发的每一帧都会被耽搁）时同样 SKIP，不判为产品的失败。没有可判定的负载点时
        SKIP； ``perf_latency_max_us`` 的键不是时延统计量时失败。判定过程以表格记录。

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
            retry_problems, baseline_problems, guest_problems, extra = None, None, None, []
            if problems and self._measurer is not None and self._quality is not None:
                size, seconds, probe_pps = self._quality
                self._measurer.probe_pps = probe_pps
                # Up to CONFIRM_TRIALS repeats, as for the NDR: a stall of the machine (other labs: 70-100 ms,
                # 3.5 % of a 2 s point at 50 % of p2p's PDR) only adds loss and delay, so one repeat that meets
                # the criterion proves the path does.
                try:
                    for attempt in range(1, judge.CONFIRM_TRIALS + 1):
                        retry = self._measurer.measure(p["load_pps"], seconds, size)
                        retry_problems = trial_problems(retry, measured)
                        extra.append(f"复测 {attempt}：{judge.describe(retry)}")
                        if not retry_problems:
                            break
                except (RuntimeError, ValueError) as err:  # a repeat that did not measure proves nothing
                    retry_problems = retry_problems or problems
                    extra.append(f"复测没有完成：{err}")
                finally:
                    self._measurer.probe_pps = 0.0
                base = []
                if retry_problems and measured and limits:
                    guest_problems = self._guests_slow(p["load_pps"], seconds, size, min(limits.values()), extra)
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
            verdict = judge.quality_judgement(problems, retry_problems, baseline_problems, watch.busy, guest_problems)
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
