"""The lab seam: the one place that knows how the embedded lab differs from a real one.

Keyword libraries ask the current lab how to reach a host, where OVSDB and libvirt
listen, what a PCI address means to DPDK and how a guest boots. No keyword and no suite
asks *which* lab it is on. ``current()`` returns the lab of this Robot run, built from
the ``${LAB}`` variable (a validated ``LabSpec``) on first use.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
from collections.abc import Callable
from pathlib import Path

from netvirt.domain import DomainProfile
from netvirt.labspec import NIC_MODELS, LabDescriptionError, LabSpec, Vm
from netvirt.ssh import HostConnectionError, SshSession, UnixSocketForward

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("NETVIRT_CACHE", REPO / ".cache"))

Progress = Callable[[str], None]
GUEST_HANDSHAKE_TIMEOUT = 60.0


class Lab:
    """What every lab offers; subclasses fill in the lab-specific parts."""

    def __init__(self, spec: LabSpec, progress: Progress = print):
        self.spec = spec
        self.progress = progress
        self._sessions: dict[str, SshSession] = {}
        self._ovsdb_forward: UnixSocketForward | None = None

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
        if self._ovsdb_forward is not None:
            self._ovsdb_forward.close()
            self._ovsdb_forward = None
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()

    def setup(self) -> None:
        """Make the lab ready: every host reachable over SSH; note its NICs' state for the teardown."""
        from netvirt import hoststate

        for host in self.spec.hosts:
            self.session(host.name).run("true", timeout=15)
        self.nics_found = {
            h.name: hoststate.snapshot(self.session(h.name), [n.name for n in h.nics]) for h in self.spec.hosts
        }

    def teardown(self) -> None:
        """Put back the hosts' NICs as setup found them (PROMISC, MTU, addresses), then close the sessions."""
        from netvirt import hoststate

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

    def notes(self) -> list[str]:
        """What this lab emulates instead of having it, for the log."""
        return []

    # -- SR-IOV ------------------------------------------------------------------------------------
    def sriov_nic(self, host: str, pf: str):
        """The SR-IOV NIC ``pf`` (name or PCI address) of ``host``: a ``netvirt.sriov.SriovNic``.

        A real lab's PF is driven through sysfs and rtnetlink on the host.
        """
        from netvirt.sriov import NetlinkNic

        target = self.spec.host(host)
        return NetlinkNic(self, target.name, target.nic(pf))


class RealLab(Lab):
    """A lab of real servers: nothing to build, only to reach."""


class EmbeddedLab(Lab):
    """The lab built on this machine (``netvirt.embedded``)."""

    def __init__(self, spec: LabSpec, progress: Progress = print):
        super().__init__(spec, progress)
        from netvirt.embedded.lab import EmbeddedLab as Builder

        self.builder = Builder(spec, progress, caps_cache=CACHE / "libvirt-qemu-capabilities")
        self._kernel = None

    def setup(self) -> None:
        self.close_sessions()
        self.builder.up()
        super().setup()

    def teardown(self) -> None:
        super().teardown()
        self.builder.down()

    @property
    def ovs_log_path(self) -> str:
        return str(self.builder.root / "log" / "ovs-vswitchd.log")

    def restart_vswitchd(self) -> None:
        self.builder.restart_vswitchd()

    def dpdk_devargs(self, pci: str) -> str:
        hypervisor = self.spec.host(self.spec.hypervisor)
        nic = hypervisor.nic(pci)
        # The record's PCI NIC is emulated here; DPDK reaches it as a vdev (virtio-user into the
        # emulated NIC's eswitch), and takes it from the host kernel as a real PMD would.
        return self.builder.claim_for_dpdk(nic.name, hypervisor.nics.index(nic))

    def domain_name(self, vm: Vm) -> str:
        return self.builder.domain_name(vm)

    @property
    def guest_arch(self):
        """The guests' architecture (``params.vm_arch``: x86_64, the default, or aarch64): a ``GuestArch``."""
        from netvirt.embedded.guestboot import ARCHES

        name = self.spec.params.get("vm_arch", "x86_64")
        if name not in ARCHES:
            raise LabDescriptionError(f"lab.params.vm_arch: {name!r} 不支持（支持：{', '.join(ARCHES)}）")
        return ARCHES[name]

    def guest_kernel(self):
        if self._kernel is None:
            from netvirt.embedded.guestboot import ensure_guest_kernel

            self._kernel = ensure_guest_kernel(
                CACHE / "guest-kernel", progress=self.progress, arch=self.guest_arch.name
            )
        return self._kernel

    def domain_profile(self, vm: Vm) -> DomainProfile:
        from netvirt.embedded.lab import LAB_ROOT

        arch = self.guest_arch
        kernel = self.guest_kernel()
        names = [f"{vm.mgmt_mac}=eth0", *(f"{v.mac}={v.name}" for v in vm.vnics)]
        # QEMU 7.2 under TCG crashes when an x86 guest starts a vhost-user virtio-net device with MSI-X
        # (LAB-FACTS); INTx for every device also covers NICs hot-plugged later. A lab whose guests have
        # MSI-X says so in its capabilities.
        msi = [] if "msix_interrupts" in self.spec.capabilities else ["pci=nomsi"]
        # A guest of another architecture runs a userland of its own, with the lab's directory bound in.
        userland = [f"netvirt.userland={kernel.userland}", f"netvirt.hostdir={LAB_ROOT}"] if kernel.userland else []
        cmdline = " ".join(
            [
                f"console={arch.console}",
                *msi,
                "quiet",
                "panic=-1",
                f"netvirt.hostname={vm.name}",
                f"netvirt.ifnames={','.join(names)}",
                f"netvirt.mgmt=eth0,{vm.mgmt}/{self.builder.net.prefixlen}",
                f"netvirt.sshd={self.builder.root / 'ssh' / 'sshd_config'}",
                *userland,
            ]
        )
        return DomainProfile(
            domain_type="qemu",  # TCG: this machine's /dev/kvm does not boot ordinary guests
            emulator=arch.emulator,
            arch=arch.name,
            machine=arch.machine,
            # host-passthrough needs KVM
            cpu_mode="custom" if arch.cpu_model else "maximum",
            cpu_model=arch.cpu_model,
            gic_version=arch.gic_version,
            kernel=str(kernel.vmlinuz),
            initrd=str(kernel.initrd),
            cmdline=cmdline,
            share_root=True,
            mgmt_tap=self.builder.mgmt_tap(vm),
            vhost_socket_dir=self.spec.ovs_rundir,
            console_log=str(self.builder.root / "vm" / f"{vm.name}.console"),
        )

    def prepare_vm(self, vm: Vm) -> None:
        self.builder.prepare_vm(vm)

    def sriov_nic(self, host: str, pf: str):
        """An SR-IOV NIC of the embedded lab: the PF is a real veth, its eswitch and VFs are emulated."""
        from netvirt.embedded.nicemu import EmulatedNic

        target = self.spec.host(host)
        return EmulatedNic(self, target.name, target.nic(pf), self.builder.nicemu)

    def release_vm(self, vm: Vm) -> None:
        self.builder.release_vm(vm)

    def _emulated_nics(self) -> dict[str, list[str]]:
        """The emulated SR-IOV NICs (``host:nic``) by model."""
        found: dict[str, list[str]] = {}
        for host in self.spec.hosts:
            for nic in host.nics:
                if nic.sriov:
                    found.setdefault(nic.model, []).append(f"{host.name}:{nic.name}")
        return found

    def notes(self) -> list[str]:
        return [
            "Host A/Host B 为网络命名空间（各自运行 sshd），网线为 veth 对",
            "物理网卡的 DPDK 端口为 virtio-user，接到模拟网卡 eswitch 的 vhost-user 端口（无真实 PCI 设备）",
            "虚拟机为 QEMU TCG 客户机，内核为 Debian 官方内核，用户态经 9p 只读共享本机根文件系统",
            *(
                f"SR-IOV 网卡 {'、'.join(nics)} 为模拟（eswitch 为隐藏 OVS 网桥，VF 设置由 OpenFlow"
                " 规则与 meter 实现）"
                "，"
                f"型号 {model}：{NIC_MODELS[model].behaviour()}；依赖它的判定带标签 emulated-nic"
                for model, nics in self._emulated_nics().items()
            ),
        ]


_current: Lab | None = None


def from_spec(spec: LabSpec, progress: Progress = print) -> Lab:
    if not isinstance(spec, LabSpec):
        raise LabDescriptionError(
            f"${{LAB}} is not a lab description (got {type(spec).__name__}); load one with -V variables/<lab>.py"
        )
    return (EmbeddedLab if spec.kind == "embedded" else RealLab)(spec, progress)


def current() -> Lab:
    """The lab of this run, created from the Robot variable ``${LAB}`` on first use."""
    global _current
    if _current is None:
        from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

        try:
            spec = BuiltIn().get_variable_value("${LAB}")
        except RobotNotRunningError:
            spec = None
        if spec is None:
            raise LabDescriptionError("没有选择实验环境：用 -V variables/embedded_lab.py 或 variables/record_lab.py")
        _current = from_spec(spec, _robot_progress)
    return _current


def existing() -> Lab | None:
    """The lab of this run if one was created already (for listeners: they must not create one)."""
    return _current


def use(lab: Lab | None) -> None:
    """Make ``lab`` the current lab (tests and benchmarks that build one themselves)."""
    global _current
    _current = lab


def _robot_progress(message: str) -> None:
    from robot.api import logger

    logger.info(message, also_console=True)


__all__ = ["Lab", "RealLab", "EmbeddedLab", "HostConnectionError", "current", "use", "from_spec"]
