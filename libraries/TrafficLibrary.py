"""Robot keywords for traffic checks (the library documentation is the class docstring)."""

from __future__ import annotations

import logging
import shlex
import time
from functools import partial
from typing import Any

from robot.api import SkipExecution, logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from netvirt import evidence, seam, validate
from netvirt.parsers.net import parse_ethtool_features
from netvirt.traffic import capture as capturelib
from netvirt.traffic import counters, gap, iperf, matrix, netperf, plot, receiver, sender, throughput
from netvirt.traffic import frames as framelib
from netvirt.traffic.capture import Capture
from netvirt.traffic.hostproc import require_tools
from netvirt.traffic.iperf import IperfOptions, Protocol
from netvirt.traffic.netperf import NetperfOptions, NetperfTest
from netvirt.traffic.ping import (
    INTERVAL_S,
    IP_ICMP_HEADERS,
    PingOutcome,
    find_boundary_among,
    ping_argv,
    run_ping,
    run_pings,
    unanswered,
)
from netvirt.traffic.units import format_bps
from netvirt.validate import IpAddress, Ipv4Address, VlanOrZero

FRAME_ROWS_LOGGED = 50
PING_COUNT = 3  # echo requests of each direction of 两台主机应能互相Ping通 / 应不能互相Ping通
# paramiko announces every SFTP session at INFO; Robot would copy that chatter into the evidence.
logging.getLogger("paramiko.transport.sftp").setLevel(logging.WARNING)


def _reach_problem(source: str, destination: str, summary: dict, reach: bool, count: int) -> str:
    """What is wrong with a ping's statistics (``-c count``) for the expectation ``reach`` (every request
    answered: ``unanswered``, or none); "" when nothing is."""
    if reach and unanswered(summary, count):
        return (
            f"{source} ping {destination}：发送 {summary['transmitted']}，"
            f"收到 {summary['received']}（丢包 {summary['loss_pct']}%），期望全部收到"
        )
    if not reach and summary["received"]:
        return f"{source} ping {destination}：收到 {summary['received']} 个应答，期望不通"
    return ""


def _unsure_low_rate(result: dict | float, measured: float, expected: float, tolerance_pct: float) -> list[str]:
    """Why a rate ``measured`` short of ``expected`` may not be the limiter's doing, from 测量吞吐量's ``result``:
    the UDP sender fell below the expected rate in some 0.1 s (a stalled sender leaves a limiter idle and its
    bucket full; what it did not get to pass is lost), or what the receiver dropped (``receiver_port``) makes up
    the shortfall (it passed the path and was not taken in: a starved guest). [] where neither applies."""
    if not isinstance(result, dict):
        return []
    reasons = []
    slowest = result.get("slowest_interval_sent_bps")
    if slowest is not None and slowest < expected:
        reasons.append(
            f"发送端有 0.1 秒只发出 {format_bps(slowest)}，低于期望的速率：发送端被耽搁时限速器空闲、桶满后"
            "放不进的余量就丢了"
        )
    dropped = result.get("receiver_dropped")
    if dropped and dropped["datagrams"] and throughput.close_to(measured + dropped["bps"], expected, tolerance_pct):
        where = [f"UDP RcvbufErrors +{dropped['udp_rcvbuf_errors']}"]
        if dropped["port_counter"]:
            counter = f"{dropped['port_counter']} +{dropped['port_dropped']}"
            where.insert(0, f"OVS 端口 {dropped['port']} 的 {counter}：客户机来不及收")
        reasons.append(
            f"测量期间接收端丢弃了 {dropped['datagrams']} 个数据报（{'；'.join(where)}），"
            f"折合 {format_bps(dropped['bps'])}，加上它们是 {format_bps(measured + dropped['bps'])}，在允许范围内："
            "路径放行的流量到了接收端却没有被收下"
        )
    return reasons


def _session(host: str):
    return seam.current().session(host)


def _failure_of(capture: Capture, error: Exception) -> str:
    """Why ``capture`` could not be stopped, naming it once (most of the capture module's errors already do)."""
    text = str(error)
    return text if capture.name in text else f"{capture.name}：{text}"


def _current_test() -> str | None:
    """The running test's full name (as listeners see it), or None in a suite setup or outside Robot."""
    try:
        variables = BuiltIn().get_variables()
    except RobotNotRunningError:
        return None
    test = variables.get("${TEST NAME}")
    return f"{variables['${SUITE NAME}']}.{test}" if test else None


@library(scope="GLOBAL", auto_keywords=False, converters=validate.CONVERTERS)
class TrafficLibrary:
    """流量检查的关键字：ping、连通性矩阵、MTU、抓包、构造帧、吞吐量与限速、计数器。

    涵盖 ping、连通性矩阵、不分片载荷（MTU）、抓包与帧检查、构造帧（组播、VLAN）、吞吐量与限速、接口计数器、
    网卡卸载特性。判定由关键字算出，证据写在日志中。

    对应记录中用 ping、tcpdump、DPDK pktgen、iperf、netperf 做的检查：5.4.2.2、5.4.5（隔离与地址复用）、5.4.6（
    MTU）、5.4.7（VLAN 透传）、5.4.8（带宽与限速）、5.4.9（组播）以及“问题: netperf over OVS-DPDK性能差”。

    = Ping =
    ``ping`` 经 SSH 在发送方主机或虚拟机上执行；解析它的统计（发送、收到、丢包、rtt）并据此判定，原始输出记入日志。

    = 连通性矩阵 =
    端点写成 ``主机=地址`` （ ``hosta=5.5.5.11`` ）；每个端点从自己的地址 ping 其他每个端点，每个源主机一个工作线
    程，并发进行。日志中是记录里的 ``ping to`` 表格（ ``Y`` / ``N`` / ``self`` ），与期望不符的格子标出。
    至少收到一个应答即为 ``Y`` 。

    = 不分片载荷（MTU） =
    每轮同时探测几个载荷，找出能通过的最大 DF ping 载荷（ ``ping -M do -s N`` ），
    然后复核边界值和边界值 + 1，结果以表格记录。

    = 抓包 =
    `启动抓包` 在主机或虚拟机上后台启动 tcpdump，并确认它已在监听（过滤表达式错误会立即失败）；
    `停止抓包` 按 pid 停止它，返回解码后的帧： ``dst`` 、 ``src`` 、 ``vlans`` （ ``[{tpid, pcp, dei, vid}]`` ，
    外层在前）、 ``ethertype`` 、 ``ipv4`` 、 ``arp`` 、 ``raw`` （十六进制）。在终程中放 `停止所有抓包` ；
    用例结束时仍在运行的抓包也会被停止，并给出告警。

    = 构造帧 =
    `发送组播包` 和 `发送以太网帧` 代替记录中的 DPDK pktgen：把一个只用 python3 标准库的小助手程序复制到发送方主机
    上，由它从指定接口按给定速率发出 Ethernet / VLAN / IPv4 / UDP 帧（需要 root，使用 AF_PACKET）。

    = 吞吐量 =
    `测量吞吐量` 在两台主机之间运行 iperf3（ ``-J`` ）：服务端按 pid 启停，每次重复是一次独立测量，
    结果含每次测量以及 min / max / mean / stdev（ ``${r}[mean_bps]`` ）。`测量netperf吞吐量` 用 netperf（
    ``netserver`` 和 ``netperf -cC`` ，记录所用的工具）做同样的事，返回同样的结构。`记录吞吐量对比图` 在日志中画柱状
    图。

    = 判定与 SKIP =
    限速类检查先证明路径在同一次运行中能承载足够的流量（`不限速吞吐量应足以检验限速` 、`限速吞吐量应接近期望值` ）；
    机器繁忙、路径承载不了时用例以 SKIP 结束并给出数字，而不是判为 FAIL。

    = 计数器 =
    `获取接口计数器` 读 ``ip -s -j link`` （旧版 iproute2 读文本）和 ``ethtool -S`` ；`接口计数器差值` 求差。

    = 内嵌实验环境与真实实验环境 =
    关键字只经 SSH 在实验环境的主机和虚拟机上运行工具，两种实验环境上用法相同。所需工具（tcpdump、iperf3、netperf、
    python3、ethtool）须装在相应主机上，缺少时错误消息写明主机和工具。内嵌实验环境的模拟 VF 限速时丢包而不排队（像
    policer），所以限速用 UDP 测量更准，见 `测量限速吞吐量` 。
    """

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self) -> None:
        self._captures: list[Capture] = []
        self._started_in: dict[int, str | None] = {}  # capture number -> test it was started in
        # A safety net behind 停止所有抓包: a capture a test started and left running is
        # stopped when that test ends, before a suite teardown removes the lab under it.
        self.ROBOT_LIBRARY_LISTENER = [self, validate.ConversionMessages()]

    def end_test(self, data: Any, result: Any) -> None:
        """Listener: stop the captures the ending test started and did not stop."""
        for capture in [c for c in self._captures if self._started_in.get(c.number) == result.full_name]:
            self._captures.remove(capture)
            try:
                capturelib.stop(_session(capture.host), capture)
            except Exception as err:  # a listener must not break the run; say what happened instead
                logger.warn(f"{capture.name} 在用例结束时无法停止：{err}")
            else:
                logger.warn(
                    f"{capture.name} 在用例 {result.full_name} 结束时仍在运行，已停止（请在终程中调用 停止所有抓包）"
                )

    # -- ping --------------------------------------------------------------------------------------
    @keyword("执行Ping")
    def ping(
        self,
        source: str,
        destination: str,
        count: int = 3,
        size: int | None = None,
        dont_fragment: bool = False,
        interface: str | None = None,
        interval: float = INTERVAL_S,
        deadline: int | None = None,
        cpu: int | None = None,
    ) -> dict:
        """从主机或虚拟机 ``source`` ping ``destination`` ，返回解析后的统计（transmitted、received、loss_pct、
        rtt 等）。

        参数： ``count`` 次数（默认 3）； ``size`` 载荷字节数（ ``-s`` ）； ``dont_fragment`` 为真时加 ``-M do`` （
        记录中检查 MTU 用的不分片 ping）； ``interface`` 从哪个接口发出（ ``-I`` ）； ``interval`` 间隔秒数（默认
        0.05）； ``deadline`` 总时限秒数（ ``-w`` ）； ``cpu`` 只在这个 CPU 上发（ ``taskset -c`` ，如记录 5.4.4
        在两个 CPU 上分别发包，看多队列网卡的两个发送队列）。

        只报告，不判定通不通；ping 没有输出统计（如命令本身出错）时失败。要判定用 `应能Ping通` / `应不能Ping通` 。

        Example: | ${r}= | 执行Ping | vm01 | 5.5.5.52 | count=3 | size=3972 | dont_fragment=True |
        """
        argv = ping_argv(
            destination,
            count,
            size,
            dont_fragment,
            validate.netdev_name(interface) if interface else None,
            interval,
            deadline,
            cpu=cpu,
        )
        outcome = run_ping(_session(source), argv)
        evidence.command(outcome.result)
        if outcome.summary is None:
            raise AssertionError(f"{source} ping {destination} 没有统计结果：{outcome.error}")
        return outcome.summary

    @keyword("应能Ping通")
    def should_reach(
        self,
        source: str,
        destination: str,
        count: int = 3,
        size: int | None = None,
        dont_fragment: bool = False,
        interface: str | None = None,
        interval: float = INTERVAL_S,
        deadline: int | None = None,
        cpu: int | None = None,
    ) -> dict:
        """检查从 ``source`` ping ``destination`` 的每个请求都有应答，否则失败（消息写明发送、收到和丢包率）；
        返回 ping 的统计。

        ping 带截止时间（ ``-w`` ）时，应答慢于请求间隔就会多发请求，收到 ``count`` 个应答即结束：最后还在途中的请求
        不算丢失（如发送 4、收到 3，应答为第 1–3 个请求）；收到的应答不足 ``count`` 个，或在最后一个有应答的请求之前
        有请求没有应答，才算丢包。

        其余参数同 `执行Ping` （以 ``名称=值`` 给出）。

        Example: | 应能Ping通 | vm01 | 5.5.5.52 |
        """
        summary = self.ping(source, destination, count, size, dont_fragment, interface, interval, deadline, cpu)
        if problem := _reach_problem(source, destination, summary, True, count):
            raise AssertionError(problem)
        return summary

    @keyword("应不能Ping通")
    def should_not_reach(
        self,
        source: str,
        destination: str,
        count: int = 3,
        size: int | None = None,
        dont_fragment: bool = False,
        interface: str | None = None,
        interval: float = INTERVAL_S,
        deadline: int | None = None,
        cpu: int | None = None,
    ) -> dict:
        """检查从 ``source`` ping ``destination`` 没有任何应答（如记录 5.4.5 中隔离的网络），收到应答则失败；
        返回 ping 的统计。

        其余参数同 `执行Ping` 。

        Example: | 应不能Ping通 | vm02 | 5.5.5.51 |
        """
        summary = self.ping(source, destination, count, size, dont_fragment, interface, interval, deadline, cpu)
        if problem := _reach_problem(source, destination, summary, False, count):
            raise AssertionError(problem)
        return summary

    @keyword("两台主机应能互相Ping通")
    def should_reach_each_other(self, a: str, a_address: IpAddress, b: str, b_address: IpAddress) -> None:
        """双向 ping： ``a`` ping ``b_address`` ， ``b`` ping ``a_address`` ，两个方向同时进行（各 3 次，
        间隔 0.05 秒），每个方向都应全部应答；否则失败，消息写明每个不通的方向的发送、收到和丢包率。
        两条 ping 命令都记入日志。

        Example: | 两台主机应能互相Ping通 | vm01 | 5.5.5.51 | vm02 | 5.5.5.52 |
        """
        self._ping_both_ways(a, str(a_address), b, str(b_address), reach=True)

    @keyword("两台主机应不能互相Ping通")
    def should_not_reach_each_other(self, a: str, a_address: IpAddress, b: str, b_address: IpAddress) -> None:
        """双向 ping，两个方向同时进行，都应没有任何应答（如记录 5.4.5 中隔离的两个网络）；任一方向收到应答则失败。

        Example: | 两台主机应不能互相Ping通 | vm01 | 5.5.5.100 | vm02 | 5.5.5.200 |
        """
        self._ping_both_ways(a, str(a_address), b, str(b_address), reach=False)

    @staticmethod
    def _ping_both_ways(a: str, a_address: str, b: str, b_address: str, reach: bool) -> None:
        # The two directions share no host: one worker each; the log is written here, in Robot's thread.
        runs = [
            (a, b_address, _session(a), ping_argv(b_address, PING_COUNT)),
            (b, a_address, _session(b), ping_argv(a_address, PING_COUNT)),
        ]
        outcomes = run_pings([(session, argv) for _, _, session, argv in runs])
        problems = []
        for (source, destination, _, _), outcome in zip(runs, outcomes, strict=True):
            evidence.command(outcome.result)
            if outcome.summary is None:
                problems.append(f"{source} ping {destination} 没有统计结果：{outcome.error}")
            elif problem := _reach_problem(source, destination, outcome.summary, reach, PING_COUNT):
                problems.append(problem)
        if problems:
            raise AssertionError("；".join(problems))

    # -- connectivity matrix -----------------------------------------------------------------------
    @keyword("获取连通性矩阵")
    def connectivity_matrix(self, endpoints: list[str], count: int = 2) -> list[list[str]]:
        """在 ``endpoints`` （ ``主机=地址`` 的列表）的每一对之间 ping，返回 ``Y`` / ``N`` / ``self`` 矩阵。

        行是源，列是目的，顺序与给出的一致；矩阵以表格记入日志。 ``count`` 为每对端点 ping 的次数（1..10，默认 2）。
        未知的主机在开始 ping 之前就失败。只报告，不判定；要判定用 `连通性矩阵应为` 。端点列表可在变量表中写成
        ``@{端点}    hosta=5.5.5.11    hostb=5.5.5.22`` 。

        Example: | ${m}= | 获取连通性矩阵 | ${端点} |
        """
        return self._matrix(endpoints, None, count)

    @keyword("连通性矩阵应为")
    def connectivity_matrix_should_be(
        self, endpoints: list[str], expected: list[str | list[str]], count: int = 2
    ) -> list[list[str]]:
        """测得的连通性矩阵与 ``expected`` 不同时失败；返回测得的矩阵。对应记录 5.4.2.2、5.4.5 中的 ``ping to`` 表
        格。

        ``expected`` 每个端点一行，每行是 ``Y`` / ``N`` / ``self`` 的列表，或像记录表格那样写成一个字符串，
        如 ``self Y Y N`` 。不符的格子在表格中标出，并在失败消息中逐个列出（带 ping 的结果）。
        ``endpoints`` 和 ``count`` 同 `获取连通性矩阵` 。

        Example: | 连通性矩阵应为 | ${端点} | ${期望} |
        """
        return self._matrix(endpoints, expected, count)

    def _matrix(self, items: list[str], expected_rows: list | None, count: int) -> list[list[str]]:
        endpoints = matrix.parse_endpoints(items)
        expected = None if expected_rows is None else matrix.parse_expected(expected_rows, len(endpoints))
        if not 1 <= count <= 10:
            raise ValueError(f"count {count} 超出范围 1..10（矩阵中每对端点 ping 的次数）")
        lab = seam.current()
        # Sessions are looked up here, so an unknown host fails before any worker starts.
        sessions = {e.host: lab.session(e.host) for e in endpoints}
        outcomes = matrix.measure(endpoints, sessions, count)
        measured = matrix.to_matrix(len(endpoints), outcomes)
        headers, rows, marked = matrix.table(endpoints, measured, expected)
        evidence.table(headers, rows, "连通性矩阵（行：源，列：目的）", highlight=marked)
        for outcome in outcomes.values():
            evidence.command(outcome.result)
        if expected is not None:
            mismatches = matrix.compare(endpoints, measured, expected)
            if mismatches:
                reasons = [f"{m}（{outcomes[m.cell].note}）" for m in mismatches]
                raise AssertionError(f"连通性矩阵有 {len(mismatches)} 处与期望不符：\n" + "\n".join(reasons))
        return measured

    # -- DF boundary -------------------------------------------------------------------------------
    @keyword("获取最大不分片载荷")
    def largest_df_payload(
        self, source: str, destination: str, low: int, high: int, interface: str | None = None
    ) -> int:
        """返回从 ``source`` 到 ``destination`` 能通过的最大不分片 ping 载荷（ ``ping -M do -s N`` ，
        N 在 ``low`` .. ``high`` 之间）。

        用六分查找：每轮同时探测把范围六等分的 5 个载荷（各 ping 一次），范围每轮缩小到六分之一；先同时探测
        ``low`` （必须能通）和 ``high`` （必须不通）。找到后复核边界值和边界值 + 1（各 ping 3 次）；复核结果与查找
        不一致（边界不稳定）时失败。查找过程和复核都以表格记录（载荷、IP 包长、结果）。
        ``interface`` 为发送接口。对应记录 5.4.6 中用不分片 ping 验证 MTU。

        Example: | ${p}= | 获取最大不分片载荷 | vm01 | 5.5.5.52 | 1000 | 9000 |
        """
        session = _session(source)
        source_if = validate.netdev_name(interface) if interface else None
        probes: list[tuple[int, PingOutcome]] = []

        def passes_each(sizes: list[int]) -> list[bool]:
            # A round's sizes at once: each dropped probe waits out its one-second deadline.
            outcomes = run_pings([(session, ping_argv(destination, 1, s, True, source_if, deadline=1)) for s in sizes])
            probes.extend(zip(sizes, outcomes, strict=True))
            return [outcome.reached for outcome in outcomes]

        try:
            boundary = find_boundary_among(passes_each, low, high)
        finally:
            evidence.table(
                ["序", "载荷（字节）", "IP 包长", "结果", "应答"],
                [
                    (i, s, s + IP_ICMP_HEADERS, "通" if o.reached else "不通", o.note)
                    for i, (s, o) in enumerate(probes, 1)
                ],
                f"{source} → {destination} 不分片 ping 边界查找",
            )
        ((passed, failed),) = self._df_boundary(source, [destination], boundary, source_if)
        if not passed or failed:
            raise AssertionError(
                f"{source} → {destination} 的不分片边界不稳定：查找得到 {boundary}，"
                f"复核时 {boundary} {'通' if passed else '不通'}、{boundary + 1} {'通' if failed else '不通'}"
            )
        return boundary

    @keyword("最大不分片载荷应为")
    def largest_df_payload_should_be(
        self, source: str, destination: str, expected: int, interface: str | None = None
    ) -> None:
        """检查从 ``source`` 到 ``destination`` 的不分片边界正好是 ``expected`` ： ``expected`` 字节的不分片 ping 能
        通， ``expected`` + 1 字节的不通（各 ping 3 次）。

        例如 MTU 4000 时载荷边界是 3972（4000 减去 IP 和 ICMP 头 28 字节）。结果以表格记录；任一条件不满足时失败，
        消息说明是哪一条（后者不满足说明路径 MTU 大于期望）。 ``interface`` 为发送接口。

        Example: | 最大不分片载荷应为 | vm01 | 5.5.5.52 | 3972 |
        """
        self._df_boundaries_should_be(source, [destination], expected, interface)

    @keyword("到各地址的最大不分片载荷都应为")
    def largest_df_payloads_should_be(
        self, source: str, expected: int, *destinations: str, interface: str | None = None
    ) -> None:
        """对 ``destinations`` 中的每个地址做 `最大不分片载荷应为` 的检查，同时进行（各地址的 ping 一起发出：虚拟机里
        ping 的时间大多花在启动和等被丢弃的那个超时上）。每个地址的结果各自以表格记录；有地址不满足时失败，
        消息逐个写明。

        Example: | 到各地址的最大不分片载荷都应为 | vm01 | 3976 | 5.5.5.52 | 5.5.5.10 |
        """
        if not destinations:
            raise ValueError("到各地址的最大不分片载荷都应为：没有给出目的地址")
        self._df_boundaries_should_be(source, list(destinations), expected, interface)

    def _df_boundaries_should_be(
        self, source: str, destinations: list[str], expected: int, interface: str | None
    ) -> None:
        found = self._df_boundary(
            source, destinations, expected, validate.netdev_name(interface) if interface else None
        )
        failures = []
        for destination, (passed, over) in zip(destinations, found, strict=True):
            problems = []
            if not passed:
                problems.append(f"载荷 {expected} 字节应能通过，却没有应答")
            if over:
                problems.append(f"载荷 {expected + 1} 字节应被丢弃，却收到了应答（路径 MTU 大于期望）")
            if problems:
                failures.append(f"{source} → {destination} 不分片边界不是 {expected}：" + "；".join(problems))
        if failures:
            raise AssertionError("\n".join(failures))

    def _df_boundary(
        self, source: str, destinations: list[str], size: int, interface: str | None
    ) -> list[tuple[bool, bool]]:
        """Ping ``size`` and ``size + 1`` with DF (3 each) to every destination, all at once (they share no packet:
        a guest spends its time starting ping and waiting out the dropped one's deadline), log each destination's;
        return whether each size passed, per destination."""
        session = _session(source)
        sizes = (size, size + 1)
        outcomes = run_pings(
            [(session, ping_argv(destination, 3, s, True, interface)) for destination in destinations for s in sizes]
        )
        found = []
        verdicts = ("应通", "应不通")
        per_destination = iter(outcomes)
        for destination in destinations:
            checks = [(s, next(per_destination)) for s in sizes]
            for _, outcome in checks:
                evidence.command(outcome.result)
            rows = [
                (s, s + IP_ICMP_HEADERS, verdicts[i], "通" if o.reached else "不通", o.note)
                for i, (s, o) in enumerate(checks)
            ]
            marked = [(i, 3) for i, (_, o) in enumerate(checks) if o.reached != (i == 0)]
            evidence.table(
                ["载荷（字节）", "IP 包长", "期望", "结果", "应答"],
                rows,
                f"{source} → {destination} 不分片边界",
                highlight=marked,
            )
            found.append((checks[0][1].reached, checks[1][1].reached))
        return found

    # -- captures ----------------------------------------------------------------------------------
    @keyword("启动抓包")
    def start_capture(
        self, host: str, interface: str, filter: str = "", count: int | None = None, max_seconds: int = 600
    ) -> Capture:
        """在主机 ``host`` 的接口 ``interface`` 上后台启动 tcpdump，返回抓包句柄（交给 `停止抓包` ）。

        参数： ``filter`` 为 tcpdump / BPF 过滤表达式（如 ``icmp`` 、 ``vlan 100 and arp`` ）；
        ``count`` 抓够这么多帧就停止； ``max_seconds`` （1..86400，默认 600）后 tcpdump 自行停止。

        关键字在 tcpdump 开始监听后才返回；过滤表达式或接口错误会立即失败。启动的命令和 pid 记入日志。

        Example: | ${cap}= | 启动抓包 | hosta | enP5p1s0 | vlan |
        """
        validate.netdev_name(interface)
        if count is not None and count < 1:
            raise ValueError(f"count {count} 应至少为 1")
        if not 1 <= max_seconds <= 86400:
            raise ValueError(f"max_seconds {max_seconds} 超出范围 1..86400")
        capture = capturelib.start(_session(host), interface, filter, count, max_seconds)
        self._started(capture)
        return capture

    @keyword("启动多个抓包")
    def start_captures(
        self, filter: str, *targets: str, count: int | None = None, max_seconds: int = 600
    ) -> list[Capture]:
        """在每个 ``主机:接口`` （ ``targets`` ）上同时启动抓包，过滤条件都为 ``filter`` ，返回抓包句柄的列表（顺序同
        ``targets`` ，交给 `停止多个抓包` ）。其余参数同 `启动抓包` 。

        每个 tcpdump 开始监听后才返回；虚拟机中启动一个要一秒左右，所以一起启动。有一个启动失败时，已启动的都停止，
        关键字失败并写明哪一个、为什么。

        Example: | ${caps}= | 启动多个抓包 | ether dst 01:00:5e:00:00:01 | vm01:enp4s0 | vm02:enp4s0 |
        """
        if not targets:
            raise ValueError("启动多个抓包：没有给出 主机:接口")
        if count is not None and count < 1:
            raise ValueError(f"count {count} 应至少为 1")
        if not 1 <= max_seconds <= 86400:
            raise ValueError(f"max_seconds {max_seconds} 超出范围 1..86400")
        pairs = []
        for target in targets:
            host, sep, interface = target.partition(":")
            if not sep or not host:
                raise ValueError(f"抓包位置 {target!r} 应写成 主机:接口，如 vm01:enp4s0")
            pairs.append((_session(host), validate.netdev_name(interface)))
        captures = capturelib.start_many(pairs, filter, count, max_seconds)
        for capture in captures:
            self._started(capture)
        return captures

    def _started(self, capture: Capture) -> None:
        self._captures.append(capture)
        self._started_in[capture.number] = _current_test()
        evidence.pre(
            f"{capture.name} 已开始（pid {capture.process.pid}）",
            f"[{capture.host}]# {shlex.join(capture.process.argv)}\n{capture.process.stderr.strip()}",
        )

    @keyword("停止抓包")
    def stop_capture(self, capture: Capture, settle: float = 0.3) -> list[dict]:
        """按 pid 停止抓包 ``capture`` （`启动抓包` 的返回值），返回解码后的帧，并记入日志（前 50 帧的表格和第 1 帧
        的十六进制）。

        先等 ``settle`` 秒（默认 0.3），让还在路上的帧被抓到。内核丢弃了帧（抓包不完整）时给出告警。

        Example: | ${frames}= | 停止抓包 | ${cap} |
        """
        if capture in self._captures:
            self._captures.remove(capture)
        time.sleep(max(0.0, settle))
        result = capturelib.stop(_session(capture.host), capture)
        self._log_frames(result)
        return result.frames

    @keyword("停止多个抓包")
    def stop_captures(self, *captures: Capture, settle: float = 0.3) -> list[list[dict]]:
        """同时停止抓包 ``captures`` （`启动多个抓包` 或 `启动抓包` 的返回值），返回每个抓包解码后的帧（列表的列表，
        顺序同 ``captures`` ），并逐个记入日志，同 `停止抓包` 。

        先等 ``settle`` 秒（默认 0.3，只等一次）。某个抓包停止失败时其余照常停止并记录，最后一并报告失败。

        Example: | ${results}= | 停止多个抓包 | @{caps} |
        """
        for capture in captures:
            if capture in self._captures:
                self._captures.remove(capture)
        time.sleep(max(0.0, settle))
        results = capturelib.stop_many([(_session(capture.host), capture) for capture in captures])
        failures = []
        for capture, result in zip(captures, results, strict=True):
            if isinstance(result, Exception):
                failures.append(_failure_of(capture, result))
            else:
                self._log_frames(result)
        if failures:
            raise RuntimeError("有抓包没能正常停止：\n" + "\n".join(failures))
        return [result.frames for result in results]

    @keyword("停止所有抓包")
    def stop_all_captures(self) -> None:
        """停止本库启动后还没有停止的所有抓包（用于终程）。

        某个抓包停止失败时继续停止其余的，最后一并报告失败。

        Example: | [终程] | 停止所有抓包 |
        """
        failures = []
        for capture in list(self._captures):
            try:
                self.stop_capture(capture, settle=0)
            except Exception as err:  # keep stopping the others; report them all at the end
                failures.append(_failure_of(capture, err))
        if failures:
            raise RuntimeError("有抓包没能正常停止：\n" + "\n".join(failures))

    def _log_frames(self, result: capturelib.CaptureResult) -> None:
        frames = result.frames
        shown = frames[:FRAME_ROWS_LOGGED]
        more = f"（共 {len(frames)} 帧，仅列出前 {len(shown)} 帧）" if len(frames) > len(shown) else ""
        evidence.table(
            framelib.TABLE_HEADERS,
            framelib.table_rows(shown),
            f"{result.capture.name}：{len(frames)} 帧，{result.seconds:.1f} 秒{more}",
        )
        if frames:
            evidence.pre(f"第 1 帧（{len(bytes.fromhex(frames[0]['raw']))} 字节）", framelib.hex_dump(frames[0]["raw"]))
        if result.dropped:
            logger.warn(f"{result.capture.name}：内核丢弃了 {result.dropped} 帧，抓包不完整")

    @keyword("抓包中应无ICMP")
    def no_icmp(self, frames: list[dict]) -> None:
        """``frames`` （`停止抓包` 的结果）中有任何 IPv4 ICMP 包时失败（如本应被隔离的 ping），
        消息写明数量和第一个的源与目的地址；找到的 ICMP 帧以表格记录。

        Example: | 抓包中应无ICMP | ${frames} |
        """
        found = framelib.icmp_frames(frames)
        if found:
            evidence.table(framelib.TABLE_HEADERS, framelib.table_rows(found[:FRAME_ROWS_LOGGED]), "ICMP 帧")
            first = found[0]["ipv4"]
            raise AssertionError(
                f"抓包中有 {len(found)} 个 ICMP 帧（共 {len(frames)} 帧），期望没有；"
                f"第一个：#{found[0]['no']} {first['src']} → {first['dst']}"
            )

    @keyword("抓包VLAN标签应为")
    def vlan_stack_should_be(self, frames: list[dict], *vids: VlanOrZero, ip: Ipv4Address = None) -> None:
        """检查每个相关的帧所带的 VLAN 标签正好是 ``vids`` （外层在前），对应记录 5.4.7 的 VLAN 透传。

        相关的帧：全部 ``frames`` ，给了 ``ip`` 时只看 IPv4 或 ARP 地址中含 ``ip`` 的帧。不给 ``vids`` 表示应不带标
        签。一个相关的帧都没有时也失败；有帧的标签不符时失败并列出前 10 个。每帧的标签栈（TPID:VID）以表格记录。

        Example: | 抓包VLAN标签应为 | ${frames} | 100 | 10 | ip=192.168.10.101 |
        """
        wanted = [validate.vlan(vid, allow_zero=True) for vid in vids]
        if ip is not None:
            ip = str(validate.ipv4_address(ip))
        matching = [f for f in frames if ip is None or ip in framelib.addresses(f)]
        if not matching:
            which = f"涉及 {ip} 的" if ip else ""
            raise AssertionError(f"抓包中没有{which}帧（共 {len(frames)} 帧），无法检查 VLAN 标签 {wanted}")
        rows = [(f["no"], framelib.tag_stack(f), framelib.vlan_ids(f) == wanted) for f in matching]
        evidence.table(
            ["帧", "标签栈（TPID:VID，外→内）", "符合"],
            [(no, stack, "是" if ok else "否") for no, stack, ok in rows[:FRAME_ROWS_LOGGED]],
            f"VLAN 标签，期望 {wanted or '无标签'}",
            highlight=[(i, 2) for i, row in enumerate(rows[:FRAME_ROWS_LOGGED]) if not row[2]],
        )
        wrong = [f for f in matching if framelib.vlan_ids(f) != wanted]
        if wrong:
            raise AssertionError(
                f"{len(wrong)}/{len(matching)} 个帧的 VLAN 标签不是 {wanted}："
                + "，".join(f"#{f['no']} 为 {framelib.vlan_ids(f)}" for f in wrong[:10])
            )

    @keyword("抓包中组播帧数应至少")
    def multicast_frames_at_least(self, frames: list[dict], group_ip: Ipv4Address, count: int) -> int:
        """检查 ``frames`` 中至少有 ``count`` 个发往组播组 ``group_ip`` 、且目的 MAC 是该组 MAC（01:00:5e:...）的
        帧；返回这样的帧数。对应记录 5.4.9 的组播转发。

        发往该组但目的 MAC 不对的帧另行计数，在失败消息中写明。结果以表格记录。

        Example: | 抓包中组播帧数应至少 | ${frames} | 225.0.0.2 | 10 |
        """
        good, wrong_mac = framelib.multicast_frames(frames, group_ip)
        mac = framelib.multicast_mac(group_ip)
        evidence.table(
            ["组播组", "组播 MAC", "收到", "期望至少", "目的 MAC 不符"],
            [(group_ip, mac, len(good), count, len(wrong_mac))],
            highlight=[(0, 2)] if len(good) < count else [],
        )
        if len(good) < count:
            note = f"；另有 {len(wrong_mac)} 帧发往该组但目的 MAC 不是 {mac}" if wrong_mac else ""
            raise AssertionError(f"抓包中发往 {group_ip}（{mac}）的帧有 {len(good)} 个，期望至少 {count} 个{note}")
        return len(good)

    # -- crafted frames ----------------------------------------------------------------------------
    @keyword("获取组播MAC")
    def multicast_mac(self, group_ip: Ipv4Address) -> str:
        """返回 IPv4 组播组 ``group_ip`` 对应的以太网地址（01:00:5e 加上组地址的低 23 位）。

        Example: | ${mac}= | 获取组播MAC | 225.0.0.2 |
        """
        return framelib.multicast_mac(group_ip)

    @keyword("发送组播包")
    def send_multicast(
        self,
        host: str,
        interface: str,
        group_ip: Ipv4Address,
        count: int = 10,
        rate_pps: float = 100,
        vlan: int | list[int] | None = None,
        source_ip: Ipv4Address = "192.168.0.1",
        outer_tpid: str = "802.1q",
    ) -> dict:
        """从主机 ``host`` 的接口 ``interface`` 向组播组 ``group_ip`` 发送 ``count`` 个 IPv4 / UDP 帧，
        代替记录 5.4.9 中的 DPDK pktgen。

        目的 MAC 是该组的 MAC（01:00:5e:...）。参数： ``rate_pps`` 每秒帧数（默认 100）； ``vlan`` 加一个标签，
        或写成 ``vlan=[100, 10]`` 加两个（外层在前）； ``outer_tpid=802.1ad`` 使外层为 S-tag；
        ``source_ip`` 源地址（默认 192.168.0.1）。

        返回发送程序的报告（ ``sent`` 、 ``seconds`` 、 ``frame_bytes`` 、 ``first_frame`` ）；
        发送的参数和第 1 帧的十六进制记入日志。主机上没有 python3 时失败并写明。

        Example: | 发送组播包 | hosta | enP5p1s0 | 225.0.0.2 | count=100 | rate_pps=100 |
        """
        spec = sender.FrameSpec(
            framelib.multicast_mac(group_ip), group_ip, source_ip, sender.tags(vlan), outer_tpid, count, rate_pps
        )
        return self._send(host, interface, spec)

    @keyword("发送以太网帧")
    def send_frames(
        self,
        host: str,
        interface: str,
        dst_mac: str,
        dst_ip: Ipv4Address,
        source_ip: Ipv4Address = "192.168.0.1",
        vlan: int | list[int] | None = None,
        outer_tpid: str = "802.1q",
        count: int = 10,
        rate_pps: float = 100,
        ttl: int = 4,
    ) -> dict:
        """从主机 ``host`` 的接口 ``interface`` 发送 ``count`` 个构造的 Ethernet /[VLAN]/ IPv4 / UDP 帧，
        目的为 ``dst_mac`` / ``dst_ip`` 。

        ``vlan`` 、 ``outer_tpid`` 、 ``rate_pps`` 、 ``source_ip`` 同 `发送组播包` ； ``ttl`` 为 IP 的 TTL（默认
        4）。返回值和日志同 `发送组播包` 。

        Example: | 发送以太网帧 | hosta | enP5p1s0 | ff:ff:ff:ff:ff:ff | 5.5.5.255 | vlan=100 | count=5 |
        """
        spec = sender.FrameSpec(dst_mac, dst_ip, source_ip, sender.tags(vlan), outer_tpid, count, rate_pps, ttl)
        return self._send(host, interface, spec)

    def _send(self, host: str, interface: str, spec: sender.FrameSpec) -> dict:
        result, report = sender.send(_session(host), validate.netdev_name(interface), spec)
        evidence.command(result)
        evidence.table(
            ["主机", "接口", "目的 MAC", "目的 IP", "VLAN（外→内）", "帧数", "速率（帧/秒）", "用时（秒）", "帧长"],
            [
                (
                    host,
                    interface,
                    spec.dst_mac,
                    spec.dst_ip,
                    " / ".join(map(str, spec.vlans)) or "—",
                    report["sent"],
                    f"{spec.rate_pps:g}",
                    report["seconds"],
                    report["frame_bytes"],
                )
            ],
            "发送的帧",
        )
        evidence.pre("发送的第 1 帧", framelib.hex_dump(report["first_frame"]))
        return report

    # -- throughput --------------------------------------------------------------------------------
    @keyword("测量吞吐量")
    def measure_throughput(
        self,
        client: str,
        server: str,
        server_address: IpAddress,
        protocol: Protocol = Protocol.tcp,
        duration: int = 5,
        parallel: int = 1,
        repeat: int = 1,
        bitrate: str | None = None,
        length: str | None = None,
        port: int = 5201,
        receiver_port: str | None = None,
    ) -> dict:
        """用 iperf3 测量从 ``client`` 到 ``server_address`` （服务端运行在 ``server`` 上）的吞吐量。

        参数： ``protocol`` tcp 或 udp； ``duration`` 每次秒数（默认 5）； ``parallel`` 并发流数（ ``-P`` ）；
        ``repeat`` 重复次数； ``bitrate`` 目标速率（ ``-b`` ，UDP 常用）； ``length`` 读写长度（ ``-l`` ）；
        ``port`` 服务端端口（默认 5201）。

        返回 ``runs`` （每次的发送 / 接收 bit/s、重传、UDP 丢包与抖动、CPU）以及接收速率的 ``mean_bps`` /
        ``min_bps`` / ``max_bps`` / ``stdev_bps`` 。即使后面某次测量失败，已测得的结果也会记入日志，
        失败消息中列出已完成的测量。

        ``receiver_port`` （只用于给出了 ``length`` 的 UDP 测量）是 Hypervisor 上把流量交给服务端的 OVS 端口，
        如 VM01 的 ``dpdkvhostuser0`` ：测量前后各读一次它的发送丢弃（客户机来不及收、环满时 OVS 丢弃的帧；
        ``ovs-ofctl dump-ports`` 的 tx drop，OVS 3.x 的 vhost-user 端口为 ``ovs_tx_failure_drops`` ）和服务端的 UDP
        ``RcvbufErrors`` （ ``/proc/net/snmp`` ，套接字缓冲区满时内核丢弃的数据报），增量记入日志，
        并作为 ``receiver_dropped`` 返回（ ``datagrams`` 与折合的载荷速率 ``bps`` ）。`吞吐量应接近` 据此区分
        接收端在繁忙的机器上没收下的和限速器没放行的。

        Example: | ${r}= | 测量吞吐量 | hosta | vm01 | 5.5.5.51 | duration=30 | parallel=4 | repeat=5 |
        """
        validate.ip_address(server_address, "server_address")
        options = IperfOptions(protocol, duration, parallel, repeat, bitrate, length, port)
        title = f"iperf3 {protocol.value.upper()} {client} → {server_address}（{server}）"
        if receiver_port is None:
            return self._measure(title, iperf.measure, client, server, server_address, options)
        port_name = validate.ovs_name(receiver_port, "receiver_port")
        if protocol is not Protocol.udp or length is None or not length.isdigit():
            raise ValueError("receiver_port 只用于以字节数给出 length 的 UDP 测量（按数据报折算接收端丢弃的速率）")
        measure = partial(self._measure, title, iperf.measure, client, server, server_address, options)
        return self._with_receiver_drops(measure, server, port_name, int(length) * 8, duration * repeat)

    def _with_receiver_drops(self, measure, server: str, port: str, datagram_bits: int, seconds: float) -> dict:
        """``measure()``'s summary with ``receiver_dropped``: what OVS port ``port`` could not hand to ``server``
        and what ``server``'s full socket buffers dropped meanwhile (``netvirt.traffic.receiver``), logged."""
        lab = seam.current()
        hypervisor = lab.session(lab.spec.hypervisor)
        bridge = hypervisor.run(lab.ovs_command("ovs-vsctl", "port-to-br", port))
        if not bridge.ok:
            raise RuntimeError(f"receiver_port：OVS 端口 {port} 不在任何网桥上（{bridge.stderr.strip()}）")

        def reading() -> receiver.Counters:
            return receiver.read(hypervisor, lab.ovs_command, bridge.stdout.strip(), port, _session(server))

        before = reading()
        summary = measure()
        after = reading()
        dropped = receiver.between(before, after)
        bps = dropped.datagrams * datagram_bits / seconds
        if after.port:
            port_row = (f"{after.port[0]}（客户机来不及收）", before.port[1], after.port[1], dropped.port_dropped)
        else:
            logger.warn(
                f"OVS 端口 {port} 不报告发送丢弃（tx drop 与 ovs_tx_failure_drops 都没有）："
                f"接收端丢弃的只算了 {server} 的"
            )
            port_row = ("不报告发送丢弃", "—", "—", "—")
        evidence.table(
            ["丢弃处", "计数器", "测量前", "测量后", "增量"],
            [
                (f"Hypervisor 的 OVS 端口 {port}", *port_row),
                (
                    server,
                    "UDP RcvbufErrors（套接字缓冲区满）",
                    before.rcvbuf_errors,
                    after.rcvbuf_errors,
                    dropped.rcvbuf_errors,
                ),
            ],
            f"测量期间接收端丢弃的数据报：{dropped.datagrams} 个，折合载荷 {format_bps(bps)}",
        )
        return {
            **summary,
            "receiver_dropped": {
                "port": port,
                "port_counter": dropped.port_counter,
                "port_dropped": dropped.port_dropped,
                "udp_rcvbuf_errors": dropped.rcvbuf_errors,
                "datagrams": dropped.datagrams,
                "bps": bps,
            },
        }

    @keyword("测量netperf吞吐量")
    def measure_netperf_throughput(
        self,
        client: str,
        server: str,
        server_address: IpAddress,
        test: NetperfTest = NetperfTest.TCP_STREAM,
        duration: int = 10,
        repeat: int = 1,
        port: int = 12865,
        send_size: int | None = None,
    ) -> dict:
        """像记录那样用 netperf 测量单连接 TCP 吞吐量（ ``netperf -H 地址 -l 30 -cC`` ）。

        在 ``server`` 上启动 ``netserver`` （端口 ``port`` ，默认 12865），测完按 pid 停止；
        ``netperf`` 在 ``client`` 上对 ``server_address`` 运行 ``repeat`` 次，每次 ``duration`` 秒。
        ``test`` 为 ``TCP_STREAM`` （客户端发送）或 ``TCP_MAERTS`` （客户端接收）； ``send_size`` 为发送大小。

        结果与 `测量吞吐量` 的结构相同： ``runs`` （速率、重传、两端 CPU）和 ``mean_bps`` / ``min_bps`` /
        ``max_bps`` / ``stdev_bps`` 。netperf 在 Debian 的 non-free 组件中（ ``scripts/setup.sh`` 会安装）；
        主机上没有时错误消息写明是哪台。

        Example: | ${r}= | 测量netperf吞吐量 | vm02 | vm01 | 5.5.5.51 | duration=30 | repeat=5 |
        """
        validate.ip_address(server_address, "server_address")
        options = NetperfOptions(test, duration, repeat, port, send_size)
        title = f"netperf {test.value} {client} → {server_address}（{server}）"
        return self._measure(title, netperf.measure, client, server, server_address, options)

    @keyword("交替测量netperf吞吐量")
    def measure_netperf_alternating(
        self,
        client: str,
        server: str,
        duration: int = 10,
        repeat: int = 1,
        port: int = 12865,
        **paths: str,
    ) -> dict:
        """用 netperf TCP_STREAM 轮流测量到 ``server`` 的几条路径，一轮接一轮；返回 ``{路径名: 结果}`` 。

        每条路径写成 ``名称=地址`` （ ``server`` 上经该路径可达的地址）。一个 ``netserver`` 服务所有测量；
        第 1 轮把每条路径各测一次，然后第 2 轮，共 ``repeat`` 轮。这样在共享的机器上，负载的变化同样落在每条路径上，
        同一轮的结果可以互相比较（`OVS-DPDK性能问题应已不存在` 就是这样用的）。每个结果的结构同
        `测量netperf吞吐量` ，另有 ``series`` （同一次调用的各路径相同）和 ``rounds`` 。

        Example: | ${r}= | 交替测量netperf吞吐量 | vm02 | vm01 | repeat=5 | ovs=5.5.5.51 | bridge=9.9.9.51 |
        """
        for address in paths.values():
            validate.ip_address(address, "路径地址")
        options = NetperfOptions(NetperfTest.TCP_STREAM, duration, repeat, port)
        where = "，".join(f"{name}={address}" for name, address in paths.items())
        title = f"netperf TCP_STREAM {client} → {server}，交替测量（{where}）"
        try:
            by_path, results, server_output = netperf.measure_alternating(
                _session(client), _session(server), paths, options
            )
        except throughput.MeasurementError as err:
            self._log_runs(title, err.runs, err.results)
            raise RuntimeError(f"{title}：第 {len(err.runs) + 1} 次测量失败：{err}") from None
        self._log_runs(title, [], results)
        logger.debug(f"{server} 上服务端的输出：\n{server_output}")
        series = f"{client}→{server}@{time.monotonic():.3f}"
        summaries = {}
        for name, runs in by_path.items():
            summary = throughput.summarize(runs)
            evidence.table(throughput.RUN_HEADERS, throughput.run_rows(summary), f"{title}：{name}")
            summaries[name] = {**summary, "series": series, "rounds": [run["round"] for run in runs]}
        return summaries

    def _measure(self, title: str, measure, client: str, server: str, address: str, options) -> dict:
        """Run a tool module's ``measure``; log the runs (also those done before a failure) and the server's output."""
        try:
            runs, results, server_output = measure(_session(client), _session(server), address, options)
        except throughput.MeasurementError as err:
            self._log_runs(title, err.runs, err.results)
            done = "，".join(format_bps(run["received_bps"]) for run in err.runs) or "无"
            raise RuntimeError(f"{title}：第 {len(err.runs) + 1} 次测量失败：{err}（已完成的测量：{done}）") from None
        summary = self._log_runs(title, runs, results)
        logger.debug(f"{server} 上服务端的输出：\n{server_output}")
        return summary

    def _log_runs(self, title: str, runs: list[dict], results: list) -> dict | None:
        for result in results:
            evidence.pre(
                f"[{result.host}]# {result.command}", f"rc={result.rc}，{result.seconds:.1f} 秒（工具输出见 DEBUG）"
            )
            logger.debug(result.stdout)
        if not runs:
            return None
        summary = throughput.summarize(runs)
        evidence.table(throughput.RUN_HEADERS, throughput.run_rows(summary), title)
        return summary

    @keyword("测量限速吞吐量")
    def measure_for_limit(
        self,
        client: str,
        server: str,
        server_address: IpAddress,
        limit_bps: float,
        protocol: Protocol = Protocol.tcp,
        duration: int | None = None,
        streams: int = 4,
        udp_payload: int = 1400,
        offered_factor: float = 3,
    ) -> dict:
        """用 iperf3 测量检验限速 ``limit_bps`` 所用的流量；结果比 `测量吞吐量` 多 ``limit_bps`` 和
        ``expected_bps`` 。

        用例在设置限速前（测路径的承载能力）和设置限速后各调用一次，用的是同样的流量。 ``protocol`` 为：
        - ``tcp`` ： ``streams`` 条 TCP 流（默认 4）填满路径，同记录中的 ``iperf -P 4`` ； ``expected_bps`` 就是限速
          值。
        - ``udp`` ：一条流，以 ``offered_factor`` （默认 3）倍限速的速率发送 ``udp_payload`` 字节（默认 1400）的报
          文。丢包而不排队的限速器（policer，如内嵌实验环境的模拟 VF）这样测得准，而 TCP 会退让到限速以下；
          限速器按以太网帧计数（载荷 + 8 UDP + 20 IP + 14 以太网字节），iperf3 只计载荷，所以 ``expected_bps`` 是限
          速 × 载荷 / 帧长。

        ``duration`` 每次秒数，不给时取实验环境参数 ``rate_check_duration`` （缺省 10）。 ``limit_bps`` 须为正，
        ``offered_factor`` 大于 1， ``udp_payload`` 在 18..8972。对应记录 5.4.8。

        Example: | ${r}= | 测量限速吞吐量 | vm02 | vm01 | 5.5.5.100 | 8000000 | udp |
        """
        if limit_bps <= 0 or offered_factor <= 1 or not 18 <= udp_payload <= 8972:
            raise ValueError(
                f"limit_bps（{limit_bps}）应为正数，offered_factor（{offered_factor}）应大于 1，"
                f"udp_payload（{udp_payload}）应在 18..8972"
            )
        if duration is None:
            duration = int(seam.current().spec.param("rate_check_duration"))  # declared default: 10 s
        if protocol is Protocol.udp:
            frame = udp_payload + 8 + 20 + 14
            result = self.measure_throughput(
                client,
                server,
                server_address,
                protocol,
                duration,
                bitrate=str(int(limit_bps * offered_factor)),
                length=str(udp_payload),
            )
            return {**result, "limit_bps": float(limit_bps), "expected_bps": limit_bps * udp_payload / frame}
        result = self.measure_throughput(client, server, server_address, protocol, duration, parallel=streams)
        return {**result, "limit_bps": float(limit_bps), "expected_bps": float(limit_bps)}

    @keyword("限速吞吐量应接近期望值")
    def limited_throughput_should_be_close(self, limited: dict, tolerance_pct: float = 10, factor: float = 2) -> None:
        """判定设置限速后的 `测量限速吞吐量` 结果 ``limited`` ：接收速率与 ``expected_bps`` 相差不超过
        ``tolerance_pct`` %（默认 10）。

        UDP 发送的负载已知，同一次测量就能证明路径承载了它：发送端实际发出的不到限速的 ``factor`` 倍（默认 2；
        机器繁忙时虚拟机发不出来）时，限速器放行多少说明不了什么，用例以 SKIP 结束并给出数字。TCP 没有这样的证明，
        它的路径由限速前的测量证明（`不限速吞吐量应足以检验限速` ）。

        Example: | 限速吞吐量应接近期望值 | ${r} | 10 |
        """
        limit = limited["limit_bps"]
        if limited["protocol"] == "UDP":
            sent = float(limited["sent_bps"]["mean"])
            if sent < factor * limit:
                raise SkipExecution(
                    f"无法判定：限速 {format_bps(limit)} 下发送端只发出 {format_bps(sent)}"
                    f"（要求以限速的 {factor:g} 倍以上发送），收到 {format_bps(limited['mean_bps'])}："
                    "本次测量中路径没有承载检验限速所需的流量（机器繁忙？）"
                )
        self.throughput_should_be_close(limited, limited["expected_bps"], tolerance_pct)

    @keyword("吞吐量应接近")
    def throughput_should_be_close(
        self, measured_bps: float | dict, expected_bps: float, tolerance_pct: float = 10
    ) -> None:
        """检查 ``measured_bps`` 与 ``expected_bps`` 相差不超过 ``tolerance_pct`` %（默认 10），否则失败。

        ``measured_bps`` 是 bit/s，也可以是 `测量吞吐量` 的结果（取其 ``mean_bps`` ）。实测、期望、
        偏差和结果以表格记录。结果是按目标速率发送的 UDP 测量（每 0.1 秒报告一次发送量）时：实测偏低、而发送端在
        某个 0.1 秒内发出的也低于期望值（机器繁忙，发送端被耽搁），说明不了限速器的问题，用例 SKIP（无法判定）并给出
        数字，不判 FAIL。结果带有 ``receiver_dropped`` （`测量吞吐量` 的 ``receiver_port`` ）时同理：实测偏低、而加上
        接收端丢弃的（客户机来不及收、套接字缓冲区满）就在允许范围内，说明限速器放行的到了接收端却没有被收下，
        同样 SKIP；加上它们仍然偏低，或实测偏高，照常 FAIL。

        Example: | 吞吐量应接近 | ${r}[mean_bps] | 5e9 | 5 |
        """
        measured = float(measured_bps["mean_bps"] if isinstance(measured_bps, dict) else measured_bps)
        if expected_bps <= 0 or tolerance_pct < 0:
            raise ValueError(f"expected_bps（{expected_bps}）应为正数，tolerance_pct（{tolerance_pct}）不能为负")
        deviation = (measured - expected_bps) / expected_bps * 100
        ok = throughput.close_to(measured, expected_bps, tolerance_pct)
        # Why a low rate may say nothing of the limiter; each that applies is named (a busy machine often does both).
        reasons = (
            []
            if ok or measured > expected_bps
            else _unsure_low_rate(measured_bps, measured, expected_bps, tolerance_pct)
        )
        evidence.table(
            ["实测", "期望", "偏差", "允许", "结果"],
            [
                (
                    format_bps(measured),
                    format_bps(expected_bps),
                    f"{deviation:+.1f}%",
                    f"±{tolerance_pct:g}%",
                    "PASS" if ok else ("无法判定" if reasons else "FAIL"),
                )
            ],
            highlight=[] if ok else [(0, 4)],
        )
        if reasons:
            raise SkipExecution(
                f"无法判定：吞吐量 {format_bps(measured)} 比期望 {format_bps(expected_bps)} 低 {-deviation:.1f}%，"
                f"但{'；并且'.join(reasons)}。本次测量中路径没有持续承载检验所需的流量（机器繁忙？）"
            )
        if not ok:
            raise AssertionError(
                f"吞吐量 {format_bps(measured)}（{measured:.0f} bit/s）与期望 {format_bps(expected_bps)}"
                f"（{expected_bps:.0f} bit/s）相差 {deviation:+.1f}%，超出允许的 ±{tolerance_pct:g}%"
            )

    @keyword("不限速吞吐量应足以检验限速")
    def unlimited_must_exceed_limit(self, unlimited: dict, limit_bps: float, factor: float = 2) -> None:
        """除非 ``unlimited`` （不限速时 `测量吞吐量` 的结果）达到 ``factor`` × ``limit_bps`` （ ``factor`` 默认
        2），否则让用例 SKIP。

        在同一次运行中、判定限速之前不限速地测一次：路径本身承载不了远高于限速的流量（机器繁忙、虚拟机慢）时，
        限速器是否生效无从判断，用例以 SKIP 结束并给出数字（无法判定），而不是 FAIL。结果以表格记录。

        Example: | 不限速吞吐量应足以检验限速 | ${base} | 8000000 |
        """
        check = throughput.headroom([unlimited["mean_bps"]], limit_bps, factor)  # the rule, shared with OVSLibrary
        check.log()
        if check.reason:
            raise SkipExecution(check.reason)

    @keyword("记录吞吐量对比图")
    def throughput_chart(self, title: str, **scenario_results: Any) -> dict:
        """在日志中记录比较各场景的表格和柱状图（PNG），返回 ``{场景: {min, max, mean, stdev, runs}}`` 。

        场景以 ``场景名=结果`` 给出，结果可以是 `测量吞吐量` 的结果、一个 bit/s 数值或数值列表。
        对应记录“netperf over OVS-DPDK性能差”中各路径的对比。没有安装 matplotlib 时只记录表格并给出告警。

        Example: | 记录吞吐量对比图 | netperf 对比 | 两个物理网卡直连=${direct} | VM02到VM01过OVS-DPDK=${ovs} |
        """
        spreads = plot.scenario_spreads(scenario_results)
        try:
            png, labels = plot.bar_chart(title, spreads)
        except ImportError:
            png, labels = None, list(spreads)
            logger.warn("没有安装 matplotlib：只记录表格，不画图")
        evidence.table(
            ["图中", "场景", "次数", "最小", "最大", "平均", "标准差"],
            [
                (label, name, s["runs"], *(format_bps(s[k]) for k in ("min", "max", "mean", "stdev")))
                for label, (name, s) in zip(labels, spreads.items(), strict=True)
            ],
            title,
        )
        if png:
            evidence.image(title, png)
        return spreads

    # -- counters ----------------------------------------------------------------------------------
    @keyword("获取接口计数器")
    def interface_counters(self, host: str, interface: str) -> dict:
        """返回主机 ``host`` 上接口 ``interface`` 的计数器： ``link`` （ ``ip -s -j link`` ；旧版 iproute2 读文本）
        和 ``ethtool`` （ ``ethtool -S`` ；主机没有 ethtool 或驱动没有计数器时为空）。

        读不到链路计数器时失败。命令和输出记入日志。

        Example: | ${before}= | 获取接口计数器 | hostb | enP5p1s0 |
        """
        values, results = counters.read(_session(host), validate.netdev_name(interface))
        for result in results:
            evidence.command(result)
        return values

    @keyword("接口计数器差值")
    def counter_difference(self, before: dict, after: dict) -> dict:
        """返回两次 `获取接口计数器` 读数之差（ ``after`` - ``before`` ，逐个计数器），有变化的计数器以表格记录。

        Example: | ${d}= | 接口计数器差值 | ${before} | ${after} |
        """
        delta = counters.difference(before, after)
        evidence.table(
            ["来源", "计数器", "之前", "之后", "差值"],
            counters.changed_rows(before, after, delta),
            f"{delta['host']}:{delta['interface']} 计数器变化",
        )
        return delta

    @keyword("对比网卡卸载特性")
    def compare_offloads(self, host_a: str, interface_a: str, host_b: str, interface_b: str) -> list[str]:
        """把两块网卡的 ``ethtool -k`` 并排记入日志（不同之处标出），返回状态不同的特性名。

        记录用它解释 OVS-DPDK 与 Linux bridge 吞吐量的差距（tso / csum）。主机上没有 ethtool 或读不到时失败。

        Example: | ${diff}= | 对比网卡卸载特性 | vm01 | eth1 | vm02 | eth0 |
        """
        a, b = self._offload_tables(host_a, interface_a, host_b, interface_b)
        return [n for n in dict.fromkeys([*a, *b]) if (a.get(n) or {}).get("on") != (b.get(n) or {}).get("on")]

    def _offload_tables(self, host_a: str, interface_a: str, host_b: str, interface_b: str) -> tuple[dict, dict]:
        """Read ``ethtool -k`` of both NICs, log them side by side (differences marked); return both parsed."""
        features = []
        for host, interface in ((host_a, interface_a), (host_b, interface_b)):
            session = _session(host)
            require_tools(session, ["ethtool"], "读取网卡卸载特性")
            result = session.run(shlex.join(["ethtool", "-k", validate.netdev_name(interface)]), timeout=30)
            evidence.command(result)
            if not result.ok:
                raise RuntimeError(f"{host} 上无法读取 {interface} 的卸载特性：{result.stderr.strip()}")
            features.append(parse_ethtool_features(result.stdout))
        a, b = features
        names = list(dict.fromkeys([*a, *b]))

        def state(table: dict, name: str) -> str:
            if name not in table:
                return "—"
            return ("on" if table[name]["on"] else "off") + (" [fixed]" if table[name]["fixed"] else "")

        differing = [n for n in names if (a.get(n) or {}).get("on") != (b.get(n) or {}).get("on")]
        evidence.table(
            ["特性", f"{host_a}:{interface_a}", f"{host_b}:{interface_b}"],
            [(n, state(a, n), state(b, n)) for n in names],
            "网卡卸载特性（ethtool -k）",
            highlight=[(i, c) for i, n in enumerate(names) if n in differing for c in (1, 2)],
        )
        return a, b

    @keyword("OVS-DPDK性能问题应已不存在")
    def ovs_dpdk_gap_should_be_gone(
        self,
        ovs: dict,
        bridge: dict,
        ovs_host: str,
        ovs_interface: str,
        bridge_host: str,
        bridge_interface: str,
    ) -> str:
        """判定记录中的遗留问题“netperf over OVS-DPDK性能差”；问题仍在时失败。

        ``ovs`` 和 ``bridge`` 是虚拟机之间分别经 OVS-DPDK 和经 Linux bridge 的 netperf 结果（`交替测量netperf吞吐量`
        一轮一轮测出两者）； ``ovs_host`` / ``ovs_interface`` 和 ``bridge_host`` / ``bridge_interface`` 是两条路径上
        虚拟机的网卡，记录把差距归咎于它们的卸载特性（ ``ethtool -k`` ）。

        OVS-DPDK / bridge 的吞吐量比由各次测量给出上下界（两者来自同一次交替测量时按轮计算），
        与记录的阈值比较（ ``netvirt.traffic.gap`` ：0.387，即记录中的 0.33/2.17 乘以 netperf 在那里的 2.54 倍离
        散）：
        - 所有界都不高于阈值： ``问题仍存在`` ，用例失败，与记录的发现相同；
        - 所有界都高于阈值： ``问题已不存在`` ，用例通过，消息即此结论；
        - 界落在阈值两侧：这些测量分不开两条路径（机器繁忙），SKIP。

        消息给出数字，以及被归咎的卸载特性（tso / gso / checksum / sg）的状态。比值和卸载特性都以表格记录。

        Example: | OVS-DPDK性能问题应已不存在 | ${ovs} | ${bridge} | vm01 | eth1 | vm01 | eth3 |
        """
        slow, fast = self._offload_tables(ovs_host, ovs_interface, bridge_host, bridge_interface)
        offloads = gap.compare_offloads(slow, fast)
        paired = bool(ovs.get("series")) and ovs.get("series") == bridge.get("series")
        ovs_bps = [run["received_bps"] for run in ovs["runs"]]
        bridge_bps = [run["received_bps"] for run in bridge["runs"]]
        judgement = gap.judge(ovs_bps, bridge_bps, offloads, paired)
        evidence.table(
            ["", "OVS-DPDK", "Linux bridge", "OVS-DPDK / bridge"],
            gap.ratio_rows(judgement),
            "netperf over OVS-DPDK 性能差：判定",
        )
        evidence.table(
            [
                "记录归咎的卸载特性",
                f"{ovs_host}:{ovs_interface}（OVS-DPDK）",
                f"{bridge_host}:{bridge_interface}（bridge）",
            ],
            [(name, gap.on_off(s), gap.on_off(f)) for name, s, f in offloads.rows],
        )
        text = gap.message(judgement)
        if judgement.verdict is gap.Verdict.PERSISTS:
            raise AssertionError(text)
        if judgement.verdict is gap.Verdict.INCONCLUSIVE:
            raise SkipExecution(text)
        logger.info(text)
        try:
            BuiltIn().set_test_message(text)
        except RobotNotRunningError:  # called from Python (tests): the text is returned all the same
            pass
        return text
