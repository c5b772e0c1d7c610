"""Robot keywords to run commands on the lab's hosts and guests over SSH."""

from __future__ import annotations

import re
import shlex

from robot.api.deco import keyword, library

from netvirt import evidence, seam, structured, validate
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


@library(scope="GLOBAL", auto_keywords=False, converters=validate.CONVERTERS)
class HostLibrary:
    """Robot keywords to run commands on the lab's hosts and guests over SSH.

    = Hosts =
    A host is named as in the lab description: ``hosta``, ``hostb`` or a VM (``vm01``).
    Every command and its output is logged as ``[host]# command``; passwords never are.
    """

    @keyword("在主机上执行")
    def run_on_host(self, host: str, command: str, expected_rc: int = 0, timeout: float = 120) -> str:
        """Run ``command`` on ``host`` and return its stdout; fail if the return code is not ``expected_rc``.

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
        """Run ``command`` on ``host``; return the result (``rc``, ``stdout``, ``stderr``) whatever the rc.

        Example: | ${r}= | 在主机上执行并返回结果 | vm01 | ethtool -l eth1 |
        """
        result = seam.current().session(host).run(command, timeout=timeout)
        evidence.command(result)
        return result

    @keyword("主机应可登录")
    def host_should_be_reachable(self, host: str) -> None:
        """Log in to ``host`` over SSH and log its kernel; fail with the reason if it cannot be reached.

        Example: | 主机应可登录 | hosta |
        """
        self.run_on_host(host, "uname -r", timeout=30)

    @keyword("设置接口地址")
    def set_address(self, host: str, interface: str, address: Ipv4Interface) -> None:
        """Add ``address`` (with prefix) to ``interface`` on ``host`` and bring it up.

        Example: | 设置接口地址 | vm01 | eth1 | 5.5.5.51/24 |
        """
        validate.netdev_name(interface)
        address = validate.ipv4_interface(address).with_prefixlen
        self.run_on_host(
            host,
            f"{shlex.join(['ip', 'addr', 'replace', address, 'dev', interface])}"
            f" && {shlex.join(['ip', 'link', 'set', interface, 'up'])}",
        )

    @keyword("清除接口地址")
    def flush_addresses(self, host: str, interface: str) -> None:
        """Remove every IPv4 address from ``interface`` on ``host``.

        Example: | 清除接口地址 | vm01 | eth1 |
        """
        self.run_on_host(host, shlex.join(["ip", "-4", "addr", "flush", "dev", validate.netdev_name(interface)]))

    @keyword("设置接口MTU")
    def set_mtu(self, host: str, interface: str, mtu: Mtu) -> None:
        """Set the MTU of ``interface`` on ``host`` (68..65535; the NIC's driver may allow less).

        Example: | 设置接口MTU | vm01 | eth1 | 4000 |
        """
        mtu = validate.mtu(mtu)
        self.run_on_host(
            host, shlex.join(["ip", "link", "set", "dev", validate.netdev_name(interface), "mtu", str(mtu)])
        )

    @keyword("添加VLAN子接口")
    def add_vlan(self, host: str, interface: str, vlan: VlanId, address: Ipv4Interface = None) -> str:
        """Create ``<interface>.<vlan>`` on ``host``, optionally with ``address``; return its name.

        A VLAN sub-interface needs the kernel's 8021q module. A VM has it (its own kernel); Host A and
        Host B only where the lab declares the capability ``host_vlan``: elsewhere (the embedded lab,
        whose hosts share a kernel without 8021q) this fails before running ``ip`` and says so.

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
        argv = ["ip", "link", "add", "link", interface, "name", name, "type", "vlan", "id", str(vlan)]
        result = self.run_and_return(host, shlex.join(argv))
        if result.rc != 0:
            said = (result.stderr or result.stdout).strip()
            if "Unknown device type" in said:  # iproute2's words when the kernel has no 8021q
                raise AssertionError(f"{host} 上不能建 VLAN 子接口 {name}：内核没有 8021q 模块（ip 报告：{said}）")
            raise AssertionError(f"{host} 上建 VLAN 子接口 {name} 失败（返回 {result.rc}）：{said}")
        if address:
            self.set_address(host, name, address)
        return name

    @keyword("删除接口")
    def delete_link(self, host: str, interface: str) -> None:
        """Delete ``interface`` (e.g. a VLAN sub-interface) on ``host`` if it exists.

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
        """Return the kernel release of ``host`` (``uname -r``).

        Example: | ${kernel}= | 获取内核版本 | hostb |
        """
        return str(extract_version(self.run_on_host(host, "uname -r"), "kernel"))

    @keyword("版本应不低于")
    def version_should_be_at_least(self, what: str, found: str, required: str) -> None:
        """Fail unless version ``found`` of ``what`` is ``required`` or newer, compared as numbers (3.10 > 3.9).

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
        """Turn ``allmulticast`` on or off for ``interface`` (how a VF or vNIC receives unknown multicast).

        Example: | 设置组播接收 | vm01 | eth1 | 开 |
        """
        state = "on" if enabled else "off"
        self.run_on_host(
            host, shlex.join(["ip", "link", "set", "dev", validate.netdev_name(interface), "allmulticast", state])
        )

    @keyword("获取网卡通道数")
    def channels(self, host: str, interface: str) -> dict:
        """Return ``ethtool -l`` of ``interface``: ``max`` and ``current`` with rx, tx, other, combined.

        Example: | ${ch}= | 获取网卡通道数 | vm01 | eth1 |
        | Should Be Equal As Integers | ${ch}[current][combined] | 2 |
        """
        return parse_ethtool_channels(
            self.run_on_host(host, shlex.join(["ethtool", "-l", validate.netdev_name(interface)]))
        )

    @keyword("获取发送队列统计")
    def tx_queue_stats(self, host: str, interface: str) -> dict:
        """Return sent packets per transmit queue from ``tc -s class show`` (mq classes ``:1``, ``:2`` ...).

        Reads ``tc -j -s class show`` where the host's tc prints classes as JSON (iproute2 6.2 on), else
        the text; the log says which.

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
        """Fail unless every transmit queue in ``after`` sent more packets than in ``before``.

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
        """Return, from ``/proc/interrupts``, the interrupt count per CPU of lines containing ``match``.

        Example: | ${irq}= | 获取网卡中断分布 | vm01 | virtio1-input |
        """
        return self._interrupts(host, lambda line: match in line)

    @keyword("获取接口队列中断分布")
    def queue_interrupt_spread(self, host: str, interface: str) -> dict:
        """Return the interrupt count per CPU of the queue vectors of virtio NIC ``interface`` on ``host``.

        Only that NIC's ``virtioN-input.Q`` / ``virtioN-output.Q`` lines count (each queue has its own
        MSI-X vector); a NIC on INTx has no such lines, and every count is then 0.

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
        """Fail unless at least ``min_cpus`` CPUs took interrupts in ``interrupts`` (from 获取网卡中断分布).

        Example: | 中断应分布在多个CPU上 | ${irq} | 2 |
        """
        busy = [cpu for cpu, count in interrupts.items() if count > 0]
        evidence.table(["CPU", "中断数"], sorted(interrupts.items()), title="virtio 中断分布")
        if len(busy) < min_cpus:
            raise AssertionError(f"中断只在 {', '.join(busy) or '无'} 上，期望至少 {min_cpus} 个 CPU")
