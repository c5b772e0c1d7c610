"""Robot keywords to run commands on the lab's hosts and guests over SSH."""

from __future__ import annotations

import re
import shlex

from robot.api.deco import keyword, library

from netvirt import atonce, evidence, iproute, seam, structured, validate
from netvirt.labspec import CAPABILITIES
from netvirt.parsers.net import parse_ethtool_channels, parse_tc_class_json, parse_tc_class_stats
from netvirt.parsers.versions import extract_version, version_at_least
from netvirt.ssh import CommandResult
from netvirt.validate import Ipv4Interface, Mtu, VlanId


def interrupts_per_cpu(text: str, wanted) -> dict[str, int]:
    """Sum, per CPU, the counts of the ``/proc/interrupts`` lines for which ``wanted(line)`` is true."""
    lines = text.splitlines()
    cpus = lines[0].split()
    totals = dict.fromkeys(cpus, 0)
    for line in lines[1:]:
        if wanted(line):
            for cpu, count in zip(cpus, line.split()[1 : 1 + len(cpus)], strict=False):
                totals[cpu] += int(count) if count.isdigit() else 0
    return totals


def virtio_queue_line(device: str):
    """A predicate for the ``/proc/interrupts`` lines of the queue vectors of virtio device ``device``."""
    pattern = re.compile(rf"\s{re.escape(device)}-(?:input|output)\.\d+$")
    return lambda line: bool(pattern.search(line.rstrip()))


@library(scope="GLOBAL", auto_keywords=False, converters=validate.CONVERTERS, listener=validate.ConversionMessages())
class HostLibrary:
    """经 SSH 在主机和虚拟机上执行命令的关键字：地址、MTU、VLAN、组播、网桥与 tap、版本、队列与中断。

    命令在实验环境的主机和虚拟机上执行：地址、MTU、VLAN 子接口、组播接收、Linux 网桥与 tap 接口、版本、
    网卡通道与队列、中断分布。

    对应记录中在 Host A、Host B、VM01、VM02 上敲的 ``ip`` 、 ``ethtool`` 、 ``tc`` 、 ``cat /proc/interrupts`` 等命
    令（如 5.4.4 多队列、5.4.5 地址复用、5.4.6 MTU、5.4.7 VLAN、5.4.9 组播）。

    = 主机 =
    主机按实验环境描述中的名字给出： ``hosta`` 、 ``hostb`` 或虚拟机（ ``vm01`` 、 ``vm02`` ）。
    每条命令及其输出以 ``[主机]# 命令`` 的形式记入日志；密码从不记录。

    = 命令如何构造 =
    除 `在主机上执行` 等直接执行给定命令的关键字外，关键字都先校验参数（网卡名最多 15 个字符、IPv4 地址带前缀、
    VLAN 1..4094、MTU 68..65535），再用 ``shlex.join`` 拼出命令，参数不合法时在执行前失败。

    = 内嵌实验环境与真实实验环境 =
    - 真实实验环境：经 SSH 登录各台服务器和虚拟机。
    - 内嵌实验环境：Host A、Host B 是本机上的网络命名空间，各有自己的 sshd，同样经 SSH 登录；它们共用本机内核，
      这个内核没有 8021q 模块，所以主机上不能建 VLAN 子接口（见 `添加VLAN子接口` ）；虚拟机有自己的内核，不受影响。

    一台主机不再应答时，只花一次命令超时加一次短探测；之后发往它的命令立即失败并写明主机和起始时间，
    而不是每条命令都等满超时。
    """

    @keyword("在主机上执行")
    def run_on_host(self, host: str, command: str, expected_rc: int = 0, timeout: float = 120) -> str:
        """在主机 ``host`` 上执行 ``command`` ，返回标准输出；返回码不是 ``expected_rc`` （默认 0）时失败，
        消息中带上命令和它的错误输出。

        ``timeout`` 为命令的超时（秒，默认 120）。命令原样交给主机的 shell 执行：用例中不要用它拼接命令，
        应使用或新增专门的关键字。

        Example: | ${out}= | 在主机上执行 | hostb | ovs-vsctl show |
        """
        result = self.run_and_return(host, command, timeout)
        if result.rc != expected_rc:
            raise AssertionError(
                f"{host} 上的命令返回 {result.rc}（期望 {expected_rc}）：{command}\n"
                f"{(result.stderr or result.stdout).strip()}"
            )
        return result.stdout

    @keyword("在主机上执行并返回结果")
    def run_and_return(self, host: str, command: str, timeout: float = 120) -> CommandResult:
        """在主机 ``host`` 上执行 ``command`` ，无论返回码如何都返回结果（ ``rc`` 、 ``stdout`` 、 ``stderr`` ），
        由调用者判断。

        Example: | ${r}= | 在主机上执行并返回结果 | vm01 | ethtool -l eth1 |
        """
        result = seam.current().session(host).run(command, timeout=timeout)
        evidence.command(result)
        return result

    @keyword("主机应可登录")
    def host_should_be_reachable(self, host: str) -> None:
        """经 SSH 登录主机 ``host`` 并记录它的内核版本（ ``uname -r`` ）；登录不上时失败并写明原因。

        Example: | 主机应可登录 | hosta |
        """
        self.run_on_host(host, "uname -r", timeout=30)

    @keyword("设置接口地址")
    def set_address(self, host: str, interface: str, address: Ipv4Interface, flush: bool = False) -> None:
        """给主机 ``host`` 上的接口 ``interface`` 配置 IPv4 地址 ``address`` （带前缀，如 5.5.5.51/24），
        并把接口设为 up。

        即记录中“配置 vm01 的接口 IP”的 ``ip addr replace <地址> dev <接口>`` 和 ``ip link set <接口> up`` ；
        ``flush`` 为真时先删除该接口上已有的全部 IPv4 地址（ ``ip -4 addr flush dev <接口>`` ）。这几条在一个
        ``ip -4 -batch`` 进程中依次执行（虚拟机里每启动一个进程都要花时间），遇到失败的一条即停止，关键字随之失败。

        Example: | 设置接口地址 | vm01 | eth1 | 5.5.5.51/24 |
        | 设置接口地址 | vm01 | eth1 | 5.5.5.51/24 | flush=True |
        """
        interface = validate.netdev_name(interface)
        self.run_on_host(host, iproute.batch(self._address_steps(interface, address, flush), "-4"))

    @staticmethod
    def _address_steps(interface: str, address: Ipv4Interface, flush: bool = False) -> list[list[str]]:
        address = validate.ipv4_interface(address).with_prefixlen
        steps = [["addr", "replace", address, "dev", interface], ["link", "set", interface, "up"]]
        return [["addr", "flush", "dev", interface], *steps] if flush else steps

    @keyword("清除接口地址")
    def flush_addresses(self, host: str, interface: str) -> None:
        """删除主机 ``host`` 上接口 ``interface`` 的全部 IPv4 地址（ ``ip -4 addr flush dev <接口>`` ）。

        Example: | 清除接口地址 | vm01 | eth1 |
        """
        self.run_on_host(host, shlex.join(["ip", "-4", "addr", "flush", "dev", validate.netdev_name(interface)]))

    @keyword("清除多台主机的接口地址")
    def flush_addresses_on(self, interface: str, *hosts: str) -> None:
        """在 ``hosts`` 的每一台上删除接口 ``interface`` 的全部 IPv4 地址（同 `清除接口地址` ），各台同时进行
        （它们互不相干；虚拟机里每条命令都要花上零点几秒）。命令都记入日志；有失败的则在全部结束后失败，
        消息列出每台失败的主机和 ip 的输出。

        Example: | 清除多台主机的接口地址 | eth1 | vm01 | vm02 |
        """
        command = shlex.join(["ip", "-4", "addr", "flush", "dev", validate.netdev_name(interface)])
        if not hosts:
            raise ValueError("清除多台主机的接口地址：至少给一台主机")
        lab = seam.current()
        sessions = [lab.session(host) for host in hosts]  # an unknown host fails before any command runs
        results = atonce.results(lambda session: session.run(command), sessions, "flush")
        for result in results:  # logged here, in Robot's thread
            evidence.command(result)
        failed = [f"{r.host}：{(r.stderr or r.stdout).strip()}（返回 {r.rc}）" for r in results if r.rc != 0]
        if failed:
            raise AssertionError(f"清除 {interface} 的地址失败：" + "；".join(failed))

    @keyword("设置接口MTU")
    def set_mtu(self, host: str, interface: str, mtu: Mtu) -> None:
        """设置主机 ``host`` 上接口 ``interface`` 的 MTU（ ``ip link set dev <接口> mtu N`` ），
        对应记录 5.4.6 中在虚拟机里调 MTU。

        ``mtu`` 须在 68..65535；网卡驱动允许的上限可能更小，驱动拒绝时命令失败，关键字随之失败。

        Example: | 设置接口MTU | vm01 | eth1 | 4000 |
        """
        mtu = validate.mtu(mtu)
        self.run_on_host(
            host, shlex.join(["ip", "link", "set", "dev", validate.netdev_name(interface), "mtu", str(mtu)])
        )

    @keyword("添加VLAN子接口")
    def add_vlan(self, host: str, interface: str, vlan: VlanId, address: Ipv4Interface = None) -> str:
        """在主机 ``host`` 上创建 VLAN 子接口 ``<interface>.<vlan>`` （ ``ip link add link ... type vlan id N`` ），
        可同时配置地址 ``address`` ；返回子接口名。

        对应记录 5.4.7 中“增加 vlan 10 / 给 vlan 10 子接口配置 IP”。VLAN 子接口需要内核的 8021q 模块：
        虚拟机有（自己的内核）；Host A、Host B 只有在实验环境声明了能力 ``host_vlan`` 时才有。
        其他情况（如内嵌实验环境，其主机共用一个没有 8021q 的内核）在执行 ``ip`` 之前失败并说明原因。
        ``vlan`` 须在 1..4094，子接口名不能超过 15 个字符。

        Example: | 添加VLAN子接口 | vm01 | eth1 | 10 | 192.168.10.100/24 |
        """
        vlan = validate.vlan(vlan)
        name = validate.netdev_name(f"{validate.netdev_name(interface)}.{vlan}", "VLAN 子接口名")
        spec = seam.current().spec
        is_host = any(h.name.lower() == host.lower() for h in spec.hosts)
        if is_host and "host_vlan" not in spec.capabilities:
            raise AssertionError(
                f"{host} 上不能建 VLAN 子接口 {name}：这台主机的内核没有 8021q 模块"
                f"（实验环境 {spec.name} 未声明能力 host_vlan：{CAPABILITIES['host_vlan']}）"
            )
        # The sub-interface and its address in one ip process (see 设置接口地址).
        steps = [["link", "add", "link", interface, "name", name, "type", "vlan", "id", str(vlan)]]
        if address:
            steps += self._address_steps(name, address)
        result = self.run_and_return(host, iproute.batch(steps, *(["-4"] if address else [])))
        if result.rc != 0:
            said = (result.stderr or result.stdout).strip()
            if "Unknown device type" in said:  # iproute2's words when the kernel has no 8021q
                raise AssertionError(f"{host} 上不能建 VLAN 子接口 {name}：内核没有 8021q 模块（ip 报告：{said}）")
            raise AssertionError(f"{host} 上建 VLAN 子接口 {name} 失败（返回 {result.rc}）：{said}")
        return name

    @keyword("创建Linux网桥")
    def add_linux_bridge(self, host: str, name: str) -> None:
        """在主机 ``host`` 上建 Linux 网桥 ``name`` 并置为 up（ ``ip link add <name> type bridge`` ），如记录
        “netperf over OVS-DPDK 性能差”中与 OVS-DPDK 对比的 Linux bridge。名字已被占用则失败。用 `删除接口` 删除。

        Example: | 创建Linux网桥 | hostb | lbr0 |
        """
        bridge = validate.netdev_name(name, "网桥名")
        self.run_on_host(
            host,
            f"{shlex.join(['ip', 'link', 'add', bridge, 'type', 'bridge'])} && "
            f"{shlex.join(['ip', 'link', 'set', bridge, 'up'])}",
        )

    @keyword("创建tap接口")
    def add_tap(self, host: str, name: str, bridge: str) -> None:
        """在主机 ``host`` 上建 tap 接口 ``name`` ，接到 Linux 网桥 ``bridge`` 上并置为 up（给虚拟机的
        ``<interface type='ethernet'>`` 网卡用，见 `挂载网卡` ）。名字已被占用或网桥不存在则失败。

        Example: | 创建tap接口 | hostb | lbtap1 | lbr0 |
        """
        tap = validate.netdev_name(name, "tap 接口名")
        master = validate.netdev_name(bridge, "网桥名")
        self.run_on_host(
            host,
            f"{shlex.join(['ip', 'tuntap', 'add', 'dev', tap, 'mode', 'tap'])} && "
            f"{shlex.join(['ip', 'link', 'set', tap, 'master', master, 'up'])}",
        )

    @keyword("删除接口")
    def delete_link(self, host: str, interface: str) -> None:
        """删除主机 ``host`` 上的接口 ``interface`` （如 VLAN 子接口）；接口不存在时什么也不做。

        Example: | 删除接口 | vm01 | eth1.10 |
        """
        name = validate.netdev_name(interface)
        self.run_on_host(
            host,
            f"! ip link show dev {shlex.quote(name)} >/dev/null 2>&1 || "
            f"{shlex.join(['ip', 'link', 'del', 'dev', name])}",
        )

    @keyword("获取内核版本")
    def kernel_version(self, host: str) -> str:
        """返回主机 ``host`` 的内核版本（ ``uname -r`` ）。

        Example: | ${kernel}= | 获取内核版本 | hostb |
        """
        return str(extract_version(self.run_on_host(host, "uname -r"), "kernel"))

    @keyword("版本应不低于")
    def version_should_be_at_least(self, what: str, found: str, required: str) -> None:
        """检查软件 ``what`` 的版本 ``found`` 不低于 ``required`` ，按数字逐段比较（3.10 高于 3.9），否则失败。

        结果以表格（软件、要求、实际、结果）记入日志。对应记录 5.4.1.1 等对版本的要求。

        Example: | 版本应不低于 | openvswitch | ${ovs} | 2.5.0 |
        """
        ok = version_at_least(found, required)
        evidence.table(
            ["软件", "要求", "实际", "结果"],
            [(what, f">= {required}", found, "PASS" if ok else "FAIL")],
            highlight=[] if ok else [(0, 3)],
        )
        if not ok:
            raise AssertionError(f"{what} 版本 {found} 低于要求的 {required}")

    @keyword("设置组播接收")
    def set_allmulticast(self, host: str, interface: str, enabled: bool = True) -> None:
        """打开或关闭主机 ``host`` 上接口 ``interface`` 的 ``allmulticast`` （
        ``ip link set dev <接口> allmulticast on|off`` ）。

        记录 5.4.9 中 VF 或 vNIC 接收未知组播用的就是它（“VF 有两个方法能够收到未知多播，promiscuous 和
        allmulticast，这里使用后者”）。 ``enabled`` 默认为真。

        Example: | 设置组播接收 | vm01 | eth1 | 开 |
        """
        state = "on" if enabled else "off"
        self.run_on_host(
            host, shlex.join(["ip", "link", "set", "dev", validate.netdev_name(interface), "allmulticast", state])
        )

    @keyword("获取网卡通道数")
    def channels(self, host: str, interface: str) -> dict:
        """返回接口 ``interface`` 的 ``ethtool -l`` ： ``max`` 和 ``current`` ，各含 rx、tx、other、combined。

        对应记录 5.4.4 中在虚拟机里看 vNIC 的队列数。

        Example: | ${ch}= | 获取网卡通道数 | vm01 | eth1 |
        | Should Be Equal As Integers | ${ch}[current][combined] | 2 |
        """
        return parse_ethtool_channels(
            self.run_on_host(host, shlex.join(["ethtool", "-l", validate.netdev_name(interface)]))
        )

    @keyword("获取发送队列统计")
    def tx_queue_stats(self, host: str, interface: str) -> dict:
        """返回接口 ``interface`` 每个发送队列已发出的报文数，取自 ``tc -s class show`` 中的 mq 类（ ``:1`` 、
        ``:2`` ……）。

        主机的 tc 能输出 JSON（iproute2 6.2 起）时读 ``tc -j -s class show`` ，否则读文本输出；
        日志中写明读的是哪一种。命令失败时关键字失败。

        Example: | ${before}= | 获取发送队列统计 | vm01 | eth1 |
        """
        session = seam.current().session(host)
        dev = validate.netdev_name(interface)

        def show(json: bool) -> CommandResult:
            return session.run(shlex.join(["tc", *(["-j"] if json else []), "-s", "class", "show", "dev", dev]))

        reading = structured.read(session, "tc-class", show, parse_tc_class_json, parse_tc_class_stats)
        reading.log()
        if reading.value is None:
            failed = reading.result
            raise AssertionError(f"{host} 上的命令返回 {failed.rc}：{failed.command}\n{failed.stderr.strip()}")
        return {c["class"]: c["sent_packets"] for c in reading.value if c["kind"] == "mq"}

    @keyword("每个发送队列都应有新发包")
    def every_tx_queue_sent(self, before: dict, after: dict) -> None:
        """检查 ``after`` 中每个发送队列的发包数都比 ``before`` 中多（两者来自 `获取发送队列统计` ），
        用于确认多队列都在用（记录 5.4.4）。

        日志中以表格列出每个队列的前后发包数和增量；没有 mq 队列或有队列没有新发包时失败。

        Example: | 每个发送队列都应有新发包 | ${before} | ${after} |
        """
        rows = [(q, before.get(q, 0), after[q], after[q] - before.get(q, 0)) for q in sorted(after)]
        idle = [q for q, _, _, delta in rows if delta <= 0]
        evidence.table(
            ["队列 (mq class)", "之前 pkt", "之后 pkt", "新增"],
            rows,
            title="发送队列统计",
            highlight=[(i, 3) for i, row in enumerate(rows) if row[0] in idle],
        )
        if not after or idle:
            raise AssertionError(f"发送队列 {', '.join(idle) or '（没有 mq 队列）'} 没有新发包")

    @keyword("获取网卡中断分布")
    def interrupt_spread(self, host: str, match: str = "virtio") -> dict:
        """从主机 ``host`` 的 ``/proc/interrupts`` 中，按 CPU 累加含 ``match`` （默认 virtio）的行的中断数，
        返回 ``{CPU: 中断数}`` 。

        Example: | ${irq}= | 获取网卡中断分布 | vm01 | virtio1-input |
        """
        return self._interrupts(host, lambda line: match in line)

    @keyword("获取接口队列中断分布")
    def queue_interrupt_spread(self, host: str, interface: str) -> dict:
        """返回主机 ``host`` 上 virtio 网卡 ``interface`` 各队列中断向量的每 CPU 中断数。

        只统计这块网卡的 ``virtioN-input.Q`` / ``virtioN-output.Q`` 行（每个队列有自己的 MSI-X 向量）；
        使用 INTx 的网卡没有这些行，各 CPU 的计数都为 0。接口不是 virtio 网卡时失败。

        Example: | ${irq}= | 获取接口队列中断分布 | vm01 | eth1 |
        """
        name = validate.netdev_name(interface)
        device = self.run_on_host(host, shlex.join(["readlink", "-f", f"/sys/class/net/{name}/device"])).strip()
        virtio = device.rsplit("/", 1)[-1]
        if not re.fullmatch(r"virtio\d+", virtio):
            raise AssertionError(f"{host} 的 {name} 不是 virtio 网卡（设备 {device or '未知'}）")
        return self._interrupts(host, virtio_queue_line(virtio))

    def _interrupts(self, host: str, wanted) -> dict:
        return interrupts_per_cpu(self.run_on_host(host, "cat /proc/interrupts"), wanted)

    @keyword("中断应分布在多个CPU上")
    def interrupts_should_spread(self, interrupts: dict, min_cpus: int = 2) -> None:
        """检查 ``interrupts`` （来自 `获取网卡中断分布` 或 `获取接口队列中断分布` ）中至少有 ``min_cpus`` 个 CPU（
        默认 2）收到过中断，否则失败。

        对应记录 5.4.4 中多队列的中断分散到多个 CPU。每 CPU 的中断数以表格记入日志。

        Example: | 中断应分布在多个CPU上 | ${irq} | 2 |
        """
        busy = [cpu for cpu, count in interrupts.items() if count > 0]
        evidence.table(["CPU", "中断数"], sorted(interrupts.items()), title="virtio 中断分布")
        if len(busy) < min_cpus:
            raise AssertionError(f"中断只在 {', '.join(busy) or '无'} 上，期望至少 {min_cpus} 个 CPU")
