"""A real SR-IOV PF as a VF backend: sysfs over SSH for the VF count, rtnetlink for everything else.

VF settings are RTM_SETLINK messages built with pyroute2 in this process (``netvirt.rtnl``) and
written to the host's NETLINK_ROUTE socket by a small relay run over SSH; the PF's state is read
back with RTM_GETLINK. The host is reached through a session provider (``host -> SshSession``), the
lab's, so this backend knows nothing of which lab it runs on.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

from netvirt import rtnl, validate
from netvirt.labspec import Nic
from netvirt.parsers.net import parse_ethtool_stats, parse_ibdev2netdev
from netvirt.sriov import (
    PROTOCOL_NAMES,
    VLAN_PROTOCOLS,
    ZERO_MAC,
    LinkState,
    PfLink,
    SriovError,
    SriovNic,
    VfChange,
    VfDevice,
    VfState,
    ip_link_set_command,
    parse_ethtool_driver,
)
from netvirt.ssh import CommandResult, SshSession

Sessions = Callable[[str], SshSession]


def to_attrs(vf: int, change: VfChange) -> rtnl.VfAttrs:
    """The netlink attributes of a checked change."""
    return rtnl.VfAttrs(
        vf=vf,
        mac=change.mac,
        vlan=change.vlan,
        qos=change.qos or 0,
        proto=VLAN_PROTOCOLS[change.vlan_protocol or "802.1Q"],
        rate=(change.min_tx_rate, change.max_tx_rate) if change.touches_rate else None,
        spoofchk=change.spoofchk,
        link_state=change.link_state.value if change.link_state is not None else None,
        trust=change.trust,
    )


def vf_state(decoded: dict[str, Any]) -> VfState:
    """A VF from ``rtnl.decode_link``'s form."""
    link_state = decoded.get("link_state")
    return VfState(
        vf=decoded["vf"],
        mac=decoded.get("mac") or ZERO_MAC,
        vlan=decoded.get("vlan") or 0,
        qos=decoded.get("qos") or 0,
        vlan_protocol=PROTOCOL_NAMES.get(decoded.get("vlan_protocol"), hex(decoded.get("vlan_protocol") or 0)),
        max_tx_rate=decoded.get("max_tx_rate") or 0,
        min_tx_rate=decoded.get("min_tx_rate") or 0,
        spoofchk=decoded.get("spoofchk"),
        link_state=LinkState(link_state) if link_state is not None else LinkState.auto,
        trust=decoded.get("trust"),
        query_rss=decoded.get("query_rss"),
    )


class NetlinkNic(SriovNic):
    """A real SR-IOV PF: sysfs for the VF count, rtnetlink for the PF's link and the VF settings."""

    def __init__(self, sessions: Sessions, host: str, nic: Nic):
        super().__init__(host, nic)
        self._sessions = sessions

    @property
    def session(self) -> SshSession:
        return self._sessions(self.host)

    @property
    def relay(self) -> rtnl.Relay:
        return rtnl.Relay(self.session)

    # -- the PF's link, through netlink on every lab ---------------------------------------------
    def link(self) -> PfLink:
        """The PF and its VFs as the kernel reports them (RTM_GETLINK)."""
        reply = self.relay.request(rtnl.getlink_request(self.name), f"读取 {self.name} 的链路信息")
        if not reply.links:
            raise RuntimeError(f"{self.host} 没有返回 {self.name} 的链路信息")
        got = reply.links[0]
        return PfLink(
            host=self.host,
            name=got["ifname"],
            mtu=got["mtu"],
            up=got["up"],
            lower_up=got["lower_up"],
            operstate=got["operstate"] or "UNKNOWN",
            mac=got["mac"],
            num_vfs=got["num_vf"],
            vfs=[vf_state(vf) for vf in got["vfs"]],
        )

    def set_pf_up(self, up: bool) -> None:
        verb = "up" if up else "down"
        self.relay.request(rtnl.setlink_request(self.name, up=up), f"ip link set dev {self.name} {verb}")

    def set_pf_mtu(self, mtu: int) -> None:
        request = rtnl.setlink_request(self.name, mtu=validate.mtu(mtu, validate.NIC_PORT_MTU))
        self.relay.request(request, f"ip link set dev {self.name} mtu {mtu}")

    def ip_link_show(self, structured: bool = False) -> CommandResult:
        """``ip link show dev <pf>`` as run on the host (the record's evidence); ``ip -j -d link`` if ``structured``."""
        options = ["-j", "-d"] if structured else []
        return self.session.run(shlex.join(["ip", *options, "link", "show", "dev", self.name]), timeout=30)

    # -- VF count: sysfs --------------------------------------------------------------------------
    def _sysfs(self, leaf: str) -> str:
        return f"/sys/class/net/{self.name}/device/{leaf}"

    def _read_int(self, leaf: str) -> int:
        result = self.session.run(shlex.join(["cat", self._sysfs(leaf)]), timeout=30)
        if not result.ok or not result.stdout.strip().isdigit():
            said = (result.stderr or result.stdout).strip()
            raise SriovError(f"{self.host}:{self.name} 读不到 {leaf}（{said}）：该网卡不支持 SR-IOV？")
        return int(result.stdout.strip())

    def total_vfs(self) -> int:
        return self._read_int("sriov_totalvfs")

    def num_vfs(self) -> int:
        return self._read_int("sriov_numvfs")

    def set_num_vfs(self, count: int) -> list[CommandResult]:
        """Write ``sriov_numvfs`` (through 0 when changing a non-zero count, as the kernel requires)."""
        path = shlex.quote(self._sysfs("sriov_numvfs"))
        steps = [0, count] if count and self.num_vfs() else [count]
        results = []
        for value in steps:
            result = self.session.run(f"echo {int(value)} > {path}", timeout=120)
            results.append(result)
            if not result.ok:
                raise RuntimeError(f"{self.host} 上设置 {self.name} 的 VF 数量为 {value} 失败：{result.stderr.strip()}")
        return results

    # -- VFs: netlink -----------------------------------------------------------------------------
    def set_vf(self, vf: int, change: VfChange) -> None:
        """Apply a checked change to VF ``vf`` (RTM_SETLINK with IFLA_VFINFO_LIST)."""
        request = rtnl.setvf_request(self.name, to_attrs(vf, change))
        self.relay.request(request, ip_link_set_command(self.name, vf, change))

    def vf_device(self, vf: int) -> VfDevice:
        """VF ``vf``'s PCI address (sysfs virtfnN) and netdev, if the host driver has one."""
        link = shlex.quote(self._sysfs(f"virtfn{int(vf)}"))
        result = self.session.run(
            f'basename "$(readlink -f {link})" && ls {link}/net 2>/dev/null | head -n1 && '
            f"for n in $(ls {link}/net 2>/dev/null); do cat /sys/class/net/$n/operstate; done",
            timeout=30,
        )
        lines = result.stdout.split()
        if not result.ok or not lines or not validate.PCI.fullmatch(lines[0]):
            raise SriovError(f"{self.host}:{self.name} 没有 VF {vf}（{self._sysfs(f'virtfn{vf}')} 不存在）")
        netdev = lines[1] if len(lines) > 1 else None
        state = lines[2] if len(lines) > 2 else "down"
        return VfDevice(vf, lines[0], netdev, "Up" if state == "up" else "Down")

    # -- what the NIC says about itself -----------------------------------------------------------
    def driver_info(self) -> tuple[dict[str, str], list[CommandResult]]:
        result = self.session.run(shlex.join(["ethtool", "-i", self.name]), timeout=30)
        return (parse_ethtool_driver(result.stdout) if result.ok else {}), [result]

    def port_map(self) -> tuple[list[dict[str, Any]], list[CommandResult]]:
        """``ibdev2netdev -v`` where the host has it (Mellanox OFED), else nothing."""
        result = self.session.run("! command -v ibdev2netdev >/dev/null || ibdev2netdev -v", timeout=30)
        ports = parse_ibdev2netdev(result.stdout) if result.ok and result.stdout.strip() else []
        return ports, [result] if result.stdout.strip() else []

    def counters(self) -> tuple[dict[str, int], list[CommandResult]]:
        """The NIC's own counters (``ethtool -S <pf>``)."""
        result = self.session.run(shlex.join(["ethtool", "-S", self.name]), timeout=30)
        if not result.ok:
            raise RuntimeError(f"{self.host} 上读不到 {self.name} 的网卡计数器：{result.stderr.strip()}")
        return parse_ethtool_stats(result.stdout), [result]

    # -- passing a VF to a VM -----------------------------------------------------------------------
    def vf_vnic(self, vf: int, mac: str) -> tuple[str, str]:
        """A hostdev with the VF's PCI address (libvirt programs a hostdev VF itself)."""
        return "hostdev", self.vf_device(vf).pci

    def vf_plugged(self, vf: int, vm: str, domain: str, mac: str, guest_ifname: str) -> None:
        """Nothing to do: libvirt programs a hostdev VF (its MAC) itself."""

    def vf_unplugged(self, vf: int) -> None:
        """Nothing to do: libvirt gives a hostdev VF back to the host driver itself."""
