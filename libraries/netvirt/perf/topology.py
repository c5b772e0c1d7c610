"""The measured paths of chapter 7.3: the generator's two ends and how traffic crosses the DUT.

| scenario | path (sender -> receiver) |
| --- | --- |
| ``p2p`` | Host A enP4p1s0 -> dpdkp0 -> ovsbr0 -> dpdkp1 -> Host A enP5p1s0 |
| ``pvp`` | Host A enP4p1s0 -> dpdkp0 -> ovsbr0 -> dpdkvhostuser0 -> VM01 eth1, which routes the frame back |
|         | out of eth1 -> dpdkvhostuser0 -> ovsbr0 -> dpdkp1 -> Host A enP5p1s0 |
| ``vm2vm`` | VM02 eth1 -> dpdkvhostuser1 -> ovsbr0 -> dpdkvhostuser0 -> VM01 eth1 |
| ``sriov`` | Host A enP4p1s0 -> Host B enP4p1s0's VF, passed to VM01, which routes the frame out of |
|           | enP5p1s0's VF (also VM01's) -> Host A enP5p1s0: the NICs' embedded switches, no OVS |
| ``sriov_vm2vm`` | VM02's VF of enP5p1s0 -> the NIC's embedded switch -> VM01's VF of the same NIC |
| ``baseline`` | Host A nvpb0 -> a plain veth pair -> nvpb1 in a namespace of its own: no DUT at all |

``baseline`` is the reference a verdict compares with in the same run: what the generator and
this machine carry right now without the DUT (a busy machine loses there too).

The DUT's side (the dpdk ports on ovsbr0) is configured by the suite with the OVS keywords; this
module configures the ends: addresses in 198.19.0.0/16 (RFC 2544's benchmarking range, beside
the labs' management /24s in 198.18.0.0/16), routes, and a VM's forwarding.

Host A holds both ends of the p2p and pvp paths. Its kernel would deliver a datagram for its own
other address locally, never across the DUT, so the receiving end gets a network namespace of its
own. A VRF would do on a real Host A, but this machine's kernel has none (``ip link add ... type
vrf``: "Unknown device type"), and a *named* namespace made from a Host A session is only visible
in that sshd's mount namespace. So the namespace is anonymous: ``unshare --net sleep`` started in
the background on Host A (stopped by pid, under ``timeout`` as every background process here)
holds it, the receiving NIC is moved in with ``ip link set dev X netns <pid>``, and commands for
that end run under ``nsenter -t <pid> -n``. Teardown moves the NIC back (``netns $$``: the SSH
shell's own namespace, Host A's) before the holder stops, because a namespace that dies takes its
veth cable ends with it (a physical NIC would fall back to the root namespace).
"""

from __future__ import annotations

import enum
import json
import shlex
import time
from dataclasses import dataclass, field

from netvirt.perf.generators import Endpoint
from netvirt.ssh import CommandResult
from netvirt.traffic.hostproc import BackgroundProcess, require_tools, start_background
from netvirt.traffic.ping import ping_argv

HOLDER_LIMIT_S = 3600  # the safety net if this process dies: a chapter measures for minutes


class Scenario(enum.Enum):
    """The measured path (see the module table)."""

    p2p = "p2p"
    pvp = "pvp"
    vm2vm = "vm2vm"
    sriov = "sriov"
    sriov_vm2vm = "sriov_vm2vm"
    baseline = "baseline"


DESCRIPTIONS = {
    Scenario.p2p: "Host A enP4p1s0 → dpdkp0 → OVS ovsbr0 → dpdkp1 → Host A enP5p1s0（接收端在独立网络命名空间）",
    Scenario.pvp: "Host A → dpdkp0 → ovsbr0 → dpdkvhostuser0 → VM01 eth1（VM 内核转发）→ ovsbr0 → dpdkp1 → Host A",
    Scenario.vm2vm: "VM02 eth1 → dpdkvhostuser1 → OVS ovsbr0 → dpdkvhostuser0 → VM01 eth1",
    Scenario.sriov: "Host A enP4p1s0 → Host B enP4p1s0 的 VF（直通给 VM01）→ VM01 内核转发 → enP5p1s0 的 VF → Host A",
    Scenario.sriov_vm2vm: "VM02 的 VF（enP5p1s0）→ 网卡的嵌入式交换机 → VM01 的 VF（enP5p1s0）",
    Scenario.baseline: "Host A nvpb0 → veth → nvpb1（独立网络命名空间）：不经被测设备的基线",
}
BASELINE_IFNAMES = ("nvpb0", "nvpb1")
# The guests each path's frames pass through (forwarded by their kernels, or sent and received there).
GUESTS = {
    Scenario.pvp: ("vm01",),
    Scenario.vm2vm: ("vm01", "vm02"),
    Scenario.sriov: ("vm01",),
    Scenario.sriov_vm2vm: ("vm01", "vm02"),
}


class ScenarioUnavailable(RuntimeError):
    """The lab cannot build this scenario; the message says why (a test skips with it)."""


class TopologyError(RuntimeError):
    """A step of building or restoring a path failed; the message has the command and its output."""


@dataclass
class Topology:
    """A built path: its ends, MTU and link speed, and what restores the hosts afterwards."""

    scenario: Scenario
    tx: Endpoint
    rx: Endpoint
    mtu: int
    speed_mbps: int
    commands: list[CommandResult] = field(default_factory=list)
    undo: list[tuple[str, str]] = field(default_factory=list)  # (host, command), run in reverse order
    holder: BackgroundProcess | None = None

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self.scenario]

    def summary(self) -> dict:
        return {
            "scenario": self.scenario.value,
            "path": self.description,
            "tx": str(self.tx),
            "rx": str(self.rx),
            "mtu": self.mtu,
            "speed_mbps": self.speed_mbps,
        }


class _Builder:
    """Runs the steps of one build on the lab's hosts, keeping each command and its undo."""

    def __init__(self, lab):
        self.lab = lab
        self.commands: list[CommandResult] = []
        self.undo: list[tuple[str, str]] = []
        self.holder: BackgroundProcess | None = None

    def run(self, host: str, command: str, undo: str | None = None, check: bool = True) -> CommandResult:
        result = self.lab.session(host).run(command, timeout=60)
        self.commands.append(result)
        if check and not result.ok:
            raise TopologyError(f"{host} 上的命令失败：{command}\n{(result.stderr or result.stdout).strip()}")
        if undo:
            self.undo.append((host, undo))
        return result


def _link(builder: _Builder, host: str, ifname: str) -> dict:
    """``ip -j addr show dev`` of an interface: its MTU, state and IPv4 addresses."""
    argv = ["ip", "-j", "addr", "show", "dev", ifname]
    result = builder.lab.session(host).run(shlex.join(argv), timeout=30)
    if not result.ok:
        raise TopologyError(f"{host} 上没有接口 {ifname}：{result.stderr.strip()}")
    link = json.loads(result.stdout)[0]
    return {
        "mtu": link["mtu"],
        "up": "UP" in link.get("flags", []),
        "ipv4": [f"{a['local']}/{a['prefixlen']}" for a in link.get("addr_info", []) if a.get("family") == "inet"],
    }


def _holder(builder: _Builder, host: str, limit_s: int) -> int:
    """An anonymous network namespace on ``host``, held by a background ``sleep`` (``builder.holder``); its pid."""
    session = builder.lab.session(host)
    require_tools(session, ["unshare", "nsenter", "pgrep", "timeout"], "为接收端建立网络命名空间")
    holder = start_background(session, ["unshare", "--net", "--", "sleep", str(limit_s)], limit_s)
    try:
        child = None
        for _ in range(50):  # timeout forks, the child unshares and execs sleep
            found = session.run(shlex.join(["pgrep", "-P", str(holder.pid)]), timeout=30).stdout.split()
            if found:
                child = int(found[0])
                break
            time.sleep(0.05)
        if child is None:
            raise TopologyError(f"{host} 上持有网络命名空间的进程没有启动：{holder.stderr.strip()}")
        same = session.run(f'[ "$(readlink /proc/{child}/ns/net)" = "$(readlink /proc/$$/ns/net)" ]', timeout=30)
        if same.ok:
            raise TopologyError(f"{host} 上的 unshare --net 没有建立新的网络命名空间（pid {child}）")
    except BaseException:
        holder.stop()
        raise
    builder.holder = holder
    return child


def _move_back_command(pid: int, ifname: str) -> str:
    # $$ is the SSH shell's pid: its namespace is the host's own (never pid 1, the machine's root
    # namespace on the embedded lab).
    return shlex.join(["nsenter", "-t", str(pid), "-n", "ip", "link", "set", "dev", ifname, "netns"]) + " $$"


def _mtu_up(builder: _Builder, host: str, ifname: str, mtu: int) -> None:
    """Set ``ifname``'s MTU and bring it up; undo puts the MTU it had back."""
    before = _link(builder, host, ifname)["mtu"]
    builder.run(
        host,
        shlex.join(["ip", "link", "set", "dev", ifname, "mtu", str(mtu), "up"]),
        undo=shlex.join(["ip", "link", "set", "dev", ifname, "mtu", str(before)]),
    )


def _address(builder: _Builder, host: str, ifname: str, address: str, prefix: list[str] | None = None) -> None:
    pre = prefix or []
    builder.run(
        host,
        shlex.join([*pre, "ip", "addr", "add", address, "dev", ifname]),
        undo=shlex.join([*pre, "ip", "addr", "del", address, "dev", ifname]),
    )


def _host_ends(builder: _Builder, mtu: int, tx_cidr: str, rx_cidr: str, limit_s: int):
    """Host A's two cable ends as sender and receiver, the receiver in its own namespace."""
    spec = builder.lab.spec.host("hosta")
    tx_if, rx_if = spec.nics[0].name, spec.nics[1].name
    rx_before = _link(builder, "hosta", rx_if)
    pid = _holder(builder, "hosta", limit_s)
    ns = ["nsenter", "-t", str(pid), "-n"]
    builder.run("hosta", shlex.join(["ip", "link", "set", "dev", rx_if, "netns", str(pid)]))
    restore_rx = [shlex.join(["ip", "link", "set", "dev", rx_if, "mtu", str(rx_before["mtu"])])]
    restore_rx += [shlex.join(["ip", "addr", "add", a, "dev", rx_if]) for a in rx_before["ipv4"]]
    restore_rx.append(shlex.join(["ip", "link", "set", "dev", rx_if, "up" if rx_before["up"] else "down"]))
    # Undo runs in reverse: the NIC comes back to Host A and gets its settings back.
    builder.undo.append(("hosta", " && ".join([_move_back_command(pid, rx_if), *restore_rx])))
    builder.run("hosta", shlex.join([*ns, "ip", "link", "set", "dev", "lo", "up"]))
    builder.run("hosta", shlex.join([*ns, "ip", "link", "set", "dev", rx_if, "mtu", str(mtu), "up"]))
    _address(builder, "hosta", rx_if, rx_cidr, ns)
    _mtu_up(builder, "hosta", tx_if, mtu)
    _address(builder, "hosta", tx_if, tx_cidr)
    tx = Endpoint("hosta", tx_if, tx_cidr.split("/")[0])
    rx = Endpoint("hosta", rx_if, rx_cidr.split("/")[0], pid)
    return tx, rx, spec.nics[0].speed_mbps


def _baseline_ends(builder: _Builder, mtu: int, limit_s: int):
    """A veth pair on Host A, one end in a namespace of its own: the same ends as p2p with no DUT between."""
    tx_if, rx_if = BASELINE_IFNAMES
    pid = _holder(builder, "hosta", limit_s)
    ns = ["nsenter", "-t", str(pid), "-n"]
    # Deleting one end deletes the pair, wherever the other end is; the namespace's end dies with it too.
    builder.run(
        "hosta",
        shlex.join(["ip", "link", "add", tx_if, "mtu", str(mtu), "type", "veth", "peer", "name", rx_if]),
        undo=shlex.join(["ip", "link", "del", "dev", tx_if]),
    )
    builder.run("hosta", shlex.join(["ip", "link", "set", "dev", rx_if, "netns", str(pid)]))
    builder.run("hosta", shlex.join([*ns, "ip", "link", "set", "dev", "lo", "up"]))
    builder.run("hosta", shlex.join([*ns, "ip", "link", "set", "dev", rx_if, "mtu", str(mtu), "up"]))
    _address(builder, "hosta", rx_if, "198.19.9.2/24", ns)
    builder.run("hosta", shlex.join(["ip", "link", "set", "dev", tx_if, "up"]))
    _address(builder, "hosta", tx_if, "198.19.9.1/24")
    tx = Endpoint("hosta", tx_if, "198.19.9.1")
    rx = Endpoint("hosta", rx_if, "198.19.9.2", pid)
    return tx, rx, builder.lab.spec.host("hosta").nics[0].speed_mbps if builder.lab.spec.host("hosta").nics else 10000


def _guest_sysctls(builder: _Builder, vm: str, values: dict[str, str]) -> None:
    keys = list(values)
    current = builder.run(vm, shlex.join(["sysctl", "-n", *keys])).stdout.split()
    builder.run(
        vm,
        shlex.join(["sysctl", "-q", "-w", *(f"{k}={v}" for k, v in values.items())]),
        undo=shlex.join(["sysctl", "-q", "-w", *(f"{k}={v}" for k, v in zip(keys, current, strict=True))]),
    )


def _vnic(lab, vm: str) -> str:
    vnics = lab.spec.vm(vm).vnics
    if not vnics:
        raise ScenarioUnavailable(f"{vm} 没有连到 OVS 的虚拟网卡")
    return vnics[0].name


def _reachable(builder: _Builder, tx: Endpoint, rx: Endpoint) -> None:
    """One ping across the path: neighbours resolved, MACs learned, and a broken path named at once."""
    argv = tx.argv(*ping_argv(rx.address, 3, source=tx.address, wait=2))
    result = builder.run(tx.host, shlex.join(argv), check=False)
    if not result.ok:  # ping exits 1 when no reply came back
        raise TopologyError(f"转发路径不通：{tx} 无法 ping 通 {rx}\n{result.stdout.strip()}")


def p2p_dut(lab, ovs) -> None:
    """For Python callers (benchmarks, tests): what ``perf.resource`` does on the DUT with the OVS keywords.

    ``dpdk-init``, the lab's PMD mask, ovsbr0 (netdev) and Host B's two NICs as dpdkp0/dpdkp1.
    """
    from netvirt.ovs import PortType

    ovs.set_other_config({"dpdk-init": "true", "pmd-cpu-mask": lab.spec.params.get("pmd_cpu_mask", "0x2")})
    ovs.add_bridge("ovsbr0")
    for port, nic in zip(("dpdkp0", "dpdkp1"), lab.spec.host(lab.spec.hypervisor).nics, strict=False):
        ovs.add_port("ovsbr0", port, PortType.dpdk, {"dpdk-devargs": lab.dpdk_devargs(nic.pci)})


def unavailable_reason(lab, scenario: Scenario) -> str:
    """Why ``lab`` cannot build ``scenario`` ("" when it can)."""
    hosta = lab.spec.host("hosta")
    if scenario in (Scenario.p2p, Scenario.pvp, Scenario.sriov) and len(hosta.nics) < 2:
        return f"Host A 需要两个网卡（现有：{', '.join(n.name for n in hosta.nics) or '无'}）"
    if scenario is Scenario.sriov:
        nics = lab.spec.host(lab.spec.hypervisor).nics[:2]
        plain = [n.name for n in nics if not n.sriov or n.max_vfs < 1]
        if len(nics) < 2 or plain:
            names = "、".join(plain)
            return f"Host B 需要两个支持 SR-IOV 的网卡（实验环境描述中 sriov 为 false 或 max_vfs 为 0：{names}）"
    if scenario is Scenario.sriov_vm2vm:
        nics = lab.spec.host(lab.spec.hypervisor).nics[1:2]
        if not nics or not nics[0].sriov or nics[0].max_vfs < 2:
            return "Host B 的第二个网卡（enP5p1s0）需要支持 SR-IOV 且至少 2 个 VF（实验环境描述的 sriov 与 max_vfs）"
    needed = GUESTS.get(scenario, ())
    described = {vm.name for vm in lab.spec.vms}
    missing = [vm for vm in needed if vm not in described]
    if missing:
        return f"实验环境描述中没有虚拟机 {', '.join(missing)}"
    return ""


def _vm_router(builder: _Builder, vm: str, inside: str, outside: str, mtu: int, rx: Endpoint) -> None:
    """``vm`` routes 198.19.1.0/24 (on ``inside``) to 198.19.2.0/24 (on ``outside``) and back; Host A's routes via it.

    With one vNIC (pvp) both are the same interface and the VM sends the frame back where it came from.
    """
    for ifname in dict.fromkeys((inside, outside)):
        _mtu_up(builder, vm, ifname, mtu)
    _address(builder, vm, inside, "198.19.1.100/24")
    _address(builder, vm, outside, "198.19.2.100/24")
    # No redirects for routing out of the interface a frame came in on (pvp).
    sysctls = {"net.ipv4.ip_forward": "1", "net.ipv4.conf.all.send_redirects": "0"}
    sysctls.update({f"net.ipv4.conf.{ifname}.send_redirects": "0" for ifname in (inside, outside)})
    _guest_sysctls(builder, vm, sysctls)
    for route, prefix in (
        ("198.19.2.0/24 via 198.19.1.100", []),
        ("198.19.1.0/24 via 198.19.2.100", rx.argv()),
    ):
        words = route.split()
        builder.run(
            "hosta",
            shlex.join([*prefix, "ip", "route", "add", *words]),
            undo=shlex.join([*prefix, "ip", "route", "del", *words]),
        )


def build(
    lab,
    scenario: Scenario,
    mtu: int = 1500,
    limit_s: int = HOLDER_LIMIT_S,
    vm_interfaces: list[str] | None = None,
) -> Topology:
    """Configure the ends of ``scenario``'s path on ``lab`` and check it forwards (one ping).

    ``vm_interfaces`` are VM01's two VF NICs of the ``sriov`` path (enP4p1s0's, then
    enP5p1s0's), or VM01's and VM02's VF NICs of ``sriov_vm2vm``, which the suite passed to
    them with SriovLibrary. On failure everything done
    so far is undone before the error is raised.
    """
    reason = unavailable_reason(lab, scenario)
    if reason:
        raise ScenarioUnavailable(reason)
    needs = {Scenario.sriov: "VM01 中两个 VF 网卡", Scenario.sriov_vm2vm: "VM01 与 VM02 中各自 VF 网卡"}
    if scenario in needs and len(vm_interfaces or []) != 2:
        raise ValueError(
            f"{scenario.value} 场景需要{needs[scenario]}的名字（把VF直通给虚拟机 的返回值），得到的是 {vm_interfaces}"
        )
    builder = _Builder(lab)
    try:
        if scenario is Scenario.baseline:
            tx, rx, speed = _baseline_ends(builder, mtu, limit_s)
        elif scenario is Scenario.p2p:
            tx, rx, speed = _host_ends(builder, mtu, "198.19.1.1/24", "198.19.1.2/24", limit_s)
        elif scenario in (Scenario.pvp, Scenario.sriov):
            inside, outside = vm_interfaces if scenario is Scenario.sriov else [_vnic(lab, "vm01")] * 2
            tx, rx, speed = _host_ends(builder, mtu, "198.19.1.1/24", "198.19.2.1/24", limit_s)
            _vm_router(builder, "vm01", inside, outside, mtu, rx)
        elif scenario in (Scenario.vm2vm, Scenario.sriov_vm2vm):
            if scenario is Scenario.vm2vm:
                ifnames, net = [_vnic(lab, "vm01"), _vnic(lab, "vm02")], "198.19.3"
            else:
                ifnames, net = list(vm_interfaces), "198.19.4"
            for index, (vm, ifname) in enumerate(zip(("vm01", "vm02"), ifnames, strict=True), 1):
                _mtu_up(builder, vm, ifname, mtu)
                _address(builder, vm, ifname, f"{net}.{index}/24")
            tx = Endpoint("vm02", ifnames[1], f"{net}.2")
            rx = Endpoint("vm01", ifnames[0], f"{net}.1")
            speed = lab.spec.host("hosta").nics[0].speed_mbps
        topology = Topology(scenario, tx, rx, mtu, speed, builder.commands, builder.undo, builder.holder)
        _reachable(builder, tx, rx)
    except BaseException:
        failed = restore(lab, Topology(scenario, None, None, mtu, 0, builder.commands, builder.undo, builder.holder))
        if failed:
            builder.commands.extend(failed)
        raise
    return topology


def restore(lab, topology: Topology) -> list[CommandResult]:
    """Undo what ``build`` did, in reverse order; returns the commands that failed (all are tried)."""
    failed = []
    moved_back = True
    for host, command in reversed(topology.undo):
        try:
            result = lab.session(host).run(command, timeout=60)
        except Exception as err:  # keep undoing the rest; report every failure
            result = CommandResult(host, command, -1, "", str(err), 0.0)
        topology.commands.append(result)
        if not result.ok:
            failed.append(result)
            if " netns $$" in command:
                moved_back = False
    topology.undo.clear()
    if topology.holder is not None:
        if moved_back:
            topology.holder.stop()
        else:
            # Stopping the holder now would destroy the NIC (a veth dies with its namespace):
            # leave it to its timeout and say so.
            failed.append(
                CommandResult(
                    "hosta",
                    "(holder)",
                    -1,
                    "",
                    f"接收端网卡没能移回 Host A，持有命名空间的进程 {topology.holder.pid} 保留到超时",
                    0.0,
                )
            )
        topology.holder = None
    return failed
