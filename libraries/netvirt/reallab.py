"""The real lab: servers reached over SSH, with OVS and libvirt on the hypervisor (``kind: real``).

``SshLab`` is what every lab reached over SSH does (the embedded lab's adapter builds on it too):
sessions to hosts and guests, OVSDB (relayed through the hypervisor's SSH session when the
description says ``ovsdb_over_ssh``), OVS's paths from its run directory, the guests' boot from the
lab parameters, the lab's one libvirt connection, SR-IOV NICs through sysfs and rtnetlink.
"""

from __future__ import annotations

import dataclasses
import re
import shlex

from netvirt import hoststate, seam
from netvirt.domain import DomainProfile
from netvirt.labspec import LabDescriptionError, LabSpec, Vm
from netvirt.sriov import SriovNic
from netvirt.sriov_netlink import NetlinkNic
from netvirt.ssh import HostConnectionError, SshSession, UnixSocketForward
from netvirt.vm import Hypervisor

GUEST_HANDSHAKE_TIMEOUT = 60.0


class SshLab(seam.Lab):
    """A lab whose hosts and guests are reached over SSH, with OVS and libvirt on its hypervisor.

    Both kinds are: a real lab's servers, and the embedded lab's namespaces, each with its own sshd.
    """

    def __init__(self, spec: LabSpec, progress: seam.Progress = print):
        super().__init__(spec, progress)
        self._sessions: dict[str, SshSession] = {}
        self._ovsdb_forward: UnixSocketForward | None = None
        self._hypervisor: Hypervisor | None = None

    # -- hosts -----------------------------------------------------------------------------------
    def session(self, host: str) -> SshSession:
        """The SSH session to a host or guest of the description, opened on first use."""
        key = host.lower()
        if key not in self._sessions:
            target = self.spec.host(host)
            # A guest's sshd may take long for the key exchange (TCG, a busy hypervisor): the TCP connect
            # still fails fast, the handshake gets GUEST_HANDSHAKE_TIMEOUT.
            handshake = GUEST_HANDSHAKE_TIMEOUT if target.role == "guest" else None
            self._sessions[key] = SshSession(target.name, target.mgmt, target.ssh, handshake_timeout=handshake)
        return self._sessions[key]

    def forget_session(self, host: str) -> None:
        session = self._sessions.pop(host.lower(), None)
        if session:
            session.close()

    def close_sessions(self) -> None:
        if self._hypervisor is not None:
            self._hypervisor.close()
            self._hypervisor = None
        if self._ovsdb_forward is not None:
            self._ovsdb_forward.close()
            self._ovsdb_forward = None
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()

    def setup(self) -> None:
        """Make the lab ready: every host reachable over SSH; note its NICs' state for the teardown."""
        for host in self.spec.hosts:
            self.session(host.name).run("true", timeout=15)
        self.nics_found = {
            h.name: hoststate.snapshot(self.session(h.name), [n.name for n in h.nics]) for h in self.spec.hosts
        }

    def teardown(self) -> None:
        """Put back the hosts' NICs as setup found them (PROMISC, MTU, addresses), then close the sessions."""
        for host, found in getattr(self, "nics_found", {}).items():
            for attempt in (1, 2):  # the second on a new connection: the run's may be stuck
                try:
                    for line in hoststate.put_back(self.session(host), found):
                        self.progress(f"恢复网卡状态：{line}")
                    break
                except RuntimeError as err:  # HostConnectionError included: the teardown goes on
                    self.forget_session(host)
                    if attempt == 2:
                        self.progress(f"没能恢复主机 {host} 的网卡状态：{err}")
        self.close_sessions()

    # -- Open vSwitch on the hypervisor ----------------------------------------------------------
    @property
    def ovsdb_remote(self) -> str:
        """An OVSDB connection string reachable from this process (unix:, tcp: or ssl:).

        With ``ovsdb_over_ssh`` (a real lab) the description's ``unix:`` socket is on the hypervisor: a
        socket of this process relays each connection to it through the hypervisor's SSH session, so the
        lab needs no OVSDB listener on its network (``netvirt.ssh.UnixSocketForward``).
        """
        if not self.spec.ovsdb_over_ssh:
            return self.spec.ovsdb
        if self._ovsdb_forward is None:
            forward = UnixSocketForward(lambda: self.session(self.spec.hypervisor), self.spec.ovsdb[len("unix:") :])
            try:
                forward.check()
            except HostConnectionError as err:
                forward.close()
                raise HostConnectionError(f"Hypervisor 的 OVSDB 不可达：{err}") from None
            self._ovsdb_forward = forward
        return self._ovsdb_forward.remote

    def ovs_command(self, *argv: str) -> str:
        """The command line for an OVS tool on the hypervisor (ovs-appctl, ovs-ofctl, ovs-vsctl)."""
        return shlex.join(["env", f"OVS_RUNDIR={self.spec.ovs_rundir}", *argv])

    def _ovs_prefix(self) -> tuple[str, str]:
        """OVS's install prefixes as its run directory tells them: (data prefix, state prefix).

        A source build (``./configure`` default, the record's) keeps everything under one prefix:
        ``/usr/local/var/run/openvswitch`` -> ``/usr/local/share``, ``/usr/local/var/log``; a distribution's
        package runs in ``/var/run`` or ``/run`` with ``/usr/share`` and ``/var/log``.
        """
        match = re.fullmatch(r"(/.+)/var/run/openvswitch/?", self.spec.ovs_rundir)
        return (match[1], f"{match[1]}/var") if match else ("/usr", "/var")

    @property
    def ovs_log_path(self) -> str:
        """ovs-vswitchd's log file on the hypervisor: the lab parameter ``ovs_log``, else where an OVS
        with this run directory logs."""
        return self.spec.params.get("ovs_log") or f"{self._ovs_prefix()[1]}/log/openvswitch/ovs-vswitchd.log"

    @property
    def ovs_ctl_path(self) -> str:
        """ovs-ctl on the hypervisor: the lab parameter ``ovs_ctl``, else where an OVS with this run directory
        has it."""
        return self.spec.params.get("ovs_ctl") or f"{self._ovs_prefix()[0]}/share/openvswitch/scripts/ovs-ctl"

    def vhost_socket_path(self, name: str) -> str:
        """Where a vhost-user socket called ``name`` lives on the hypervisor (OVS's and QEMU's view alike)."""
        return f"{self.spec.ovs_rundir}/{name}"

    def restart_vswitchd(self) -> None:
        """Restart ovs-vswitchd on the hypervisor, keeping ovsdb-server and its database."""
        command = shlex.join([self.ovs_ctl_path, "--no-ovsdb-server", "restart"])
        result = self.session(self.spec.hypervisor).run(command)
        if not result.ok:
            raise RuntimeError(f"ovs-vswitchd 重启失败：{(result.stderr or result.stdout).strip()}")

    def dpdk_devargs(self, pci: str) -> str:
        """What ``options:dpdk-devargs`` must say for the hypervisor NIC at ``pci``: its PCI address, or what
        the lab parameter ``dpdk_devargs`` gives for it (a NIC DPDK reaches through a vdev, for one)."""
        nic = self.spec.host(self.spec.hypervisor).nic(pci)
        return str(self.spec.params.get("dpdk_devargs", {}).get(nic.pci, nic.pci))

    # -- VMs -----------------------------------------------------------------------------------
    @property
    def hypervisor(self) -> Hypervisor:
        """The lab's libvirt connection (``spec.libvirt_uri``), opened on first use and shared by every library."""
        if self._hypervisor is None or self._hypervisor.uri != self.spec.libvirt_uri:
            self._hypervisor = Hypervisor(self.spec.libvirt_uri)
        return self._hypervisor

    def domain_name(self, vm: Vm) -> str:
        return vm.name

    def domain_profile(self, vm: Vm) -> DomainProfile:
        """How ``vm`` boots, from the lab parameters: ``qemu_emulator``, ``vm_arch``, ``vm_machine``,
        ``vm_gic_version``, ``vm_loader`` and ``vm_nvram_template`` (UEFI), ``vm_images`` (a disk per VM),
        ``vm_mgmt_network``, and ``vm_boot``, per VM any other
        ``DomainProfile`` field (kernel, initrd, cmdline, mgmt_tap, domain_type ...) for guests that boot
        otherwise (a direct kernel boot, TCG)."""
        params = self.spec.params
        boot = dict(params.get("vm_boot", {}).get(vm.name, {}))
        known = {f.name for f in dataclasses.fields(DomainProfile)}
        unknown = sorted(set(boot) - known)
        if unknown:
            raise LabDescriptionError(
                f"lab.params.vm_boot.{vm.name}: {', '.join(unknown)} 不是 DomainProfile 的字段"
                f"（可用：{', '.join(sorted(known))}）"
            )
        return DomainProfile(
            **{
                "emulator": params.get("qemu_emulator", "/usr/bin/qemu-system-x86_64"),
                "arch": params.get("vm_arch", "x86_64"),
                "machine": params.get("vm_machine", "q35"),
                "gic_version": params.get("vm_gic_version"),
                "loader": params.get("vm_loader"),
                "nvram_template": params.get("vm_nvram_template"),
                "disk": params.get("vm_images", {}).get(vm.name),
                "mgmt_network": params.get("vm_mgmt_network", "default"),
                "vhost_socket_dir": self.spec.ovs_rundir,
                **boot,
            }
        )

    def prepare_vm(self, vm: Vm) -> None:
        """Anything the lab must provide before the domain starts."""

    def release_vm(self, vm: Vm) -> None:
        """Undo ``prepare_vm``."""

    # -- SR-IOV ------------------------------------------------------------------------------------
    def sriov_nic(self, host: str, pf: str) -> SriovNic:
        """The SR-IOV NIC ``pf`` (name or PCI address) of ``host``, driven through sysfs and rtnetlink on the host."""
        target = self.spec.host(host)
        return NetlinkNic(self.session, target.name, target.nic(pf))


class RealLab(SshLab):
    """A lab of real servers: nothing to build, only to reach."""
