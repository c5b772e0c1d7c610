"""Robot keywords for SR-IOV NICs: VF count, VF settings, the PF's link, VFs passed through to VMs.

= PF and host =
A PF is named as in the lab description (``enP5p1s0``, or its PCI address); ``host`` is
the hypervisor (Host B) unless given (``host=hosta``).

= Evidence =
Each setting is logged as the command a QA engineer would have typed for it
(``echo 2 > /sys/class/net/enP5p1s0/device/sriov_numvfs``, ``ip link set dev enP5p1s0 vf 0
vlan 100``), followed by ``ip link show dev <pf>`` with the VF lines, as in the record.

= How settings reach the NIC =
The lab decides (the lab seam): on a real host the VF count is written to sysfs over SSH and
every VF setting is an rtnetlink RTM_SETLINK built with pyroute2 and relayed by a small
python3 helper on the host; the state is read back (RTM_GETLINK) and checked. The embedded lab
has no SR-IOV NIC: its NICs' embedded switches are emulated (see ``netvirt.embedded.nicemu``)
with the kernel's documented VF semantics; the keywords and verdicts are the same.

= Bad input =
A VF index beyond the VF count, VLAN 4095, qos 8, negative rates or rates above the NIC's
line rate (from the lab description), min above max, an unknown PF, a VF already given to a
VM: the keyword fails naming the value and nothing is changed.

= Restoring =
Every VF setting, VF count, PF link state and MTU a keyword changes, and every VF it passes
to a VM, is remembered; ``恢复SR-IOV配置`` (a test teardown) puts them all back.
"""

from __future__ import annotations

import hashlib
import shlex
import time
from dataclasses import dataclass, replace
from typing import Literal

from robot.api import logger
from robot.api.deco import keyword, library

from netvirt import evidence, seam, structured
from netvirt.parsers.net import parse_ip_link_json, parse_ip_link_vfs, parse_ip_link_vfs_json, parse_ip_links
from netvirt.sriov import (
    LinkState,
    SriovError,
    SriovNic,
    VfChange,
    VfState,
    apply_change,
    check_change,
    check_ifname,
    check_mac,
    check_vf_index,
    describe_driver,
    ip_link_set_command,
    restoring_change,
)
from netvirt.ssh import CommandResult
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


@library(scope="GLOBAL", auto_keywords=False)
class SriovLibrary:
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
        """Create ``count`` VFs on ``pf`` (sriov_numvfs; 0 removes them); return the VFs' PCI addresses and netdevs.

        ``count`` must not exceed the NIC's ``sriov_totalvfs`` nor the lab description's max_vfs.
        VFs given to VMs must be taken back first. The old count is restored by 恢复SR-IOV配置.

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
        """Return the number of VFs of ``pf`` (sriov_numvfs).

        Example: | ${n}= | 获取VF数量 | enP5p1s0 |
        """
        nic = self._nic(pf, host)
        count = nic.num_vfs()
        logger.info(f"{nic.host}:{nic.name} sriov_numvfs = {count}（sriov_totalvfs = {nic.total_vfs()}）")
        return count

    @keyword("显示VF网卡列表")
    def show_vf_devices(self, pf: str, host: str | None = None) -> list[dict]:
        """Log and return each VF of ``pf``: index, PCI address, netdev (None when a VM has it) and link.

        Also logs ``ibdev2netdev -v`` where the host has it (Mellanox OFED), as the record does.

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
        vlan: int | None = None,
        qos: int | None = None,
        vlan_protocol: VlanProtocol | None = None,
        max_tx_rate: int | None = None,
        min_tx_rate: int | None = None,
        link_state: LinkState | None = None,
        trust: bool | None = None,
        spoofchk: bool | None = None,
        host: str | None = None,
    ) -> dict:
        """Set VF ``vf`` of ``pf`` as ``ip link set dev <pf> vf N ...`` does; return the VF's state after.

        ``vlan`` 0..4094 (0: no tag) with ``qos`` 0..7 and ``vlan_protocol`` 802.1Q or 802.1ad;
        ``max_tx_rate``/``min_tx_rate`` in Mbit/s (0: no limit), at most the NIC's line rate;
        ``link_state`` auto (follows the PF), enable or disable; ``trust``/``spoofchk`` on or off.
        Everything is checked before the NIC is touched; the state is read back and compared.

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
        """Return VF ``vf`` of ``pf`` as the kernel reports it: mac, vlan, qos, vlan_protocol, rates, link_state ...

        Example: | ${s}= | 获取VF状态 | enP5p1s0 | 0 |
        | Should Be Equal | ${s}[link_state] | auto |
        """
        nic = self._nic(pf, host)
        return nic.link().vf(vf).as_dict()

    @keyword("VF设置应为")
    def vf_should_be(self, pf: str, vf: int, host: str | None = None, **expected: str) -> None:
        """Fail unless VF ``vf`` has each ``name=value`` in ``expected`` (values compared as text).

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
        """Run and log ``ip link show dev <pf>``; return it parsed (flags, mtu, state, and ``vfs``).

        Example: | ${pf}= | 显示PF与VF | enP5p1s0 |
        """
        return self._show(self._nic(pf, host))

    @keyword("按记录比例计算VF速率")
    def vf_rates_from_record(self, pf: str, host: str | None = None) -> list[dict]:
        """Return the VF rates of the record's 5.4.8.2, scaled to what this lab can carry.

        The record: a 56000 Mb/s link, vf 0 max_tx_rate 30000 min_tx_rate 25000, vf 1 40000/35000.
        The scale comes from the lab description's params: ``sriov_vf_rate_scale`` (a factor, e.g.
        ``1 / 5000`` for guests that carry tens of Mbit/s), else the NIC's share of the record's link,
        ``speed_mbps`` of ``pf`` / 56000 (the record's rates on its own 56G lab). The ratios between
        the rates stay the record's. Returns, for vf 0 and vf 1, ``max_tx_rate`` and ``min_tx_rate``
        (Mbit/s) and ``max_tx_rate_bps``; the record's and the lab's values are logged side by side.

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
        """Bring ``pf`` up or down (``ip link set dev <pf> up|down``); VFs with link-state auto follow.

        Example: | 设置PF链路状态 | enP5p1s0 | down |
        """
        nic = self._nic(pf, host)
        self._remember_pf(nic)
        start = time.monotonic()
        nic.set_pf_up(state == "up")
        self._log_typed(nic, shlex.join(["ip", "link", "set", "dev", nic.name, state]), time.monotonic() - start)
        self._show(nic)

    @keyword("设置PF的MTU")
    def set_pf_mtu(self, pf: str, mtu: int, host: str | None = None) -> None:
        """Set the MTU of ``pf`` (``ip link set dev <pf> mtu N``), 68..9216.

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
        """Return and log ``ethtool -i <pf>``: driver, version, firmware-version, bus-info ...

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
        """Return and log the NIC's own counters (``ethtool -S <pf>``), e.g. rx_vport_multicast_packets.

        Example: | ${c}= | 获取网卡计数器 | enP5p1s0 |
        """
        nic = self._nic(pf, host)
        values, results = nic.counters()
        for result in results:
            evidence.command(result)
        return values

    @keyword("网卡计数器增量应至少")
    def counter_increase_at_least(self, before: dict, after: dict, counter: str, minimum: int) -> int:
        """Fail unless ``counter`` grew by at least ``minimum`` between two 获取网卡计数器 readings; return the growth.

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
        """Fail with ``explanation`` (its parts joined) and the NIC's driver and firmware (``ethtool -i``).

        For a finding on the NIC: the message says which driver and firmware showed it.

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
        """Give VF ``vf`` of Host B's ``pf`` to ``vm`` ("Add PCI Host Device"); return its name in the guest.

        On a real lab the VF is an ``<interface type='hostdev'>`` with its PCI address (libvirt
        gives it ``mac``); the guest NIC is found by ``mac`` and named ``guest_ifname`` (the
        record's enp4s0/enp5s0). A VF another VM has is refused.

        Example: | ${if}= | 把VF直通给虚拟机 | vm01 | enP5p1s0 | 0 | enp5s0 |
        """
        lab = seam.current()
        nic = self._nic(pf, None)
        check_ifname(guest_ifname)
        lab.spec.vm(vm)
        check_vf_index(nic.host, nic.name, vf, nic.num_vfs())
        holder = self._holder(nic, vf)
        if holder:
            raise SriovError(f"{nic.host}:{nic.name} 的 VF {vf} 已直通给 {holder}，不能再给 {vm}")
        mac = check_mac(mac or self.default_mac(nic.host, nic.name, vf))
        mac_before = nic.link().vf(vf).mac
        kind, port = nic.vf_vnic(vf, mac)
        try:
            ifname = self._vms.attach_nic(vm, kind, port, mac, guest_ifname)
            domain = lab.domain_name(lab.spec.vm(vm))
            nic.vf_plugged(vf, vm, domain, mac, ifname)
        except Exception:
            nic.vf_unplugged(vf)
            raise
        self._passed[(*self._key(nic), vf)] = _Passthrough(vm, mac, ifname, mac_before)
        # As the guest's network service would: the VF's NIC up, so its carrier is what the VF says.
        evidence.command(lab.session(vm).run(shlex.join(["ip", "link", "set", "dev", ifname, "up"]), timeout=30))
        for note in nic.notes():
            logger.info(note)
        self._show(nic)
        return ifname

    @keyword("从虚拟机收回VF")
    def take_vf_back(self, vm: str, pf: str, vf: int) -> None:
        """Detach VF ``vf`` of ``pf`` from ``vm``; the VF goes back to Host B's driver.

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
    def guest_link_should_be(self, vm: str, interface: str, state: UpDown, timeout: float = 10) -> dict:
        """Wait up to ``timeout`` s until ``interface`` in ``vm`` has carrier (up) or NO-CARRIER (down).

        The guest's ``ip link show dev <if>`` is logged; returns it parsed.

        Example: | 虚拟机网卡链路应为 | vm01 | enp5s0 | down |
        """
        session = seam.current().session(vm)
        dev = check_ifname(interface)

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
        """Put back everything SR-IOV this library changed: VFs given to VMs, VF settings, VF counts, PF link and MTU.

        Runs every step even if one fails, then reports the failures.

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
