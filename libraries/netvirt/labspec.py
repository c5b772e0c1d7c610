"""Lab description: the schema every lab (embedded or real) is written in.

A lab description is plain data (a dict, as a Robot variable file would hold it).
``load_lab`` turns it into frozen dataclasses and rejects anything malformed at load
time, naming the field: ``hosts[1].nics[0].pci: '05:01.0' is not a PCI address``.

Secrets never live in a description: a host names the *environment variables* that
hold its password or key file, and they are read only when a connection is made.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from typing import Any

from netvirt import validate

# Hosts and VMs are named like netdevs but must start with a letter or digit; interface names, PCI and MAC
# addresses follow netvirt.validate's rules.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$")
ENV_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")
ROLES = ("peer", "hypervisor")
KINDS = ("embedded", "real")
VNIC_KINDS = ("vhostuser", "hostdev", "ethernet")


@dataclass(frozen=True)
class NicModel:
    """How an SR-IOV NIC behaves where the record's verdicts depend on it.

    A real lab names its NICs' model so that a FAIL can be explained in the record's terms; the
    embedded lab's emulated NIC behaves as its model says (``netvirt.embedded.nicemu``).
    """

    name: str
    description: str
    vf_auto_follows_pf: bool  # a VF in link-state auto goes down with the PF (kernel's ip-link(8))
    vst_qinq: bool  # a VST VF (vf N vlan V) adds its tag to frames the guest tagged itself (QinQ)

    def behaviour(self) -> str:
        """The model's behaviour in the record's terms, in one line."""
        link = (
            "link-state auto 的 VF 跟随 PF 的链路" if self.vf_auto_follows_pf else "link-state auto 的 VF 不随 PF 断开"
        )
        qinq = "VST 的 VF 支持 QinQ" if self.vst_qinq else "VST 的 VF 不支持 QinQ"
        return f"{link}，{qinq}"


NIC_MODELS = {
    model.name: model
    for model in (
        NicModel(
            "cx4-ofed4.3",
            "Mellanox ConnectX-4（MT4115，固件 12.22.1002，mlx5_core / OFED 4.3-3.0.2），记录中的网卡："
            "link-state auto 的 VF 不随 PF 断开；VST 的 VF 不支持 QinQ（OFED 4.4 起支持）",
            vf_auto_follows_pf=False,
            vst_qinq=False,
        ),
        NicModel(
            "spec-conformant",
            "符合内核文档的 SR-IOV 网卡：link-state auto 的 VF 跟随 PF 的链路；"
            "VST 的 VF 为客户机已带标签的帧再加一层（QinQ）",
            vf_auto_follows_pf=True,
            vst_qinq=True,
        ),
    )
}

# What a lab can do beyond the record's basics; suites ask for them by these names
# (``要求实验环境具备``), and a description that names another fails when it is loaded.
CAPABILITIES = {
    "msix_interrupts": "虚拟机网卡使用 MSI-X 中断（每个队列一个中断向量）",
    "sriov_passthrough": "VF 经 VFIO 直通给虚拟机（真实 PCI 设备）",
    "host_vlan": "Host A/Host B 的内核有 8021q 模块（主机上可建 VLAN 子接口）",
}


class LabDescriptionError(ValueError):
    """A lab description is malformed; the message names the field."""


@dataclass(frozen=True)
class Credentials:
    user: str
    password_env: str | None = None
    key_file_env: str | None = None
    key_file: str | None = None
    # The hosts' SSH keys are checked against this file (a real lab must name one); None: any key is
    # accepted, for the embedded lab, whose hosts get fresh keys on its own isolated network every run.
    known_hosts: str | None = None
    # Add a host missing from known_hosts with the key it shows (and save it there): only when the user
    # asks for it. A host whose key differs from the recorded one is refused either way.
    trust_on_first_use: bool = False

    def password(self) -> str | None:
        return os.environ.get(self.password_env) if self.password_env else None

    def private_key(self) -> str | None:
        if self.key_file:
            return self.key_file
        return os.environ.get(self.key_file_env) if self.key_file_env else None

    def __repr__(self) -> str:  # never show where secrets live beyond the variable names
        return f"Credentials(user={self.user!r}, password_env={self.password_env!r})"


@dataclass(frozen=True)
class Nic:
    name: str
    pci: str
    peer: str | None = None
    sriov: bool = False
    max_vfs: int = 0
    speed_mbps: int = 10000
    model: str | None = None  # a key of NIC_MODELS, for SR-IOV NICs


@dataclass(frozen=True)
class Host:
    name: str
    role: str
    mgmt: str
    ssh: Credentials
    nics: tuple[Nic, ...] = ()

    def nic(self, name: str) -> Nic:
        for nic in self.nics:
            if nic.name == name or nic.pci == name:
                return nic
        known = ", ".join(n.name for n in self.nics) or "无"
        raise LabDescriptionError(f"主机 {self.name} 没有网卡 {name}（现有：{known}）")


@dataclass(frozen=True)
class VNic:
    name: str
    kind: str
    mac: str
    port: str | None = None
    queues: int = 1
    # vhost-user: who owns the socket. "client" = QEMU connects to OVS's dpdkvhostuser port; "server"
    # = QEMU listens and OVS's dpdkvhostuserclient port connects (and reconnects after a restart).
    mode: str = "client"


@dataclass(frozen=True)
class Vm:
    name: str
    vcpus: int
    memory_mib: int
    hugepage_kib: int
    mgmt: str
    mgmt_mac: str
    vnics: tuple[VNic, ...] = ()


@dataclass(frozen=True)
class LabSpec:
    name: str
    kind: str
    lab_id: str
    mgmt_network: str
    hosts: tuple[Host, ...]
    hypervisor: str
    ovsdb: str
    ovs_rundir: str
    libvirt_uri: str
    vms: tuple[Vm, ...]
    params: dict[str, Any] = field(default_factory=dict)
    capabilities: frozenset[str] = frozenset()
    # ``ovsdb`` is a unix socket on the hypervisor, reached through its SSH session (no TCP listener).
    ovsdb_over_ssh: bool = False

    def host(self, name: str) -> Host:
        for host in self.hosts:
            if host.name.lower() == name.lower():
                return host
        for vm in self.vms:
            if vm.name.lower() == name.lower():
                return Host(vm.name, "guest", vm.mgmt, self.host(self.hypervisor).ssh)
        known = ", ".join([h.name for h in self.hosts] + [v.name for v in self.vms])
        raise LabDescriptionError(f"实验环境 {self.name} 中没有主机 {name}（现有：{known}）")

    def vm(self, name: str) -> Vm:
        for vm in self.vms:
            if vm.name.lower() == name.lower():
                return vm
        known = ", ".join(v.name for v in self.vms) or "无"
        raise LabDescriptionError(f"实验环境 {self.name} 中没有虚拟机 {name}（现有：{known}）")


# -- validation -------------------------------------------------------------------------------


def _get(data: dict, key: str, where: str, kind: type | tuple[type, ...] = str, default: Any = ...) -> Any:
    if not isinstance(data, dict):
        raise LabDescriptionError(f"{where}: expected a mapping, got {type(data).__name__}")
    if key not in data:
        if default is ...:
            raise LabDescriptionError(f"{where}.{key}: missing")
        return default
    value = data[key]
    if value is None and default is None:
        return None
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise LabDescriptionError(f"{where}.{key}: expected {names}, got {value!r}")
    return value


def _match(value: str, pattern: re.Pattern, where: str, what: str) -> str:
    if not pattern.match(value):
        raise LabDescriptionError(f"{where}: {value!r} is not {what}")
    return value


def _choice(value: str, choices: tuple[str, ...], where: str) -> str:
    if value not in choices:
        raise LabDescriptionError(f"{where}: {value!r} is not one of {', '.join(choices)}")
    return value


def _positive(value: int, where: str, upper: int) -> int:
    if not 0 < value <= upper:
        raise LabDescriptionError(f"{where}: {value} is outside 1..{upper}")
    return value


def _address(value: str, where: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise LabDescriptionError(f"{where}: {value!r} is not an IP address") from None
    return value


def _credentials(data: dict, where: str) -> Credentials:
    creds = Credentials(
        user=_get(data, "user", where),
        password_env=_get(data, "password_env", where, default=None),
        key_file_env=_get(data, "key_file_env", where, default=None),
        key_file=_get(data, "key_file", where, default=None),
        known_hosts=_get(data, "known_hosts", where, default=None),
        trust_on_first_use=_get(data, "trust_on_first_use", where, bool, default=False),
    )
    if creds.trust_on_first_use and not creds.known_hosts:
        raise LabDescriptionError(f"{where}.trust_on_first_use: needs known_hosts, the file new host keys go to")
    for attr in ("password_env", "key_file_env"):
        value = getattr(creds, attr)
        if value is not None:
            _match(value, ENV_RE, f"{where}.{attr}", "an environment variable name")
    if "password" in data or "key" in data:
        raise LabDescriptionError(f"{where}: secrets are not written in a description; name an env variable")
    if not (creds.password_env or creds.key_file_env or creds.key_file):
        raise LabDescriptionError(f"{where}: needs password_env, key_file_env or key_file")
    return creds


def _nic(data: dict, where: str) -> Nic:
    nic = Nic(
        name=_match(_get(data, "name", where), validate.NETDEV_NAME, f"{where}.name", "an interface name"),
        pci=_match(_get(data, "pci", where), validate.PCI, f"{where}.pci", "a PCI address (dddd:bb:dd.f)"),
        peer=_get(data, "peer", where, default=None),
        sriov=_get(data, "sriov", where, bool, default=False),
        max_vfs=_get(data, "max_vfs", where, int, default=0),
        speed_mbps=_positive(_get(data, "speed_mbps", where, int, default=10000), f"{where}.speed_mbps", 800000),
        model=_get(data, "model", where, default=None),
    )
    if nic.model is not None:
        _choice(nic.model, tuple(NIC_MODELS), f"{where}.model")
    if nic.sriov and nic.max_vfs < 1:
        raise LabDescriptionError(f"{where}.max_vfs: an SR-IOV NIC needs max_vfs >= 1")
    if nic.peer is not None and nic.peer.count(":") != 1:
        raise LabDescriptionError(f"{where}.peer: {nic.peer!r} is not 'host:nic'")
    return nic


def _host(data: dict, where: str) -> Host:
    return Host(
        name=_match(_get(data, "name", where), NAME_RE, f"{where}.name", "a host name"),
        role=_choice(_get(data, "role", where), ROLES, f"{where}.role"),
        mgmt=_address(_get(data, "mgmt", where), f"{where}.mgmt"),
        ssh=_credentials(_get(data, "ssh", where, dict), f"{where}.ssh"),
        nics=tuple(_nic(n, f"{where}.nics[{i}]") for i, n in enumerate(_get(data, "nics", where, list, []))),
    )


def _vnic(data: dict, where: str) -> VNic:
    return VNic(
        name=_match(_get(data, "name", where), validate.NETDEV_NAME, f"{where}.name", "an interface name"),
        kind=_choice(_get(data, "kind", where), VNIC_KINDS, f"{where}.kind"),
        mac=_match(_get(data, "mac", where).lower(), validate.MAC, f"{where}.mac", "a MAC address"),
        port=_get(data, "port", where, default=None),
        queues=_positive(_get(data, "queues", where, int, default=1), f"{where}.queues", 16),
        mode=_choice(_get(data, "mode", where, default="client"), ("client", "server"), f"{where}.mode"),
    )


def _vm(data: dict, where: str) -> Vm:
    vm = Vm(
        name=_match(_get(data, "name", where), NAME_RE, f"{where}.name", "a VM name"),
        vcpus=_positive(_get(data, "vcpus", where, int), f"{where}.vcpus", 256),
        memory_mib=_positive(_get(data, "memory_mib", where, int), f"{where}.memory_mib", 4 << 20),
        hugepage_kib=_positive(_get(data, "hugepage_kib", where, int), f"{where}.hugepage_kib", 16 << 20),
        mgmt=_address(_get(data, "mgmt", where), f"{where}.mgmt"),
        mgmt_mac=_match(_get(data, "mgmt_mac", where).lower(), validate.MAC, f"{where}.mgmt_mac", "a MAC address"),
        vnics=tuple(_vnic(n, f"{where}.vnics[{i}]") for i, n in enumerate(_get(data, "vnics", where, list, []))),
    )
    if (vm.memory_mib * 1024) % vm.hugepage_kib:
        raise LabDescriptionError(
            f"{where}.memory_mib: {vm.memory_mib} MiB is not a multiple of the hugepage size {vm.hugepage_kib} KiB"
        )
    return vm


def _check_access(lab: LabSpec) -> None:
    """A real lab is reached without opening it to the network: SSH host keys checked, OVSDB not on TCP."""
    if not re.match(r"^(unix|tcp|ssl):.", lab.ovsdb):
        raise LabDescriptionError(f"lab.ovsdb: {lab.ovsdb!r} is not an OVSDB connection string (unix:, tcp:, ssl:)")
    if lab.ovsdb_over_ssh and not re.match(r"^unix:/", lab.ovsdb):
        raise LabDescriptionError(
            f"lab.ovsdb: with ovsdb_over_ssh it is the hypervisor's unix socket, not {lab.ovsdb!r}"
        )
    if lab.kind != "real":
        return
    if not lab.ovsdb_over_ssh:
        raise LabDescriptionError(
            f"lab.ovsdb: a real lab's OVSDB is reached through the hypervisor's SSH session (ovsdb_over_ssh: true,"
            f" ovsdb: unix:<its db.sock>), not {lab.ovsdb!r}: a ptcp: listener lets anyone on the network"
            " change the switch"
        )
    for i, host in enumerate(lab.hosts):
        if not host.ssh.known_hosts:
            raise LabDescriptionError(
                f"hosts[{i}].ssh.known_hosts: missing; a real lab's SSH host keys are checked against a known_hosts"
                " file (add trust_on_first_use: true to record the keys of hosts not in it yet)"
            )


def load_lab(data: dict) -> LabSpec:
    """Validate a lab description and return it as a ``LabSpec``.

    Example: ``load_lab(embedded_lab.description("nv1"))``.
    """
    where = "lab"
    hosts = tuple(_host(h, f"hosts[{i}]") for i, h in enumerate(_get(data, "hosts", where, list)))
    vms = tuple(_vm(v, f"vms[{i}]") for i, v in enumerate(_get(data, "vms", where, list, [])))
    lab = LabSpec(
        name=_get(data, "name", where),
        kind=_choice(_get(data, "kind", where), KINDS, "lab.kind"),
        lab_id=_match(
            _get(data, "lab_id", where),
            re.compile(r"^[a-z][a-z0-9]{1,5}$"),
            "lab.lab_id",
            "a lab id (2-6 lowercase letters/digits, starting with a letter)",
        ),
        mgmt_network=_get(data, "mgmt_network", where),
        hosts=hosts,
        hypervisor=_get(data, "hypervisor", where),
        ovsdb=_get(data, "ovsdb", where),
        ovs_rundir=_get(data, "ovs_rundir", where),
        libvirt_uri=_get(data, "libvirt_uri", where),
        vms=vms,
        params=dict(_get(data, "params", where, dict, {})),
        capabilities=frozenset(
            _choice(c, tuple(CAPABILITIES), f"lab.capabilities[{i}]")
            for i, c in enumerate(_get(data, "capabilities", where, list, []))
        ),
        ovsdb_over_ssh=_get(data, "ovsdb_over_ssh", where, bool, default=False),
    )
    _check_access(lab)
    for name in CAPABILITIES:
        if name in lab.params:
            raise LabDescriptionError(f"lab.params.{name}: a capability goes in lab.capabilities, not in params")
    if lab.kind == "embedded":
        for i, host in enumerate(hosts):
            for j, nic in enumerate(host.nics):
                if nic.sriov and nic.model is None:
                    raise LabDescriptionError(
                        f"hosts[{i}].nics[{j}].model: the embedded lab emulates this SR-IOV NIC and needs its model"
                        f" (one of {', '.join(NIC_MODELS)})"
                    )
    try:
        net = ipaddress.ip_network(lab.mgmt_network)
    except ValueError:
        raise LabDescriptionError(f"lab.mgmt_network: {lab.mgmt_network!r} is not a network") from None
    if lab.kind == "embedded" and not net.subnet_of(ipaddress.ip_network("198.18.0.0/15")):
        raise LabDescriptionError("lab.mgmt_network: the embedded lab's management network must be in 198.18.0.0/15")
    names = [h.name for h in hosts] + [v.name for v in vms]
    if len(set(n.lower() for n in names)) != len(names):
        raise LabDescriptionError(f"lab.hosts/vms: duplicate names in {names}")
    if lab.hypervisor not in (h.name for h in hosts):
        raise LabDescriptionError(f"lab.hypervisor: {lab.hypervisor!r} is not one of the hosts")
    for i, host in enumerate(hosts):
        for j, nic in enumerate(host.nics):
            if nic.peer:
                peer_host, peer_nic = nic.peer.split(":")
                try:
                    lab.host(peer_host).nic(peer_nic)
                except LabDescriptionError as err:
                    raise LabDescriptionError(f"hosts[{i}].nics[{j}].peer: {err}") from None
    return lab
