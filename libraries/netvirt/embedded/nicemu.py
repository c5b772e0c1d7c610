"""The embedded lab's SR-IOV NICs: each NIC's embedded switch is a hidden Open vSwitch bridge.

This machine has no SR-IOV NIC (and no netdevsim), so every NIC the lab description marks
``sriov: true`` gets an emulated embedded switch (eswitch): a bridge of a userspace Open
vSwitch (Debian's plain ovs-vswitchd, ``datapath_type=netdev``, OpenFlow 1.3) that runs in a
namespace of its own, ``<id>-nic``, from ``<lab>/nic``. It never appears in the DUT's OVSDB.

A cable with SR-IOV ends runs ``Host A:<nic> <-> [eswitch of Host A's NIC] <-> [eswitch of
Host B's NIC] <-> Host B:<nic>``: each host's netdev is a veth whose other end is the PF port
of its NIC's eswitch, and the two eswitches' uplinks are an OVS patch-port pair (the wire).
A VF is a port of the eswitch too: while the host driver has it, a veth whose host end is
the VF netdev (``enP5p1s0f1`` ... as the record's ibdev2netdev shows); given to a VM, a tap
that libvirt attaches as ``<interface type='ethernet'>`` in Host B's namespace and that is
then moved here (a tap keeps carrying the guest's traffic after the move).

The eswitch is not a learning switch; its OpenFlow rules (``esw_flows``), recomputed on every
change, give the ConnectX legacy-SR-IOV semantics the record shows:

- a unicast frame goes to the VF or PF whose MAC it is for; unknown unicast from a VF or the
  PF goes to the uplink, unknown unicast from the uplink to the PF;
- broadcast goes everywhere; multicast to the uplink, the PF, trusted VFs, and to every VF
  for the groups a NIC always joins (01:00:5e:00:00:01, 33:33:00:00:00:01);
- ``vlan N`` (VST): frames from the VF get a tag N (proto 802.1Q or 802.1ad, qos as PCP) —
  also frames the guest tagged itself, which then carry two tags (a NIC that does QinQ);
  frames for the VF must carry N, which is taken off; VFs in other VLANs never see them;
- ``max_tx_rate``: an OpenFlow meter on frames from the VF (a policer, burst = 100 ms at the
  rate); ``min_tx_rate`` is stored and shown but not enforced (a meter cannot guarantee);
- ``spoofchk on``: frames from the VF with another source MAC are dropped;
- link state: ``enable``/``disable`` force the VF's carrier, ``auto`` follows the PF's link
  (admin up with carrier). A VF netdev's carrier is its veth peer's state; a VF in a VM gets
  its guest NIC's link set through libvirt (``<link state='down'/>``), so the guest sees
  NO-CARRIER as with the record's disable.

Each NIC behaves as its model in the lab description (``netvirt.labspec.NIC_MODELS``): the record's
``cx4-ofed4.3`` (the default) shows the record's two findings on ConnectX-4 — an ``auto`` VF stays up
when the PF goes down, and a VST VF drops frames the guest tagged (no QinQ) — and
``spec-conformant`` behaves as the kernel documents.

Counters (the record's ``ethtool -S``): ``rx_vport_{unicast,multicast,broadcast}_{packets,bytes}``
count frames the NIC received from its uplink, ``tx_vport_*`` frames the PF sent.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from netvirt import emulation, validate
from netvirt.embedded import procs
from netvirt.embedded.paths import DPDK_RUNTIME, OVS_DPDK_VSWITCHD
from netvirt.labspec import NIC_MODELS, Host, LabSpec, Nic
from netvirt.sriov import (
    ZERO_MAC,
    LinkState,
    PfLink,
    SriovError,
    SriovNic,
    VfChange,
    VfDevice,
    VfState,
    apply_change,
    format_vf_json,
    format_vf_line,
)
from netvirt.sriov_netlink import NetlinkNic, Sessions
from netvirt.ssh import CommandResult, SshSession
from netvirt.waiting import wait_until


class LabBuilder(Protocol):
    """What the emulator needs of the lab it is part of (``netvirt.embedded.lab.EmbeddedLab``)."""

    spec: LabSpec
    id: str
    root: Path
    progress: Callable[[str], None]

    def ns(self, host: str) -> str: ...


class Libvirt(Protocol):
    """The lab's libvirt connection, as far as a VF's link needs it (``netvirt.vm.Hypervisor``)."""

    def xml(self, name: str) -> str: ...

    def update_device(self, name: str, xml: str) -> Any: ...


OVS_VSWITCHD = "/usr/lib/openvswitch-switch/ovs-vswitchd"
PORT_MTU = validate.NIC_PORT_MTU.high  # 9216, what the NIC's ports carry; the netdevs' own MTUs limit the frames
# The hidden OVS runs with DPDK (for the PF's vhost-user ports): no hugepages or PCI devices, a small
# heap (a 9216-byte-MTU port's mbufs take ~210 MB of it), and a PMD on core 0 (the DUT's is on core 1)
# that sleeps up to 100 us when idle instead of spinning a core.
NIC_DPDK_MEMORY_MB = 1024
ALWAYS_JOINED = ("01:00:5e:00:00:01", "33:33:00:00:00:01")  # all-hosts / all-nodes
MULTICAST = "01:00:00:00:00:00/01:00:00:00:00:00"
BROADCAST = "ff:ff:ff:ff:ff:ff"
METER_BURST_SECONDS = 0.1
COUNTER_COOKIES = {
    0x11: "rx_vport_broadcast",
    0x12: "rx_vport_multicast",
    0x13: "rx_vport_unicast",
    0x21: "tx_vport_broadcast",
    0x22: "tx_vport_multicast",
    0x23: "tx_vport_unicast",
}
_FLOW_STATS_RE = re.compile(r"cookie=0x([0-9a-f]+),.*?n_packets=(\d+), n_bytes=(\d+)")


# -- the eswitch's rules --------------------------------------------------------------------------


@dataclass(frozen=True)
class VfPort:
    """What the rules need to know about one VF port."""

    vf: int
    port: str
    mac: str
    vlan: int = 0
    qos: int = 0
    tpid: int = 0x8100
    trust: bool = False
    spoofchk: bool = False
    up: bool = True
    meter: int | None = None
    qinq: bool = True  # False: frames the guest tagged itself are dropped on a VST VF (CX-4, OFED 4.3)


def _outputs(ports: list[str | None]) -> list[str]:
    return [f"output:{p}" for p in ports if p]


def esw_flows(uplink: str | None, pf: str, pf_mac: str, vfs: list[VfPort], pf_dpdk: str | None = None) -> list[str]:
    """The eswitch's OpenFlow 1.3 rules (``ovs-ofctl replace-flows`` lines).

    Table 0 admits frames per ingress port (counting, spoof check, meter, VST tag push);
    table 1 forwards by destination MAC and VLAN. Output to the ingress port is dropped by
    OpenFlow itself, so one rule per destination serves every ingress port. A NIC without a
    cable has no uplink (``None``): what would go out of it is dropped.

    ``pf_dpdk`` is the PF's second port once DPDK drives the NIC (a vhost-user port, see
    ``NicEmulator.claim_for_dpdk``): it shares the PF as a bifurcated PMD does (mlx5) — it sends as
    the PF, and receives what the PF receives except the frames for the kernel netdev's own MAC.
    """
    flows: list[str] = []
    pfs = [pf, pf_dpdk] if pf_dpdk else [pf]
    for cookie, port in ((0x10, uplink), (0x20, pf), (0x20, pf_dpdk)):
        if port is None:
            continue
        flows += [
            f"table=0,priority=20,cookie={cookie + 1:#x},in_port={port},dl_dst={BROADCAST},actions=goto_table:1",
            f"table=0,priority=15,cookie={cookie + 2:#x},in_port={port},dl_dst={MULTICAST},actions=goto_table:1",
            f"table=0,priority=10,cookie={cookie + 3:#x},in_port={port},actions=goto_table:1",
        ]
    for vf in vfs:
        if not vf.up:
            flows.append(f"table=0,priority=100,in_port={vf.port},actions=drop")
            continue
        if vf.vlan and not vf.qinq:
            flows.append(f"table=0,priority=95,in_port={vf.port},vlan_tci=0x1000/0x1000,actions=drop")
        actions = [f"meter:{vf.meter}"] if vf.meter else []
        if vf.vlan:
            actions += [f"push_vlan:{vf.tpid:#06x}", f"set_field:{0x1000 | vf.vlan}->vlan_vid"]
            if vf.qos:
                actions.append(f"set_field:{vf.qos}->vlan_pcp")
        actions.append("goto_table:1")
        if vf.spoofchk:
            flows.append(f"table=0,priority=90,in_port={vf.port},dl_src={vf.mac},actions={','.join(actions)}")
            flows.append(f"table=0,priority=80,in_port={vf.port},actions=drop")
        else:
            flows.append(f"table=0,priority=80,in_port={vf.port},actions={','.join(actions)}")

    live = [vf for vf in vfs if vf.up]
    untagged = [vf for vf in live if not vf.vlan]
    vlans = sorted({vf.vlan for vf in live if vf.vlan})
    # Unicast for a VF or the PF.
    for vf in live:
        if vf.vlan:
            flows.append(f"table=1,priority=50,dl_dst={vf.mac},dl_vlan={vf.vlan},actions=pop_vlan,output:{vf.port}")
        else:
            flows.append(f"table=1,priority=50,dl_dst={vf.mac},actions=output:{vf.port}")
    flows.append(f"table=1,priority=50,dl_dst={pf_mac},actions=output:{pf}")

    # Broadcast and multicast: the uplink and the PF always; VFs by VLAN and by what they receive.
    def flood(match: str, priority: int, receives) -> None:
        for vlan in vlans:
            members = [vf.port for vf in live if vf.vlan == vlan and receives(vf)]
            actions = _outputs([uplink, *pfs, *(vf.port for vf in untagged if receives(vf))])
            if members:
                actions += ["pop_vlan", *_outputs(members)]
            flows.append(f"table=1,priority={priority + 1},{match},dl_vlan={vlan},actions={','.join(actions)}")
        actions = _outputs([uplink, *pfs, *(vf.port for vf in untagged if receives(vf))])
        flows.append(f"table=1,priority={priority},{match},actions={','.join(actions)}")

    flood(f"dl_dst={BROADCAST}", 40, lambda vf: True)
    for group in ALWAYS_JOINED:
        flood(f"dl_dst={group}", 35, lambda vf: True)
    flood(f"dl_dst={MULTICAST}", 30, lambda vf: vf.trust)
    # Unknown unicast: from the uplink to the PF, from anything else to the uplink.
    if uplink:
        flows.append(f"table=1,priority=10,in_port={uplink},actions={','.join(_outputs(pfs))}")
    flows.append(f"table=1,priority=0,actions={f'output:{uplink}' if uplink else 'drop'}")
    return flows


def meter_spec(meter: int, rate_mbps: int) -> str:
    """An OpenFlow meter that drops above ``rate_mbps``, with a burst of 100 ms at that rate."""
    kbps = rate_mbps * 1000
    burst = max(int(kbps * METER_BURST_SECONDS), 200)
    return f"meter={meter},kbps,burst,band=type=drop,rate={kbps},burst_size={burst}"


def parse_counters(dump: str) -> dict[str, int]:
    """The eswitch counters from ``ovs-ofctl dump-flows <br> table=0`` (by cookie)."""
    counters = {f"{name}_{unit}": 0 for name in COUNTER_COOKIES.values() for unit in ("packets", "bytes")}
    for line in dump.splitlines():
        found = _FLOW_STATS_RE.search(line)
        if found and int(found.group(1), 16) in COUNTER_COOKIES:
            name = COUNTER_COOKIES[int(found.group(1), 16)]
            counters[f"{name}_packets"] += int(found.group(2))
            counters[f"{name}_bytes"] += int(found.group(3))
    return counters


# -- the emulated NICs ----------------------------------------------------------------------------


@dataclass
class Plug:
    """A VF given to a VM: the guest NIC's MAC and name, and the VF's MAC before (libvirt restores it)."""

    vm: str
    domain: str
    mac: str
    ifname: str
    saved_mac: str
    link_up: bool | None = None


@dataclass
class EmuVf:
    state: VfState
    netdev_mac: str
    plug: Plug | None = None
    tap_pending: bool = False


@dataclass
class Esw:
    """The eswitch of one SR-IOV NIC."""

    host: Host
    nic: Nic
    bridge: str
    host_ns: str
    pf_mac: str = ZERO_MAC
    vfs: list[EmuVf] = field(default_factory=list)
    meters: dict[int, int] = field(default_factory=dict)
    dpdk: bool = False  # the host's DPDK drives the PF too (its vhost-user port exists)

    @property
    def uplink(self) -> str:
        return f"{self.bridge}-up"

    @property
    def pf_port(self) -> str:
        return f"{self.bridge}-pf"

    @property
    def pf_dpdk_port(self) -> str:
        """The PF as the host's DPDK sees it: a vhost-user port (server) whose socket has this name."""
        return f"{self.bridge}-pfd"

    def vf_port(self, vf: int) -> str:
        return f"{self.bridge}-vf{vf}"

    def vf_netdev(self, vf: int) -> str:
        """The VF netdev's name in the host, as the record's ibdev2netdev shows (enP5p1s0f1 for VF 0)."""
        return f"{self.nic.name}f{vf + 1}"

    def vf_pci(self, vf: int) -> str:
        """VF ``vf``'s PCI address: the PF's bus, routing IDs after the PF's (ARI numbering)."""
        domain_bus, devfn = self.nic.pci.rsplit(":", 1)
        dev, fn = devfn.split(".")
        routing = int(dev, 16) * 8 + int(fn) + vf + 1
        return f"{domain_bus}:{routing // 8:02x}.{routing % 8}"

    def vf_mac(self, vf: EmuVf) -> str:
        """The MAC the eswitch forwards to: the admin MAC, else the VF driver's own."""
        if vf.plug:
            return vf.plug.mac
        return vf.state.mac if vf.state.mac != ZERO_MAC else vf.netdev_mac


class NicEmulator:
    """Builds, drives and removes the hidden eswitches of an embedded lab.

    Its methods change an eswitch's state and ports; ``apply`` then makes the rules, meters and
    VF links follow (``EmulatedNic`` calls it after each operation).
    """

    def __init__(self, builder: LabBuilder):
        self.builder = builder
        self.spec = builder.spec
        self.ns = f"{builder.id}-nic"
        self.esws: dict[tuple[str, str], Esw] = {}
        for h, host in enumerate(self.spec.hosts):
            for n, nic in enumerate(host.nics):
                if nic.sriov:
                    self.esws[(host.name.lower(), nic.name)] = Esw(host, nic, f"e{h}{n}", builder.ns(host.name))

    # -- paths and tools ------------------------------------------------------------------------------
    @property
    def dir(self) -> Path:
        return self.builder.root / "nic"

    @property
    def env(self) -> dict[str, str]:
        d = str(self.dir)
        return {"OVS_RUNDIR": d, "OVS_DBDIR": d, "OVS_LOGDIR": str(self.builder.root / "log")}

    def vsctl(self, *argv: str) -> str:
        return procs.run(["ovs-vsctl", f"--db=unix:{self.dir}/db.sock", "--timeout=10", *argv]).stdout

    def ofctl(self, *argv: str, input: str | None = None) -> str:
        return procs.run(["ovs-ofctl", "-O", "OpenFlow13", *argv], env=self.env, input=input).stdout

    def ip(self, ns: str, *argv: str, check: bool = True):
        return procs.run(["ip", "-n", ns, *argv], check=check)

    def owns(self, host: str, nic: str) -> bool:
        """True if the cable end ``host:nic`` is an emulated SR-IOV NIC (built here, not by lab.py)."""
        return (host.lower(), nic) in self.esws

    def esw(self, host: str, pf: str) -> Esw:
        try:
            return self.esws[(host.lower(), pf)]
        except KeyError:
            known = ", ".join(f"{h}:{n}" for h, n in self.esws) or "无"
            raise SriovError(f"{host}:{pf} 不是实验环境中的 SR-IOV 网卡（现有：{known}）") from None

    # -- bring-up and teardown ------------------------------------------------------------------------
    def up(self) -> None:
        """Start the hidden OVS and build every SR-IOV NIC's eswitch and cable."""
        if not self.esws:
            return
        self.builder.progress(f"模拟 SR-IOV 网卡：命名空间 {self.ns} 中的隐藏 Open vSwitch（每个网卡一个 eswitch）")
        procs.run(["ip", "netns", "add", self.ns])
        self.ip(self.ns, "link", "set", "lo", "up")
        self._start_ovs()
        commands: list[str] = ["set", "Open_vSwitch", ".", "other_config:vlan-limit=2"]
        for esw in self.esws.values():
            self._make_pf(esw)
            commands += ["--", "add-br", esw.bridge, "--", "set", "Bridge", esw.bridge, "datapath_type=netdev"]
            commands += ["protocols=OpenFlow13", "fail_mode=secure", "other_config:disable-in-band=true"]
            commands += ["--", "add-port", esw.bridge, esw.pf_port]
        commands += self._make_uplinks()
        self.vsctl(*commands)
        for esw in self.esws.values():
            self.apply(esw)

    def _start_ovs(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        log, pids = self.builder.root / "log", self.builder.root / "pids"
        db = self.dir / "conf.db"
        procs.run(["ovsdb-tool", "create", str(db), "/usr/share/openvswitch/vswitch.ovsschema"])
        procs.start_daemon(
            ["ovsdb-server", str(db), f"--remote=punix:{self.dir}/db.sock", f"--log-file={log}/nic-ovsdb-server.log"],
            pids / "nic-ovsdb-server.pid",
            log / "nic-ovsdb-server.out",
            ns=self.ns,
            env=self.env,
        )
        wait_until(lambda: (self.dir / "db.sock").exists(), 10, what="隐藏 OVS 的 db.sock")
        procs.run(["ovs-vsctl", f"--db=unix:{self.dir}/db.sock", "--no-wait", "init"])
        extra = f"--no-huge --legacy-mem -m {NIC_DPDK_MEMORY_MB} --no-pci --file-prefix={self.dpdk_prefix}"
        procs.run(
            [
                "ovs-vsctl",
                f"--db=unix:{self.dir}/db.sock",
                "--no-wait",
                "set",
                "Open_vSwitch",
                ".",
                "other_config:dpdk-init=true",
                f"other_config:dpdk-extra={extra}",
                "other_config:pmd-cpu-mask=0x1",
                "other_config:pmd-maxsleep=100",
                "other_config:per-port-memory=true",
            ]
        )
        procs.start_daemon(
            [
                OVS_DPDK_VSWITCHD,
                f"unix:{self.dir}/db.sock",
                f"--unixctl={self.dir}/ovs-vswitchd.ctl",
                f"--log-file={log}/nic-ovs-vswitchd.log",
            ],
            pids / "nic-ovs-vswitchd.pid",
            log / "nic-ovs-vswitchd.out",
            ns=self.ns,
            env=self.env,
        )
        wait_until(lambda: (self.dir / "ovs-vswitchd.ctl").exists(), 15, what="隐藏 OVS 的 ovs-vswitchd")

    def _host_end(self, ns: str, dev: str, mac: str | None = None) -> None:
        """A NIC as the host sees it: up, MTU 1500, checksums computed by the sender (AF_PACKET ports)."""
        if mac:
            self.ip(ns, "link", "set", "dev", dev, "address", mac)
        self.ip(ns, "link", "set", "dev", dev, "mtu", "1500", "up")
        procs.run(["ethtool", "-K", dev, "tx", "off"], ns=ns)

    def _nic_end(self, dev: str, up: bool = True) -> None:
        self.ip(self.ns, "link", "set", "dev", dev, "mtu", str(PORT_MTU), "up" if up else "down")

    def _make_pf(self, esw: Esw) -> None:
        self.builder.progress(f"连接 {esw.host.name}:{esw.nic.name} 到模拟网卡的 eswitch {esw.bridge}")
        self.ip(self.ns, "link", "add", esw.pf_port, "type", "veth", "peer", "name", esw.nic.name, "netns", esw.host_ns)
        self._host_end(esw.host_ns, esw.nic.name)
        self._nic_end(esw.pf_port)
        esw.pf_mac = self._mac(esw.host_ns, esw.nic.name)

    def _make_uplinks(self) -> list[str]:
        """The wire: a patch-port pair between two eswitches, or a veth to a plain NIC's host."""
        commands: list[str] = []
        for esw in self.esws.values():
            if not esw.nic.peer:
                continue
            peer_host, peer_nic = esw.nic.peer.split(":")
            if self.owns(peer_host, peer_nic):
                other = self.esw(peer_host, peer_nic)
                commands += ["--", "add-port", esw.bridge, esw.uplink, "--", "set", "Interface", esw.uplink]
                commands += ["type=patch", f"options:peer={other.uplink}"]
                continue
            self.builder.progress(f"连接网线 {esw.host.name}:{esw.nic.name}（模拟网卡）<-> {peer_host}:{peer_nic}")
            peer_ns = self.builder.ns(peer_host)
            self.ip(self.ns, "link", "add", esw.uplink, "type", "veth", "peer", "name", peer_nic, "netns", peer_ns)
            self._host_end(peer_ns, peer_nic)
            self._nic_end(esw.uplink)
            commands += ["--", "add-port", esw.bridge, esw.uplink]
        return commands

    def down(self) -> None:
        """Stop the hidden OVS by pid and remove its namespace (taps and veths go with it) and DPDK's
        runtime directory (DPDK leaves it behind)."""
        pids = self.builder.root / "pids"
        for name in ("nic-ovs-vswitchd", "nic-ovsdb-server"):
            pid = procs.read_pid(pids / f"{name}.pid")
            if pid:
                procs.stop_pid(pid, str(self.builder.root))
        procs.run(["ip", "netns", "del", self.ns], check=False)
        shutil.rmtree(DPDK_RUNTIME / self.dpdk_prefix, ignore_errors=True)
        for esw in self.esws.values():
            esw.vfs.clear()
            esw.meters.clear()
            esw.dpdk = False

    @property
    def dpdk_prefix(self) -> str:
        """The hidden OVS's DPDK file prefix (its runtime directory under /var/run/dpdk)."""
        return f"{self.builder.id}-nic"

    # -- the PF driven by DPDK ------------------------------------------------------------------------
    def claim_for_dpdk(self, host: str, nic: str) -> str:
        """Give the host's DPDK a port of its own on the PF of NIC ``nic``; return its vhost-user socket.

        The host's DPDK reaches the NIC with the virtio-user PMD, connected to a vhost-user port (server)
        of the NIC's eswitch: frames up to the port's MTU (9216) pass both ways, where DPDK 22.11's
        net_af_packet on the netdev took 1518 bytes at most. The kernel netdev stays, as with a bifurcated
        PMD (the record's ConnectX, mlx5): it keeps its link and the frames for its own MAC. Idempotent.
        """
        esw = self.esw(host, nic)
        socket_path = self.dir / esw.pf_dpdk_port
        if not esw.dpdk:
            port = esw.pf_dpdk_port
            self.vsctl(
                "--may-exist",
                "add-port",
                esw.bridge,
                port,
                "--",
                "set",
                "Interface",
                port,
                "type=dpdkvhostuser",
                f"mtu_request={PORT_MTU}",
            )
            error = self.vsctl("--if-exists", "get", "Interface", port, "error").strip().strip('"')
            if error and error != "[]":
                raise procs.LabCommandError(f"模拟网卡 {host}:{nic} 的 DPDK 端口 {port} 创建失败：{error}")
            wait_until(socket_path.exists, 10, what=f"模拟网卡 {host}:{nic} 的 vhost-user 套接字 {socket_path}")
            esw.dpdk = True
            self.apply(esw)
        return str(socket_path)

    # -- state ---------------------------------------------------------------------------------------
    def _mac(self, ns: str, dev: str) -> str:
        return json.loads(self.ip(ns, "-j", "link", "show", "dev", dev).stdout)[0]["address"]

    def pf_running(self, esw: Esw) -> bool:
        """The PF's link as ``auto`` VFs follow it: administratively up and with carrier."""
        link = json.loads(self.ip(esw.host_ns, "-j", "link", "show", "dev", esw.nic.name).stdout)[0]
        return "UP" in link["flags"] and "LOWER_UP" in link["flags"]

    def vf_up(self, esw: Esw, vf: EmuVf, pf_up: bool) -> bool:
        state = vf.state.link_state
        if state == LinkState.auto and not NIC_MODELS[esw.nic.model].vf_auto_follows_pf:
            return True
        return state == LinkState.enable or (state == LinkState.auto and pf_up)

    def netdev_mac(self, esw: Esw, vf: int) -> str:
        """A stable, locally administered MAC for VF netdev ``vf`` (the driver's random one, repeatable)."""
        digest = hashlib.sha1(f"{self.builder.id}/{esw.host.name}/{esw.nic.name}/{vf}".encode()).digest()
        return ":".join(f"{b:02x}" for b in bytes([0x02, *digest[:4], vf]))

    # -- VFs -----------------------------------------------------------------------------------------
    def set_num_vfs(self, esw: Esw, count: int) -> None:
        busy = [f"VF {i}（{vf.plug.vm}）" for i, vf in enumerate(esw.vfs) if vf.plug and i >= count]
        if busy:
            raise SriovError(f"{esw.host.name}:{esw.nic.name} 的 {', '.join(busy)} 还直通在虚拟机中，先收回")
        while len(esw.vfs) > count:
            index = len(esw.vfs) - 1
            self._remove_vf_port(esw, index)
            esw.vfs.pop()
        while len(esw.vfs) < count:
            index = len(esw.vfs)
            vf = EmuVf(VfState(vf=index, spoofchk=False, trust=False, query_rss=False), self.netdev_mac(esw, index))
            esw.vfs.append(vf)
            self._make_vf_netdev(esw, index)

    def _make_vf_netdev(self, esw: Esw, index: int) -> None:
        vf = esw.vfs[index]
        port, netdev = esw.vf_port(index), esw.vf_netdev(index)
        self.ip(self.ns, "link", "add", port, "type", "veth", "peer", "name", netdev, "netns", esw.host_ns)
        mac = vf.state.mac if vf.state.mac != ZERO_MAC else vf.netdev_mac
        self._host_end(esw.host_ns, netdev, mac)
        self._nic_end(port)
        self.vsctl("--may-exist", "add-port", esw.bridge, port)

    def _remove_vf_port(self, esw: Esw, index: int) -> None:
        port = esw.vf_port(index)
        self.vsctl("--if-exists", "del-port", esw.bridge, port)
        self.ip(self.ns, "link", "del", port, check=False)
        if index in esw.meters:
            self.ofctl("del-meter", esw.bridge, f"meter={index + 1}")
            del esw.meters[index]

    def set_vf(self, esw: Esw, index: int, change: VfChange) -> list[str]:
        """Apply a checked change; return notes for the log (what the emulation does not do)."""
        vf = esw.vfs[index]
        vf.state = apply_change(vf.state, change)
        notes = []
        if change.mac is not None and not vf.plug:
            mac = vf.state.mac if vf.state.mac != ZERO_MAC else vf.netdev_mac
            # The VF driver takes the admin MAC (mlx5 does so at once for a VF bound in the host).
            self.ip(esw.host_ns, "link", "set", "dev", esw.vf_netdev(index), "address", mac, check=False)
        if change.min_tx_rate:
            notes.append(
                f"模拟网卡记录 min_tx_rate {change.min_tx_rate} Mbps 并显示，但不保证最低速率（meter 只能限速）"
            )
        return notes

    # -- passing a VF to a VM ----------------------------------------------------------------------------
    def prepare_tap(self, esw: Esw, index: int) -> str:
        """Take VF ``index`` from the host (its netdev goes, as when vfio takes a VF) and give a tap for libvirt."""
        vf = esw.vfs[index]
        if vf.plug or vf.tap_pending:
            owner = vf.plug.vm if vf.plug else "虚拟机"
            raise SriovError(f"{esw.host.name}:{esw.nic.name} 的 VF {index} 已直通给 {owner}")
        self._remove_vf_port(esw, index)
        vf.tap_pending = True
        tap = esw.vf_port(index)
        self.ip(esw.host_ns, "link", "del", tap, check=False)
        self.ip(esw.host_ns, "tuntap", "add", "dev", tap, "mode", "tap")
        return tap

    def plug(self, esw: Esw, index: int, plug: Plug) -> None:
        """The tap is a NIC of the guest now: move it into the eswitch as VF ``index``'s port."""
        vf = esw.vfs[index]
        tap = esw.vf_port(index)
        self.ip(esw.host_ns, "link", "set", "dev", tap, "netns", self.ns)
        self._nic_end(tap)
        self.vsctl("add-port", esw.bridge, tap)
        vf.plug, vf.tap_pending = plug, False
        vf.state = replace(vf.state, mac=plug.mac)  # as libvirt does for a hostdev VF

    def unplug(self, esw: Esw, index: int) -> None:
        """The VF is back with the host driver: tap gone, VF netdev back, admin MAC as before the VM."""
        vf = esw.vfs[index]
        tap = esw.vf_port(index)
        self._remove_vf_port(esw, index)
        self.ip(esw.host_ns, "link", "del", tap, check=False)  # a tap that never left Host B
        if vf.plug:
            vf.state = replace(vf.state, mac=vf.plug.saved_mac)
        vf.plug, vf.tap_pending = None, False
        self._make_vf_netdev(esw, index)

    # -- rules, meters, links ---------------------------------------------------------------------------
    def apply(self, esw: Esw, guest_link=None) -> None:
        """Recompute the eswitch's rules, meters and VF links from its state."""
        pf_up = self.pf_running(esw)
        ports = []
        for index, vf in enumerate(esw.vfs):
            if vf.tap_pending:
                continue
            up = self.vf_up(esw, vf, pf_up)
            self._meter(esw, index, vf.state.max_tx_rate)
            ports.append(
                VfPort(
                    vf=index,
                    port=esw.vf_port(index),
                    mac=esw.vf_mac(vf),
                    vlan=vf.state.vlan,
                    qos=vf.state.qos,
                    tpid=0x88A8 if vf.state.vlan_protocol == "802.1ad" else 0x8100,
                    trust=bool(vf.state.trust),
                    spoofchk=bool(vf.state.spoofchk),
                    up=up,
                    meter=index + 1 if vf.state.max_tx_rate else None,
                    qinq=NIC_MODELS[esw.nic.model].vst_qinq,
                )
            )
            self._link(esw, index, vf, up, guest_link)
        uplink = esw.uplink if esw.nic.peer else None
        flows = esw_flows(uplink, esw.pf_port, esw.pf_mac, ports, esw.pf_dpdk_port if esw.dpdk else None)
        self.ofctl("replace-flows", esw.bridge, "-", input="\n".join(flows) + "\n")

    def _meter(self, esw: Esw, index: int, rate: int) -> None:
        meter = index + 1
        if rate and esw.meters.get(index) != rate:
            self.ofctl("mod-meter" if index in esw.meters else "add-meter", esw.bridge, meter_spec(meter, rate))
            esw.meters[index] = rate
        elif not rate and index in esw.meters:
            # Deleting a meter deletes the rules that use it; replace-flows then adds the VF's rules back.
            self.ofctl("del-meter", esw.bridge, f"meter={meter}")
            del esw.meters[index]

    def _link(self, esw: Esw, index: int, vf: EmuVf, up: bool, guest_link) -> None:
        if vf.plug:
            if vf.plug.link_up != up and guest_link:
                guest_link(vf.plug.domain, vf.plug.mac, up)
                vf.plug.link_up = up
            return
        # A VF netdev's carrier is its veth peer's administrative state.
        self.ip(self.ns, "link", "set", "dev", esw.vf_port(index), "up" if up else "down", check=False)

    def counters(self, esw: Esw) -> dict[str, int]:
        return parse_counters(self.ofctl("dump-flows", esw.bridge, "table=0"))

    def flows_text(self, esw: Esw) -> str:
        return self.ofctl("dump-flows", "--no-stats", esw.bridge)


class EmulatedNic(SriovNic):
    """An SR-IOV PF of the embedded lab: the PF itself a real veth (driven by a ``NetlinkNic``), its eswitch and
    VFs emulated by ``NicEmulator``. ``sessions`` gives the SSH session to a host or guest; ``libvirt`` the lab's
    libvirt connection (a VF's link reaches a guest as its NIC's link)."""

    via = "模拟网卡"

    def __init__(self, sessions: Sessions, host: str, nic: Nic, emulator: NicEmulator, libvirt: Callable[[], Libvirt]):
        super().__init__(host, nic)
        self.pf = NetlinkNic(sessions, host, nic)
        self._sessions = sessions
        self._libvirt = libvirt
        self.emu = emulator
        self.esw = emulator.esw(host, nic.name)
        model = NIC_MODELS[nic.model]
        emulation.used(
            "emulated-nic",
            f"SR-IOV 网卡的 eswitch 与 VF 为模拟（型号 {model.name}：{model.behaviour()}）",
        )

    @property
    def session(self) -> SshSession:
        return self.pf.session

    def _apply(self) -> None:
        self.emu.apply(self.esw, self._guest_link)

    def link(self) -> PfLink:
        link = self.pf.link()  # the PF's own state, from the kernel through the relay
        link.num_vfs = len(self.esw.vfs)
        link.vfs = [vf.state for vf in self.esw.vfs]
        return link

    def set_pf_up(self, up: bool) -> None:
        self.pf.set_pf_up(up)
        self._apply()

    def set_pf_mtu(self, mtu: int) -> None:
        self.pf.set_pf_mtu(mtu)
        self._apply()

    def ip_link_show(self, structured: bool = False) -> CommandResult:
        result = self.pf.ip_link_show(structured)
        if structured and result.ok:  # the emulated VFs in vfinfo_list, as iproute2 6.1 prints them
            links = json.loads(result.stdout)
            links[0]["vfinfo_list"] = [format_vf_json(vf.state) for vf in self.esw.vfs]
            return replace(result, stdout=json.dumps(links) + "\n")
        lines = [format_vf_line(vf.state) for vf in self.esw.vfs]
        stdout = result.stdout.rstrip("\n") + "".join(f"\n{line}" for line in lines) + "\n"
        return replace(result, stdout=stdout)

    def total_vfs(self) -> int:
        return self.nic.max_vfs

    def num_vfs(self) -> int:
        return len(self.esw.vfs)

    def set_num_vfs(self, count: int) -> list[CommandResult]:
        path = f"/sys/class/net/{self.name}/device/sriov_numvfs"
        results = []
        for value in [0, count] if count and self.esw.vfs else [count]:
            start = time.monotonic()
            self.emu.set_num_vfs(self.esw, value)
            made = ", ".join(self.esw.vf_netdev(i) for i in range(value))
            note = f"（模拟网卡：VF netdev {made}）" if value else "（模拟网卡：VF 已全部删除）"
            results.append(CommandResult(self.host, f"echo {value} > {path}", 0, note, "", time.monotonic() - start))
        self._apply()
        return results

    def set_vf(self, vf: int, change: VfChange) -> list[str]:
        notes = self.emu.set_vf(self.esw, vf, change)
        self._apply()
        return notes

    def vf_device(self, vf: int) -> VfDevice:
        if not 0 <= vf < len(self.esw.vfs):
            raise SriovError(f"{self.host}:{self.name} 没有 VF {vf}（共 {len(self.esw.vfs)} 个）")
        emu = self.esw.vfs[vf]
        up = self.emu.vf_up(self.esw, emu, self.emu.pf_running(self.esw))
        netdev = None if emu.plug or emu.tap_pending else self.esw.vf_netdev(vf)
        return VfDevice(vf, self.esw.vf_pci(vf), netdev, "Up" if up else "Down")

    def driver_info(self) -> tuple[dict[str, str], list[CommandResult]]:
        info, results = self.pf.driver_info()
        version = procs.run([OVS_VSWITCHD, "--version"]).stdout.split()[3]
        info["eswitch"] = f"模拟（Open vSwitch {version} userspace, OpenFlow 1.3）"
        info["model"] = f"{self.nic.model}（模拟：{NIC_MODELS[self.nic.model].description}）"
        return info, results

    def port_map(self) -> tuple[list[dict[str, Any]], list[CommandResult]]:
        return self.pf.port_map()

    def counters(self) -> tuple[dict[str, int], list[CommandResult]]:
        values = self.emu.counters(self.esw)
        text = "NIC statistics:\n" + "".join(f"     {k}: {v}\n" for k, v in values.items())
        command = f"ethtool -S {self.name}（模拟网卡：eswitch {self.esw.bridge} 的流表计数）"
        return values, [CommandResult(self.host, command, 0, text, "", 0)]

    def vf_vnic(self, vf: int, mac: str) -> tuple[str, str]:
        self.vf_device(vf)
        tap = self.emu.prepare_tap(self.esw, vf)
        self._apply()
        return "ethernet", tap

    def vf_plugged(self, vf: int, vm: str, domain: str, mac: str, guest_ifname: str) -> None:
        saved = self.esw.vfs[vf].state.mac
        self.emu.plug(self.esw, vf, Plug(vm, domain, mac, guest_ifname, saved))
        self._apply()
        # The VF's frames pass AF_PACKET sockets of the emulation: the guest must checksum them itself.
        self._sessions(vm).run(shlex.join(["ethtool", "-K", guest_ifname, "tx", "off"]), timeout=30)

    def vf_unplugged(self, vf: int) -> None:
        self.emu.unplug(self.esw, vf)
        self._apply()

    def _guest_link(self, domain: str, mac: str, up: bool) -> None:
        """The guest NIC's carrier through libvirt, as a VF's link reaches the VF driver in a guest."""
        libvirt = self._libvirt()
        for iface in ET.fromstring(libvirt.xml(domain)).findall("devices/interface"):
            if iface.find("mac").get("address") == mac:
                break
        else:
            raise SriovError(f"虚拟机 {domain} 没有 MAC 为 {mac} 的网卡")
        for old in iface.findall("link"):
            iface.remove(old)
        ET.SubElement(iface, "link", state="up" if up else "down")
        libvirt.update_device(domain, ET.tostring(iface, encoding="unicode"))

    def notes(self) -> list[str]:
        return [
            f"{self.host}:{self.name} 是模拟 SR-IOV 网卡（型号 {self.nic.model}）："
            f"eswitch 为隐藏 OVS 网桥 {self.esw.bridge}"
            f"（命名空间 {self.emu.ns}），VF 设置由 OpenFlow 规则与 meter 实现",
        ]

    def backend_state(self) -> str:
        """The eswitch's OpenFlow rules: what the VF settings became."""
        return f"模拟网卡 {self.host}:{self.name} 的 eswitch 规则：\n{self.emu.flows_text(self.esw)}"
