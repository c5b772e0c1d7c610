"""Robot keywords for SR-IOV NICs (VF count, VF settings, the PF's link, VFs passed to VMs).

The keyword documentation (Chinese, for the QA engineers) is the class docstring: libdoc reads it.
"""

from __future__ import annotations

import hashlib
import shlex
import time
from dataclasses import dataclass, replace
from typing import Literal

from robot.api import logger
from robot.api.deco import keyword, library

from netvirt import evidence, seam, structured, validate
from netvirt.parsers.net import parse_ip_link_json, parse_ip_link_vfs, parse_ip_link_vfs_json, parse_ip_links
from netvirt.sriov import (
    LinkState,
    SriovError,
    SriovNic,
    VfChange,
    VfState,
    apply_change,
    check_change,
    check_vf_index,
    describe_driver,
    ip_link_set_command,
    restoring_change,
)
from netvirt.ssh import CommandResult
from netvirt.validate import Mtu, VlanOrZero
from netvirt.waiting import wait_until
from VMLibrary import VMLibrary

VlanProtocol = Literal["802.1Q", "802.1ad"]
UpDown = Literal["up", "down"]

# 5.4.8.2 of the record: on a 56000 Mb/s link, vf 0 max_tx_rate 30000 min_tx_rate 25000 (VM01), vf 1
# 40000/35000 (VM02).
RECORD_LINE_RATE_MBPS = 56000
RECORD_VF_RATES_MBPS = ((30000, 25000), (40000, 35000))


def record_vf_rates(scale: float, line_rate_mbps: int) -> list[dict]:
    """The record's VF rates times ``scale``, rounded to whole Mbit/s, checked against ``line_rate_mbps``.

    Returns per VF ``vf``, ``max_tx_rate`` and ``min_tx_rate`` (Mbit/s, as ``ip link`` takes them) and
    ``max_tx_rate_bps``. A scale that rounds a rate to 0 (no limit) or puts one above the line rate fails.

    >>> [(r["max_tx_rate"], r["min_tx_rate"]) for r in record_vf_rates(1 / 5000, 10000)]
    [(6, 5), (8, 7)]
    """
    if not scale > 0:
        raise ValueError(f"VF 速率的比例 {scale} 应为正数")
    rates = []
    for vf, (max_rate, min_rate) in enumerate(RECORD_VF_RATES_MBPS):
        high, low = round(max_rate * scale), round(min_rate * scale)
        if low < 1 or high > line_rate_mbps:
            raise ValueError(
                f"按比例 {scale:g} 换算记录中 VF {vf} 的速率 {max_rate}/{min_rate} Mbps 得 {high}/{low} Mbps，"
                f"不在 1..{line_rate_mbps} Mbps（网卡线速）之内"
            )
        rates.append({"vf": vf, "max_tx_rate": high, "min_tx_rate": low, "max_tx_rate_bps": high * 1_000_000})
    return rates


@dataclass
class _Passthrough:
    vm: str
    mac: str
    ifname: str
    mac_before: str  # the VF's MAC before libvirt gave it the guest's (and puts back on detach)


@library(scope="GLOBAL", auto_keywords=False, converters=validate.CONVERTERS, listener=validate.ConversionMessages())
class SriovLibrary:
    """SR-IOV 网卡的关键字：VF 数量、VF 参数、PF 的链路与 MTU、网卡计数器、把 VF 直通给虚拟机。

    对应记录中的 5.4.2（SR-IOV 链路状态感知）、5.4.3、5.4.5.2、5.4.6.2（MTU）、5.4.7.2（VLAN 透传）、
    5.4.8.2（带宽分配比例）和 5.4.9.2（组播）。

    = PF 与主机 =
    PF 按实验环境描述中的名字给出（如 ``enP5p1s0`` ）。 ``host`` 不给时是 Hypervisor（Host B），
    需要时写 ``host=hosta`` 。PF 必须在实验环境描述中声明为 SR-IOV 网卡（ ``sriov: true`` ），否则关键字失败。

    = 证据 =
    每个设置都以 QA 工程师当时会敲的命令记入日志（ ``echo 2 > /sys/class/net/enP5p1s0/device/sriov_numvfs`` 、
    ``ip link set dev enP5p1s0 vf 0 vlan 100`` ），随后是带 VF 行的 ``ip link show dev <pf>`` （主机的 iproute2 支持
    时用 ``ip -j -d link`` ），与记录中一样。

    = 设置如何到达网卡 =
    由实验环境决定（lab seam），关键字本身不区分：
    - 真实实验环境：VF 数量经 SSH 写入 sysfs（ ``sriov_numvfs`` ）；每个 VF 设置是用 pyroute2 构造的 rtnetlink
      RTM_SETLINK，由主机上的一个小 python3 助手转发；设置后用 RTM_GETLINK 读回并核对。直通给虚拟机的 VF 是 libvirt
      的 ``<interface type='hostdev'>`` 。
    - 内嵌实验环境：本机没有 SR-IOV 网卡。PF 是真实的 veth，网卡内部的 eswitch 和 VF 是模拟的（隐藏的 OVS 网桥，
      VF 设置由 OpenFlow 规则与 meter 实现，见 ``netvirt.embedded.nicemu`` ），按内核文档规定的 VF 语义工作；
      直通给虚拟机的 VF 是一个 tap。关键字和判定方式与真实实验环境相同；依赖模拟行为的用例由 LabLibrary 标上
      ``emulated-nic`` 并在消息中注明【模拟】。

    = 错误输入 =
    VF 索引超出 VF 数量、VLAN 4095、qos 8、负的速率或超过网卡线速（取自实验环境描述）的速率、min 大于 max、未知的
    PF、已直通给某台虚拟机的 VF：关键字在改动任何东西之前失败，消息中写明出错的值。

    = 恢复 =
    关键字改过的每个 VF 参数、VF 数量、PF 链路状态和 MTU，以及直通给虚拟机的每个 VF，都会被记住；
    `恢复SR-IOV配置`（放在用例终程）把它们全部恢复。
    """

    def __init__(self) -> None:
        self._vms = VMLibrary()  # its keywords; the libvirt connection is the lab's, shared with VMLibrary
        self._vf_before: dict[tuple[str, str, int], VfState] = {}
        self._count_before: dict[tuple[str, str], int] = {}
        self._pf_before: dict[tuple[str, str], tuple[bool, int]] = {}
        self._passed: dict[tuple[str, str, int], _Passthrough] = {}

    # -- helpers ---------------------------------------------------------------------------------------
    def _nic(self, pf: str, host: str | None) -> SriovNic:
        lab = seam.current()
        return lab.sriov_nic(host or lab.spec.hypervisor, pf)

    @staticmethod
    def _key(nic: SriovNic) -> tuple[str, str]:
        return nic.host.lower(), nic.name

    @staticmethod
    def _log_typed(nic: SriovNic, command: str, seconds: float = 0.0, output: str = "") -> None:
        """The command a person would have typed, with how it reached the NIC."""
        evidence.command(CommandResult(nic.host, command, 0, output or f"（经{nic.via}执行）", "", seconds))

    def _show(self, nic: SriovNic) -> dict:
        """``ip -j -d link show dev <pf>`` where the host's iproute2 has JSON, else the text; logged, parsed."""
        reading = structured.read(nic.session, "ip", nic.ip_link_show, parse_ip_link_vfs_json, parse_ip_link_vfs)
        reading.log()
        if reading.value is None:
            raise SriovError(f"{nic.host} 上 {reading.result.command} 失败：{reading.result.stderr.strip()}")
        state = nic.backend_state()  # what the VF settings became inside the backend (an emulated eswitch)
        if state:
            logger.debug(state)
        return reading.value

    # -- VF count ----------------------------------------------------------------------------------------
    @keyword("设置VF数量")
    def set_vf_count(self, pf: str, count: int, host: str | None = None) -> list[dict]:
        """在 ``pf`` 上创建 ``count`` 个 VF（写 sriov_numvfs；0 表示删除全部 VF），返回每个 VF 的索引、PCI 地址、
        网络设备名和链路。

        对应记录 5.4.2.1、5.4.8.2 中的 ``echo 2 > /sys/class/net/<pf>/device/sriov_numvfs`` 。

        参数：
        - ``pf`` ：PF 名； ``count`` ：VF 个数，不能为负，也不能超过网卡的 ``sriov_totalvfs`` 和实验环境描述中的
          max_vfs；
        - ``host`` ：PF 所在主机，默认 Host B。

        检查：有 VF 还直通在虚拟机中时失败（先用 `从虚拟机收回VF`）；写入后等待驱动探测出每个新 VF（最多 30 秒），
        没出现则失败。新 VF 从驱动默认值开始，之前记住的 VF 参数随之作废。原来的 VF 数量由 `恢复SR-IOV配置` 恢复。
        返回值同 `显示VF网卡列表`。

        Example: | 设置VF数量 | enP5p1s0 | 2 |
        """
        nic = self._nic(pf, host)
        if count < 0:
            raise SriovError(f"VF 数量 {count} 不能为负")
        total = nic.total_vfs()
        limit = min(total, nic.nic.max_vfs)
        if count > limit:
            raise SriovError(
                f"{nic.host}:{nic.name} 最多 {limit} 个 VF（sriov_totalvfs={total}，实验环境描述 max_vfs="
                f"{nic.nic.max_vfs}），不能设置 {count} 个"
            )
        busy = [f"VF {vf}（{p.vm}）" for (h, n, vf), p in self._passed.items() if (h, n) == self._key(nic)]
        if busy:
            raise SriovError(f"{nic.host}:{nic.name} 的 {', '.join(busy)} 还直通在虚拟机中，先收回再改 VF 数量")
        current = nic.num_vfs()
        self._count_before.setdefault(self._key(nic), current)
        for result in nic.set_num_vfs(count):
            evidence.command(result)
        # New VFs start from the driver's defaults: what was remembered of the old ones is gone.
        for key in [k for k in self._vf_before if k[:2] == self._key(nic)]:
            del self._vf_before[key]
        for note in nic.notes():
            logger.info(note)
        self._wait_for_vfs(nic, count)
        return self.show_vf_devices(pf, host)

    @staticmethod
    def _wait_for_vfs(nic: SriovNic, count: int, timeout: float = 30) -> None:
        """The driver probes new VFs after sriov_numvfs is written: wait until each one is there."""
        deadline = time.monotonic() + timeout
        for vf in range(count):
            left = max(deadline - time.monotonic(), 0)
            what = f"{nic.host}:{nic.name} 的 VF {vf} 出现"
            wait_until(lambda vf=vf: nic.vf_device(vf), left, 0.5, what, retry_on=(SriovError,))

    @keyword("获取VF数量")
    def vf_count(self, pf: str, host: str | None = None) -> int:
        """返回 ``pf`` 当前的 VF 个数（sriov_numvfs），并在日志中写明 sriov_totalvfs。

        ``host`` 默认 Host B。

        Example: | ${n}= | 获取VF数量 | enP5p1s0 |
        """
        nic = self._nic(pf, host)
        count = nic.num_vfs()
        logger.info(f"{nic.host}:{nic.name} sriov_numvfs = {count}（sriov_totalvfs = {nic.total_vfs()}）")
        return count

    @keyword("显示VF网卡列表")
    def show_vf_devices(self, pf: str, host: str | None = None) -> list[dict]:
        """在日志中以表格列出 ``pf`` 的每个 VF，并返回它们： ``vf`` （索引）、 ``pci`` （PCI 地址）、
        ``netdev`` （网络设备名；直通给虚拟机时为 None）、 ``link`` （链路）。

        主机有 ``ibdev2netdev -v`` （Mellanox OFED）时也执行并记录，与记录中一样。 ``host`` 默认 Host B。

        Example: | @{vfs}= | 显示VF网卡列表 | enP5p1s0 |
        """
        nic = self._nic(pf, host)
        devices = [nic.vf_device(vf) for vf in range(nic.num_vfs())]
        rows = [(d.vf, d.pci, d.netdev or "（已直通给虚拟机）", d.link) for d in devices]
        evidence.table(["VF", "PCI 地址", "网络设备", "链路"], rows, f"{nic.host}:{nic.name} 的 VF")
        _, results = nic.port_map()
        for result in results:
            evidence.command(result)
        return [{"vf": d.vf, "pci": d.pci, "netdev": d.netdev, "link": d.link} for d in devices]

    # -- VF settings ----------------------------------------------------------------------------------
    @keyword("设置VF")
    def set_vf(
        self,
        pf: str,
        vf: int,
        mac: str | None = None,
        vlan: VlanOrZero = None,
        qos: int | None = None,
        vlan_protocol: VlanProtocol | None = None,
        max_tx_rate: int | None = None,
        min_tx_rate: int | None = None,
        link_state: LinkState | None = None,
        trust: bool | None = None,
        spoofchk: bool | None = None,
        host: str | None = None,
    ) -> dict:
        """按 ``ip link set dev <pf> vf N ...`` 的方式设置 ``pf`` 的 VF ``vf`` ，返回设置后 VF 的状态（同
        `获取VF状态`）。

        参数（只给要改的，至少一个）：
        - ``mac`` ：VF 的单播 MAC 地址；
        - ``vlan`` ：0..4094（0 表示不加标签），可带 ``qos`` 0..7 和 ``vlan_protocol`` （802.1Q 或 802.1ad）；
          只给 qos 或协议时沿用 VF 现有的 vlan；vlan 为 0 时不能设 qos 或 802.1ad；
        - ``max_tx_rate`` / ``min_tx_rate`` ：单位 Mbit/s（0 表示不限速），不超过网卡线速，min 不大于 max；
          只给其一时另一个保持不变（与 iproute2 相同）；
        - ``link_state`` ：auto（跟随 PF）、enable 或 disable；
        - ``trust`` / ``spoofchk`` ：开或关；
        - ``host`` ：默认 Host B。

        检查：所有参数在动网卡之前校验；设置后记录 ``ip link show dev <pf>`` ，并把读回的 VF 状态与期望逐项比较，
        不一致则失败并列出差异。原来的值由 `恢复SR-IOV配置` 恢复。对应记录 5.4.2.1（link-state）、5.4.7.2（vlan）、
        5.4.8.2（速率）、5.4.9.2（trust）中的 ``ip link set`` 命令。

        Example: | 设置VF | enP5p1s0 | 0 | vlan=100 |
        | 设置VF | enP4p1s0 | 1 | max_tx_rate=40000 | min_tx_rate=35000 |
        | 设置VF | enP5p1s0 | 0 | link_state=disable |
        """
        nic = self._nic(pf, host)
        wanted = VfChange(mac, vlan, qos, vlan_protocol, max_tx_rate, min_tx_rate, link_state, trust, spoofchk)
        num_vfs = nic.num_vfs()
        check_vf_index(nic.host, nic.name, vf, num_vfs)
        current = nic.link().vf(vf)
        change = check_change(nic.nic, nic.host, num_vfs, vf, wanted, current)
        passed = self._passed.get((*self._key(nic), vf))
        before = replace(current, mac=passed.mac_before) if passed else current
        self._vf_before.setdefault((*self._key(nic), vf), before)
        start = time.monotonic()
        notes = nic.set_vf(vf, change) or []
        self._log_typed(nic, ip_link_set_command(nic.name, vf, change), time.monotonic() - start)
        for note in notes:
            logger.info(note)
        self._show(nic)
        after = nic.link().vf(vf)
        expected = apply_change(current, change)
        differs = {
            k: (getattr(expected, k), getattr(after, k))
            for k in change.items()
            if getattr(after, k) is not None and getattr(after, k) != getattr(expected, k)
        }
        if differs:
            said = "，".join(f"{k} 期望 {want} 实际 {got}" for k, (want, got) in differs.items())
            raise AssertionError(f"{nic.host}:{nic.name} 的 VF {vf} 没有按设置生效：{said}")
        return after.as_dict()

    @keyword("获取VF状态")
    def vf_state(self, pf: str, vf: int, host: str | None = None) -> dict:
        """返回内核报告的 ``pf`` 的 VF ``vf`` 的状态：mac、vlan、qos、vlan_protocol、max_tx_rate、min_tx_rate、
        link_state、trust、spoofchk 等（字典）。

        只读取，不改动，也不记录命令。 ``host`` 默认 Host B。

        Example: | ${s}= | 获取VF状态 | enP5p1s0 | 0 |
        | Should Be Equal | ${s}[link_state] | auto |
        """
        nic = self._nic(pf, host)
        return nic.link().vf(vf).as_dict()

    @keyword("VF设置应为")
    def vf_should_be(self, pf: str, vf: int, host: str | None = None, **expected: str) -> None:
        """检查 ``pf`` 的 VF ``vf`` 的每个 ``名称=值`` （ ``expected`` ，按文本比较），有不符的就失败。

        日志中是“参数 / 期望 / 实际 / 符合”表格，不符的行标出。参数名不是 VF 状态中的字段（见 `获取VF状态`）
        时失败并列出可用的名称。 ``host`` 默认 Host B。

        Example: | VF设置应为 | enP5p1s0 | 0 | vlan=100 | link_state=auto | trust=False |
        """
        state = self.vf_state(pf, vf, host)
        unknown = [k for k in expected if k not in state]
        if unknown:
            raise SriovError(f"没有 VF 参数 {', '.join(unknown)}（可用：{', '.join(state)}）")
        rows = [(k, v, state[k], str(state[k]) == str(v)) for k, v in expected.items()]
        evidence.table(
            ["参数", "期望", "实际", "符合"],
            [(k, v, got, "是" if ok else "否") for k, v, got, ok in rows],
            f"{pf} VF {vf}",
            highlight=[(i, 3) for i, row in enumerate(rows) if not row[3]],
        )
        wrong = [f"{k}={got}（期望 {v}）" for k, v, got, ok in rows if not ok]
        if wrong:
            raise AssertionError(f"{pf} 的 VF {vf}：" + "，".join(wrong))

    @keyword("显示PF与VF")
    def show_pf(self, pf: str, host: str | None = None) -> dict:
        """执行并记录 ``ip link show dev <pf>`` （主机的 iproute2 支持 JSON 时用 ``ip -j -d link show`` ），
        返回解析结果：flags、mtu、state 以及 ``vfs`` （每个 VF 的设置）。

        命令失败时关键字失败。 ``host`` 默认 Host B。

        Example: | ${pf}= | 显示PF与VF | enP5p1s0 |
        """
        return self._show(self._nic(pf, host))

    @keyword("按记录比例计算VF速率")
    def vf_rates_from_record(self, pf: str, host: str | None = None) -> list[dict]:
        """返回记录 5.4.8.2 中的 VF 速率，按本实验环境能承载的比例换算。

        记录：链路 56000 Mb/s，vf 0 max_tx_rate 30000 min_tx_rate 25000，vf 1 为 40000/35000。

        比例取自实验环境描述的 params 中的 ``sriov_vf_rate_scale`` （一个系数，如虚拟机只能承载几十 Mbit/s 时用
        ``1 / 5000`` ）；没有时用 ``pf`` 的 ``speed_mbps`` / 56000（网卡线速占记录链路的份额）。
        各速率之间的比例保持与记录一致。

        返回 vf 0 和 vf 1 各自的 ``vf`` 、 ``max_tx_rate`` 、 ``min_tx_rate`` （Mbit/s）和 ``max_tx_rate_bps`` ；
        日志中以表格并列记录的值与本实验环境的值。换算后的速率为 0（即不限速）或超过网卡线速时失败。
        ``host`` 默认 Host B。

        Example: | ${rates}= | 按记录比例计算VF速率 | enP5p1s0 |
        | 设置VF | enP5p1s0 | 1 | max_tx_rate=${rates}[1][max_tx_rate] | min_tx_rate=${rates}[1][min_tx_rate] |
        """
        lab = seam.current()
        nic = lab.spec.host(host or lab.spec.hypervisor).nic(pf)
        scale = lab.spec.params.get("sriov_vf_rate_scale")
        if scale is None:
            scale = nic.speed_mbps / RECORD_LINE_RATE_MBPS
            source = f"网卡线速 {nic.speed_mbps} Mbps / 记录的线速 {RECORD_LINE_RATE_MBPS} Mbps"
        else:
            source = "实验环境参数 sriov_vf_rate_scale"
        try:
            rates = record_vf_rates(float(scale), nic.speed_mbps)
        except (TypeError, ValueError) as err:
            raise SriovError(f"无法为 {pf} 换算 VF 速率（{source}）：{err}") from None
        evidence.table(
            ["VF", "记录 max_tx_rate", "记录 min_tx_rate", "比例", "本实验环境 max_tx_rate", "本实验环境 min_tx_rate"],
            [
                (r["vf"], *record, f"{float(scale):.6g}", r["max_tx_rate"], r["min_tx_rate"])
                for r, record in zip(rates, RECORD_VF_RATES_MBPS, strict=True)
            ],
            f"5.4.8.2 的 VF 速率（Mbit/s），比例来自{source}",
        )
        return rates

    # -- the PF's link ------------------------------------------------------------------------------------
    def _remember_pf(self, nic: SriovNic) -> None:
        if self._key(nic) not in self._pf_before:
            link = nic.link()
            self._pf_before[self._key(nic)] = (link.up, link.mtu)

    @keyword("设置PF链路状态")
    def set_pf_link(self, pf: str, state: UpDown, host: str | None = None) -> None:
        """把 ``pf`` 设为 up 或 down（ ``ip link set dev <pf> up|down`` ），link-state 为 auto 的 VF 随之变化。

        对应记录 5.4.2.1 中的“down 掉 PF”。 ``state`` 只能是 up 或 down。设置后记录 ``ip link show dev <pf>`` ；
        原来的状态由 `恢复SR-IOV配置` 恢复。 ``host`` 默认 Host B。

        Example: | 设置PF链路状态 | enP5p1s0 | down |
        """
        nic = self._nic(pf, host)
        self._remember_pf(nic)
        start = time.monotonic()
        nic.set_pf_up(state == "up")
        self._log_typed(nic, shlex.join(["ip", "link", "set", "dev", nic.name, state]), time.monotonic() - start)
        self._show(nic)

    @keyword("设置PF的MTU")
    def set_pf_mtu(self, pf: str, mtu: Mtu, host: str | None = None) -> None:
        """设置 ``pf`` 的 MTU（ ``ip link set dev <pf> mtu N`` ），范围 68..9216（网卡端口的上限）。

        对应记录 5.4.6.2。设置后执行并记录 ``ip link show dev <pf>`` ，读回的 MTU 与设置值不同则失败。
        原来的 MTU 由 `恢复SR-IOV配置` 恢复。 ``host`` 默认 Host B。

        Example: | 设置PF的MTU | enP5p1s0 | 4000 |
        """
        nic = self._nic(pf, host)
        self._remember_pf(nic)
        start = time.monotonic()
        nic.set_pf_mtu(mtu)
        self._log_typed(
            nic, shlex.join(["ip", "link", "set", "dev", nic.name, "mtu", str(mtu)]), time.monotonic() - start
        )
        found = self._show(nic)
        if found["mtu"] != mtu:
            raise AssertionError(f"{nic.host}:{nic.name} 的 MTU 是 {found['mtu']}，设置的是 {mtu}")

    # -- what the NIC says --------------------------------------------------------------------------------
    @keyword("获取网卡驱动信息")
    def driver_info(self, pf: str, host: str | None = None) -> dict:
        """执行并记录 ``ethtool -i <pf>`` ，返回解析结果：driver、version、firmware-version、bus-info 等。

        内嵌实验环境的模拟网卡还带 ``eswitch`` 和 ``model`` 两项，说明它是模拟的。 ``host`` 默认 Host B。

        Example: | ${info}= | 获取网卡驱动信息 | enP5p1s0 |
        """
        nic = self._nic(pf, host)
        info, results = nic.driver_info()
        for result in results:
            evidence.command(result)
        if "eswitch" in info:
            logger.info(f"eswitch：{info['eswitch']}")
        return info

    @keyword("获取网卡计数器")
    def nic_counters(self, pf: str, host: str | None = None) -> dict:
        """执行并记录网卡自己的计数器（ ``ethtool -S <pf>`` ），返回 ``{计数器名: 值}`` ，
        如 rx_vport_multicast_packets。

        对应记录 5.4.9.2 中用网卡计数器确认组播包到达。内嵌实验环境的模拟网卡的计数器来自其 eswitch 的流表计数，
        日志中的命令会注明。真实主机上读不到计数器时失败。 ``host`` 默认 Host B。

        Example: | ${c}= | 获取网卡计数器 | enP5p1s0 |
        """
        nic = self._nic(pf, host)
        values, results = nic.counters()
        for result in results:
            evidence.command(result)
        return values

    @keyword("网卡计数器增量应至少")
    def counter_increase_at_least(self, before: dict, after: dict, counter: str, minimum: int) -> int:
        """检查计数器 ``counter`` 在两次 `获取网卡计数器` 的读数 ``before`` 与 ``after`` 之间至少增加了
        ``minimum`` ，返回增量。

        日志中是“计数器 / 之前 / 之后 / 增量 / 期望至少”表格。网卡没有这个计数器时失败并列出现有的计数器；
        增量不足时失败。

        Example: | 网卡计数器增量应至少 | ${before} | ${after} | rx_vport_multicast_packets | 20 |
        """
        if counter not in after or counter not in before:
            raise SriovError(f"网卡没有计数器 {counter}（现有：{', '.join(sorted(after)) or '无'}）")
        grown = after[counter] - before[counter]
        evidence.table(
            ["计数器", "之前", "之后", "增量", "期望至少"],
            [(counter, before[counter], after[counter], grown, minimum)],
            highlight=[] if grown >= minimum else [(0, 3)],
        )
        if grown < minimum:
            raise AssertionError(f"网卡计数器 {counter} 只增加了 {grown}，期望至少 {minimum}")
        return grown

    @keyword("以网卡信息说明失败")
    def fail_with_nic_info(self, pf: str, *explanation: str, host: str | None = None) -> None:
        """让用例失败，消息是 ``explanation`` （各部分直接拼接）加上网卡的驱动和固件（来自 ``ethtool -i`` ，
        同 `获取网卡驱动信息`）。

        用于网卡上的问题：消息说明是哪个驱动和固件版本上出现的（如记录 5.4.2.1、5.4.7.2 的 FAIL 分析）。
        ``host`` 默认 Host B，须以 ``host=`` 给出。

        Example: | 以网卡信息说明失败 | enP5p1s0 | VF 的 link-state 为 auto 时 VM 没有感知 PF 的 link down |
        """
        nic = self._nic(pf, host)
        info = self.driver_info(pf, host)
        raise AssertionError(f"{''.join(explanation)}\n网卡 {nic.host}:{nic.name}：{describe_driver(info)}")

    # -- VFs given to VMs ---------------------------------------------------------------------------------
    @staticmethod
    def default_mac(host: str, pf: str, vf: int) -> str:
        digest = hashlib.sha1(f"{host.lower()}/{pf}/{vf}".encode()).digest()
        return "52:54:00:" + ":".join(f"{b:02x}" for b in digest[:3])

    def _holder(self, nic: SriovNic, vf: int) -> str | None:
        """The VM (of the lab description) that has VF ``vf`` of ``nic``, if any."""
        passed = self._passed.get((*self._key(nic), vf))
        if passed:
            return passed.vm
        pci = nic.vf_device(vf).pci
        lab = seam.current()
        for vm in lab.spec.vms:
            domain = lab.domain_name(vm)
            if self._vms.hypervisor.exists(domain):
                if any(i["source"] == pci for i in self._vms.hypervisor.interfaces(domain)):
                    return vm.name
        return None

    @keyword("把VF直通给虚拟机")
    def pass_vf_to_vm(self, vm: str, pf: str, vf: int, guest_ifname: str, mac: str | None = None) -> str:
        """把 Host B 上 ``pf`` 的 VF ``vf`` 直通给虚拟机 ``vm`` （记录中的“Add PCI Host Device”），
        返回它在虚拟机中的网卡名。

        参数： ``guest_ifname`` 是虚拟机中网卡的名字（记录中的 enp4s0/enp5s0）； ``mac`` 是给 VF 的 MAC，
        不给时由主机、PF 和 VF 索引算出一个固定的 52:54:00 开头的地址。

        真实实验环境：VF 以 ``<interface type='hostdev'>`` （带 VF 的 PCI 地址）挂到虚拟机上，
        由 libvirt 给它设置 ``mac`` ；内嵌实验环境：模拟 VF 以 tap 挂上。两者都按 ``mac`` 在虚拟机中找到网卡并命名为
        ``guest_ifname`` ，然后在虚拟机中 ``ip link set dev <网卡> up`` 。

        检查：虚拟机、网卡名、MAC 和 VF 索引先校验；VF 已直通给别的虚拟机时拒绝并写明是哪台。
        `恢复SR-IOV配置` 会把它收回。

        Example: | ${if}= | 把VF直通给虚拟机 | vm01 | enP5p1s0 | 0 | enp5s0 |
        """
        lab = seam.current()
        nic = self._nic(pf, None)
        validate.netdev_name(guest_ifname, "虚拟机中的接口名")
        lab.spec.vm(vm)
        check_vf_index(nic.host, nic.name, vf, nic.num_vfs())
        holder = self._holder(nic, vf)
        if holder:
            raise SriovError(f"{nic.host}:{nic.name} 的 VF {vf} 已直通给 {holder}，不能再给 {vm}")
        mac = validate.mac(mac or self.default_mac(nic.host, nic.name, vf), "VF 的 MAC 地址", unicast=True)
        mac_before = nic.link().vf(vf).mac
        kind, port = nic.vf_vnic(vf, mac)
        try:
            # As the guest's network service would: the VF's NIC up, so its carrier is what the VF says.
            ifname = self._vms.attach_nic(vm, kind, port, mac, guest_ifname, up=True)
            domain = lab.domain_name(lab.spec.vm(vm))
            nic.vf_plugged(vf, vm, domain, mac, ifname)
        except Exception:
            nic.vf_unplugged(vf)
            raise
        self._passed[(*self._key(nic), vf)] = _Passthrough(vm, mac, ifname, mac_before)
        for note in nic.notes():
            logger.info(note)
        self._show(nic)
        return ifname

    @keyword("从虚拟机收回VF")
    def take_vf_back(self, vm: str, pf: str, vf: int) -> None:
        """从虚拟机 ``vm`` 上卸下 ``pf`` 的 VF ``vf`` ，VF 回到 Host B 的驱动。

        只能收回本库用 `把VF直通给虚拟机` 直通给这台虚拟机的 VF；否则失败，并说明它在哪台虚拟机上或本库没有直通过
        它。

        Example: | 从虚拟机收回VF | vm01 | enP5p1s0 | 0 |
        """
        nic = self._nic(pf, None)
        key = (*self._key(nic), vf)
        passed = self._passed.get(key)
        if not passed or passed.vm.lower() != vm.lower():
            have = f"（它在 {passed.vm} 上）" if passed else "（本库没有直通过它）"
            raise SriovError(f"{vm} 没有 {nic.host}:{nic.name} 的 VF {vf}{have}")
        try:
            self._vms.detach_nic(vm, passed.mac)
        finally:
            nic.vf_unplugged(vf)
            del self._passed[key]

    @keyword("虚拟机网卡链路应为")
    def guest_link_should_be(self, vm: str, interface: str, state: UpDown, timeout: float | None = None) -> dict:
        """等待虚拟机 ``vm`` 中的网卡 ``interface`` 变为有载波（ ``state`` 为 up：LOWER_UP 且无 NO-CARRIER）
        或无载波（down），最多 ``timeout`` 秒（缺省取实验环境参数 ``vf_link_timeout`` ，没有时 10 秒），
        返回解析后的链路。

        对应记录 5.4.2.1 中在虚拟机里看 VF 的链路是否跟随 PF。记录虚拟机中的 ``ip link show dev <网卡>`` （虚拟机支
        持时用 ``ip -j`` ）；超时仍不是期望的状态则失败，消息写明看到的状态。

        Example: | 虚拟机网卡链路应为 | vm01 | enp5s0 | down |
        """
        lab = seam.current()
        session = lab.session(vm)
        dev = validate.netdev_name(interface)
        if timeout is None:
            timeout = float(lab.spec.param("vf_link_timeout"))  # declared default: 10 s

        def show(json: bool) -> CommandResult:
            return session.run(shlex.join(["ip", *(["-j"] if json else []), "link", "show", "dev", dev]), timeout=30)

        deadline = time.monotonic() + timeout
        while True:
            reading = structured.read(session, "ip", show, parse_ip_link_json, parse_ip_links)
            link = reading.value[0] if reading.value else None
            carrier = bool(link) and "LOWER_UP" in link["flags"] and "NO-CARRIER" not in link["flags"]
            if link and carrier == (state == "up"):
                reading.log()
                return link
            if time.monotonic() > deadline:
                reading.log()
                seen = "UP（有载波）" if carrier else "DOWN（NO-CARRIER）"
                raise AssertionError(f"{vm} 中 {interface} 在 {timeout:g} 秒后仍为 {seen}，期望 {state}")
            time.sleep(0.3)

    # -- restoring ---------------------------------------------------------------------------------------
    @keyword("恢复SR-IOV配置")
    def restore(self) -> None:
        """恢复本库改过的全部 SR-IOV 配置：收回直通给虚拟机的 VF，恢复 VF 参数、VF 数量、PF 的链路状态和 MTU。

        某一步失败时其余步骤照常执行，最后一并报告失败的步骤。放在用例终程。

        Example: | [终程] | 恢复SR-IOV配置 |
        """
        failures: list[str] = []

        def attempt(what: str, action, *args) -> None:
            try:
                action(*args)
            except Exception as err:  # keep restoring the rest; report them all at the end
                failures.append(f"{what}：{err}")

        for (_host, pf, vf), passed in list(self._passed.items()):
            attempt(f"收回 {pf} VF {vf}", self.take_vf_back, passed.vm, pf, vf)
        for (host, pf, vf), before in sorted(self._vf_before.items()):
            attempt(f"恢复 {host}:{pf} VF {vf}", self._restore_vf, host, pf, vf, before)
        self._vf_before.clear()
        for (host, pf), count in self._count_before.items():
            attempt(f"恢复 {host}:{pf} 的 VF 数量", self._restore_count, host, pf, count)
        self._count_before.clear()
        for (host, pf), (up, mtu) in self._pf_before.items():
            attempt(f"恢复 {host}:{pf} 的链路与 MTU", self._restore_pf, host, pf, up, mtu)
        self._pf_before.clear()
        if failures:
            raise RuntimeError("SR-IOV 配置没能全部恢复：\n" + "\n".join(failures))

    def _restore_vf(self, host: str, pf: str, vf: int, before: VfState) -> None:
        nic = self._nic(pf, host)
        if vf >= nic.num_vfs():
            return
        change = restoring_change(before, nic.link().vf(vf))
        if change.items():
            nic.set_vf(vf, change)
            self._log_typed(nic, ip_link_set_command(nic.name, vf, change))

    def _restore_count(self, host: str, pf: str, count: int) -> None:
        nic = self._nic(pf, host)
        if nic.num_vfs() != count:
            for result in nic.set_num_vfs(count):
                evidence.command(result)

    def _restore_pf(self, host: str, pf: str, up: bool, mtu: int) -> None:
        nic = self._nic(pf, host)
        link = nic.link()
        if link.mtu != mtu:
            nic.set_pf_mtu(mtu)
            self._log_typed(nic, shlex.join(["ip", "link", "set", "dev", nic.name, "mtu", str(mtu)]))
        if link.up != up:
            nic.set_pf_up(up)
            self._log_typed(nic, shlex.join(["ip", "link", "set", "dev", nic.name, "up" if up else "down"]))
