"""SR-IOV on a PF: validated VF settings, their text forms, and what a VF backend offers (``SriovNic``).

A VF setting is what ``ip link set dev <pf> vf N ...`` takes: mac, vlan with qos and vlan
protocol, max_tx_rate/min_tx_rate (Mbps), link state auto/enable/disable, trust, spoofchk.
``check_change`` refuses bad values against the NIC (VF index within the VF count, VLAN
0..4094, qos 0..7, rates within the line rate of the lab description, min <= max) before
anything is sent, so a refused change leaves the NIC as it was.

``SriovNic`` is the contract the keyword library talks to; the lab seam hands out one per PF:
``netvirt.sriov_netlink.NetlinkNic`` on a real lab (sysfs over SSH for the VF count, rtnetlink
through ``netvirt.rtnl`` for everything else) and the emulated NIC of the embedded lab
(``netvirt.embedded.nicemu.EmulatedNic``, which drives its PF through a ``NetlinkNic``), with the
same methods and the same semantics. This module imports no backend.
"""

from __future__ import annotations

import shlex
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from typing import TYPE_CHECKING, Any

from netvirt import validate
from netvirt.labspec import Nic

if TYPE_CHECKING:
    from netvirt.ssh import CommandResult, SshSession

ZERO_MAC = "00:00:00:00:00:00"
VLAN_PROTOCOLS = {"802.1Q": 0x8100, "802.1ad": 0x88A8}  # their ethertypes (TPID)
PROTOCOL_NAMES = {v: k for k, v in VLAN_PROTOCOLS.items()}


class SriovError(ValueError):
    """A VF setting or SR-IOV operation refused before anything changed; the message names it."""


class LinkState(Enum):
    """A VF's administrative link state (IFLA_VF_LINK_STATE_*): auto follows the PF's link."""

    auto = 0
    enable = 1
    disable = 2


@dataclass(frozen=True)
class VfState:
    """A VF as ``ip link show dev <pf>`` shows it (rates in Mbps; None: the driver does not say)."""

    vf: int
    mac: str = ZERO_MAC
    vlan: int = 0
    qos: int = 0
    vlan_protocol: str = "802.1Q"
    max_tx_rate: int = 0
    min_tx_rate: int = 0
    spoofchk: bool | None = False
    link_state: LinkState = LinkState.auto
    trust: bool | None = False
    query_rss: bool | None = False

    def as_dict(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["link_state"] = self.link_state.name
        return values


@dataclass(frozen=True)
class VfChange:
    """The VF settings a keyword asks for; None means "leave as it is"."""

    mac: str | None = None
    vlan: int | None = None
    qos: int | None = None
    vlan_protocol: str | None = None
    max_tx_rate: int | None = None
    min_tx_rate: int | None = None
    link_state: LinkState | None = None
    trust: bool | None = None
    spoofchk: bool | None = None

    def items(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @property
    def touches_vlan(self) -> bool:
        return any(v is not None for v in (self.vlan, self.qos, self.vlan_protocol))

    @property
    def touches_rate(self) -> bool:
        return self.max_tx_rate is not None or self.min_tx_rate is not None


@dataclass
class PfLink:
    """The PF as netlink reports it, with its VFs."""

    host: str
    name: str
    mtu: int
    up: bool
    lower_up: bool
    operstate: str
    mac: str
    num_vfs: int
    vfs: list[VfState] = field(default_factory=list)

    def vf(self, index: int) -> VfState:
        for state in self.vfs:
            if state.vf == index:
                return state
        raise SriovError(f"{self.host}:{self.name} 没有报告 VF {index} 的状态（共 {len(self.vfs)} 个 VF）")


@dataclass(frozen=True)
class VfDevice:
    """Where VF ``vf`` of a PF lives: its PCI address and, when the host driver has it, its netdev."""

    vf: int
    pci: str
    netdev: str | None
    link: str = "Down"


# -- validation ---------------------------------------------------------------------------------


def check_vf_index(host: str, pf: str, vf: int, num_vfs: int) -> int:
    if isinstance(vf, bool) or not isinstance(vf, int) or vf < 0:
        raise SriovError(f"VF 索引 {vf!r} 不合法（应为非负整数）")
    if vf >= num_vfs:
        have = f"只有 {num_vfs} 个 VF（0..{num_vfs - 1}）" if num_vfs else "还没有 VF（先设置VF数量）"
        raise SriovError(f"VF {vf} 不存在：{host}:{pf} {have}")
    return vf


def check_change(nic: Nic, host: str, num_vfs: int, vf: int, change: VfChange, current: VfState) -> VfChange:
    """Refuse a bad change; return it completed the way iproute2 completes it.

    Like ``ip link set ... vf N max_tx_rate X``, a rate change keeps the other rate as it is,
    and a qos or vlan protocol without a vlan keeps the VF's vlan.
    """
    check_vf_index(host, nic.name, vf, num_vfs)
    if not change.items():
        raise SriovError(f"没有给出要设置的 VF 参数（可用：{', '.join(f.name for f in fields(VfChange))}）")
    if change.mac is not None:
        change = replace(change, mac=validate.mac(change.mac, "VF 的 MAC 地址", unicast=True))
    if change.touches_vlan:
        vlan = current.vlan if change.vlan is None else change.vlan
        qos = current.qos if change.qos is None else change.qos
        proto = current.vlan_protocol if change.vlan_protocol is None else change.vlan_protocol
        vlan = validate.vlan(vlan, allow_zero=True)
        if not 0 <= qos <= 7:
            raise SriovError(f"qos {qos} 超出范围 0..7（802.1p 优先级）")
        if proto not in VLAN_PROTOCOLS:
            raise SriovError(f"VLAN 协议 {proto!r} 不支持（可用：{', '.join(VLAN_PROTOCOLS)}）")
        if vlan == 0 and (qos or proto != "802.1Q"):
            raise SriovError(f"VLAN 为 0（不加标签）时不能设置 qos {qos} 或协议 {proto}")
        change = replace(change, vlan=vlan, qos=qos, vlan_protocol=proto)
    if change.touches_rate:
        top = current.max_tx_rate if change.max_tx_rate is None else change.max_tx_rate
        low = current.min_tx_rate if change.min_tx_rate is None else change.min_tx_rate
        for name, rate in (("max_tx_rate", top), ("min_tx_rate", low)):
            if rate < 0:
                raise SriovError(f"{name} {rate} Mbps 不能为负")
            if rate > nic.speed_mbps:
                raise SriovError(f"{name} {rate} Mbps 超过 {host}:{nic.name} 的线速 {nic.speed_mbps} Mbps")
        if top and low > top:
            raise SriovError(f"min_tx_rate {low} Mbps 大于 max_tx_rate {top} Mbps")
        change = replace(change, max_tx_rate=top, min_tx_rate=low)
    return change


def apply_change(state: VfState, change: VfChange) -> VfState:
    """The VF after ``change`` (a checked change)."""
    return replace(state, **change.items())


def restoring_change(before: VfState, after: VfState) -> VfChange:
    """The change that puts a VF back from ``after`` to ``before`` (only what differs)."""
    values: dict[str, Any] = {}
    if before.mac != after.mac:
        values["mac"] = before.mac
    if (before.vlan, before.qos, before.vlan_protocol) != (after.vlan, after.qos, after.vlan_protocol):
        values.update(vlan=before.vlan, qos=before.qos, vlan_protocol=before.vlan_protocol)
    if (before.max_tx_rate, before.min_tx_rate) != (after.max_tx_rate, after.min_tx_rate):
        values.update(max_tx_rate=before.max_tx_rate, min_tx_rate=before.min_tx_rate)
    for name in ("link_state", "trust", "spoofchk"):
        if getattr(before, name) != getattr(after, name) and getattr(before, name) is not None:
            values[name] = getattr(before, name)
    return VfChange(**values)


# -- the record's text ----------------------------------------------------------------------------


def ip_link_set_command(pf: str, vf: int, change: VfChange) -> str:
    """The ``ip link set dev <pf> vf N ...`` a person would type for ``change``."""
    argv = ["ip", "link", "set", "dev", pf, "vf", str(vf)]
    if change.mac is not None:
        argv += ["mac", change.mac]
    if change.vlan is not None:
        argv += ["vlan", str(change.vlan)]
        if change.qos:
            argv += ["qos", str(change.qos)]
        if change.vlan_protocol and change.vlan_protocol != "802.1Q":
            argv += ["proto", change.vlan_protocol]
    if change.max_tx_rate is not None:
        argv += ["max_tx_rate", str(change.max_tx_rate)]
    if change.min_tx_rate is not None:
        argv += ["min_tx_rate", str(change.min_tx_rate)]
    if change.spoofchk is not None:
        argv += ["spoofchk", "on" if change.spoofchk else "off"]
    if change.link_state is not None:
        argv += ["state", change.link_state.name]
    if change.trust is not None:
        argv += ["trust", "on" if change.trust else "off"]
    return shlex.join(argv)


def format_vf_line(state: VfState) -> str:
    """One VF line as iproute2 6.1 prints it under ``ip link show dev <pf>``."""
    parts = [f"    vf {state.vf}     link/ether {state.mac} brd ff:ff:ff:ff:ff:ff"]
    if state.vlan:
        parts.append(f"vlan {state.vlan}")
        if state.qos:
            parts.append(f"qos {state.qos}")
        if state.vlan_protocol != "802.1Q":
            parts.append(f"vlan protocol {state.vlan_protocol}")
    if state.max_tx_rate:
        parts.append(f"tx rate {state.max_tx_rate} (Mbps)")
        parts.append(f"max_tx_rate {state.max_tx_rate}Mbps")
    if state.min_tx_rate:
        parts.append(f"min_tx_rate {state.min_tx_rate}Mbps")
    for name, label in (("spoofchk", "spoof checking"),):
        if getattr(state, name) is not None:
            parts.append(f"{label} {'on' if getattr(state, name) else 'off'}")
    parts.append(f"link-state {state.link_state.name}")
    for name in ("trust", "query_rss"):
        if getattr(state, name) is not None:
            parts.append(f"{name} {'on' if getattr(state, name) else 'off'}")
    return ", ".join(parts)


def format_vf_json(state: VfState) -> dict[str, Any]:
    """One ``vfinfo_list`` entry as iproute2 6.1 prints it under ``ip -j -d link show dev <pf>``."""
    vlan: dict[str, Any] = {}
    if state.vlan:
        vlan["vlan"] = state.vlan
        if state.qos:
            vlan["qos"] = state.qos
        if state.vlan_protocol != "802.1Q":
            vlan["protocol"] = state.vlan_protocol
    entry: dict[str, Any] = {
        "vf": state.vf,
        "link_type": "ether",
        "address": state.mac,
        "broadcast": "ff:ff:ff:ff:ff:ff",
        "vlan_list": [vlan],
    }
    if state.max_tx_rate:
        entry["tx_rate"] = state.max_tx_rate
    entry["rate"] = {"max_tx": state.max_tx_rate, "min_tx": state.min_tx_rate}
    if state.spoofchk is not None:
        entry["spoofchk"] = state.spoofchk
    entry["link_state"] = state.link_state.name
    for name, key in (("trust", "trust"), ("query_rss", "query_rss_en")):
        if getattr(state, name) is not None:
            entry[key] = getattr(state, name)
    return entry


def parse_ethtool_driver(text: str) -> dict[str, str]:
    """``ethtool -i`` as ``{driver, version, firmware-version, bus-info, ...}``.

    >>> parse_ethtool_driver("driver: mlx5_core\\nversion: 4.3-3.0.2\\nfirmware-version: 12.22.1002")["version"]
    '4.3-3.0.2'
    """
    info = {}
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"line {no}: expected 'name: value' in ethtool -i output, got {line!r}")
        info[name.strip()] = value.strip()
    return info


def describe_driver(info: dict[str, str]) -> str:
    """``mlx5_core 4.3-3.0.2, firmware 12.22.1002`` from ``parse_ethtool_driver``."""
    text = " ".join(v for v in (info.get("driver"), info.get("version")) if v) or "驱动未知"
    firmware = info.get("firmware-version")
    if firmware and firmware != "N/A":
        text = f"{text}, firmware {firmware}"
    # The embedded lab's emulated NIC: its driver is veth, what it behaves as is the model.
    return f"{text}；网卡型号 {info['model']}" if info.get("model") else text


# -- the contract ---------------------------------------------------------------------------------


class SriovNic(ABC):
    """One SR-IOV PF of a lab host, with its VFs: what a VF backend offers the keyword library.

    Every backend gives the same methods with the same semantics (a real NIC through sysfs and
    rtnetlink, the embedded lab's emulated one); what a NIC cannot tell fails naming it. Settings
    reach here checked (``check_change``). ``via`` says, for the log, how they reach the NIC.
    """

    via = "rtnetlink/sysfs"

    def __init__(self, host: str, nic: Nic):
        if not nic.sriov:
            raise SriovError(f"{host}:{nic.name} 在实验环境描述中不是 SR-IOV 网卡（sriov: false）")
        self.host = host
        self.nic = nic
        self.name = validate.netdev_name(nic.name, "PF 名")

    @property
    @abstractmethod
    def session(self) -> SshSession:
        """The SSH session to the PF's host (the record's commands run there)."""

    # -- the PF's link ------------------------------------------------------------------------------
    @abstractmethod
    def link(self) -> PfLink:
        """The PF and its VFs as the kernel reports them."""

    @abstractmethod
    def set_pf_up(self, up: bool) -> None: ...

    @abstractmethod
    def set_pf_mtu(self, mtu: int) -> None: ...

    @abstractmethod
    def ip_link_show(self, structured: bool = False) -> CommandResult:
        """``ip link show dev <pf>`` as run on the host; ``ip -j -d link`` if ``structured``."""

    # -- VFs ----------------------------------------------------------------------------------------
    @abstractmethod
    def total_vfs(self) -> int: ...

    @abstractmethod
    def num_vfs(self) -> int: ...

    @abstractmethod
    def set_num_vfs(self, count: int) -> list[CommandResult]:
        """Make ``count`` VFs; the commands as run (or as a person would have typed them)."""

    @abstractmethod
    def set_vf(self, vf: int, change: VfChange) -> list[str] | None:
        """Apply a checked change to VF ``vf``; notes for the log (what the backend does not do)."""

    @abstractmethod
    def vf_device(self, vf: int) -> VfDevice:
        """VF ``vf``'s PCI address, netdev (None while a VM has it) and link; ``SriovError`` if it is not there."""

    # -- what the NIC says about itself -------------------------------------------------------------
    @abstractmethod
    def driver_info(self) -> tuple[dict[str, str], list[CommandResult]]: ...

    @abstractmethod
    def port_map(self) -> tuple[list[dict[str, Any]], list[CommandResult]]: ...

    @abstractmethod
    def counters(self) -> tuple[dict[str, int], list[CommandResult]]: ...

    def backend_state(self) -> str | None:
        """What the settings became inside the backend (an emulated eswitch's rules), for a debug log."""
        return None

    # -- passing a VF to a VM -----------------------------------------------------------------------
    @abstractmethod
    def vf_vnic(self, vf: int, mac: str) -> tuple[str, str]:
        """``(kind, port)`` for VMLibrary's 挂载网卡."""

    @abstractmethod
    def vf_plugged(self, vf: int, vm: str, domain: str, mac: str, guest_ifname: str) -> None:
        """Called once the VF is a NIC of ``domain``."""

    @abstractmethod
    def vf_unplugged(self, vf: int) -> None:
        """Called once the VF is no longer a NIC of its VM."""

    def notes(self) -> list[str]:
        """What this backend emulates instead of having it, for the log."""
        return []
