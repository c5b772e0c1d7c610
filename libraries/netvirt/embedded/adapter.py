"""The embedded lab behind the seam (``kind: embedded``): the builder, the guests' boot, the emulated NICs.

What differs from a real lab is here and only here: OVS's log and restart, DPDK's devargs for an
emulated NIC, the domain names and the guests' direct kernel boot under TCG, the emulated SR-IOV NICs,
what the lab left behind and the guests' console. Hosts are reached over SSH as a real lab's are
(``netvirt.reallab.SshLab``).
"""

from __future__ import annotations

from pathlib import Path

from netvirt import seam
from netvirt.domain import DomainProfile
from netvirt.embedded.guestboot import ARCHES, ensure_guest_kernel
from netvirt.embedded.lab import EmbeddedLab as Builder
from netvirt.embedded.nicemu import EmulatedNic
from netvirt.embedded.paths import LAB_ROOT
from netvirt.labspec import NIC_MODELS, LabDescriptionError, LabSpec, Vm
from netvirt.reallab import SshLab
from netvirt.sriov import SriovNic


class EmbeddedLab(SshLab):
    """The lab built on this machine, as the seam offers it: the builder (``netvirt.embedded.lab``) makes and
    removes it, ``guestboot`` boots its guests, ``nicemu`` emulates its SR-IOV NICs; its hosts are reached
    over SSH as a real lab's are."""

    def __init__(self, spec: LabSpec, progress: seam.Progress = print):
        super().__init__(spec, progress)
        self.builder = Builder(spec, progress, caps_cache=seam.CACHE / "libvirt-qemu-capabilities")
        self._kernel = None

    def setup(self) -> None:
        self.close_sessions()
        self.builder.up()
        super().setup()

    def teardown(self) -> None:
        super().teardown()
        self.builder.down()

    def leftovers(self) -> list[str]:
        return self.builder.leftovers()

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

    def qemu_log_path(self, vm: Vm) -> str:
        # The lab's libvirtd has its own /var/log/libvirt (a bind mount of the lab directory's libvirt/log).
        return str(self.builder.root / "libvirt" / "log" / "qemu" / f"{self.domain_name(vm)}.log")

    @property
    def guest_arch(self):
        """The guests' architecture (``params.vm_arch``: x86_64, the default, or aarch64): a ``GuestArch``."""
        name = self.spec.param("vm_arch")
        if name not in ARCHES:
            raise LabDescriptionError(f"lab.params.vm_arch: {name!r} 不支持（支持：{', '.join(ARCHES)}）")
        return ARCHES[name]

    def guest_kernel(self):
        if self._kernel is None:
            self._kernel = ensure_guest_kernel(
                seam.CACHE / "guest-kernel", progress=self.progress, arch=self.guest_arch.name
            )
        return self._kernel

    def domain_profile(self, vm: Vm) -> DomainProfile:
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
                # Errors and warnings on the console, no more: a soft lockup's report names where the CPU was
                # (its registers, "RIP: 0010:<function>" on x86, "pc : <function>" on arm64) at warning level,
                # which "quiet" hides; the survey of a failed test quotes it (netvirt.health).
                "loglevel=5",
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
            console_log=str(self._console_path(vm)),
        )

    def prepare_vm(self, vm: Vm) -> None:
        self.builder.prepare_vm(vm)

    def _console_path(self, vm: Vm) -> Path:
        return self.builder.root / "vm" / f"{vm.name}.console"

    def boot_crash_restarts(self) -> int:
        """Debian 12's QEMU 7.2 under multi-threaded TCG crashes now and then while a guest boots (a vCPU's MMIO
        write through a memory region another thread just changed: twice in some 150 boots, README): one restart."""
        return 1

    def console_tail(self, vm: Vm, lines: int = 15) -> str | None:
        """The guest's serial console, which QEMU writes to a file of the lab's directory."""
        path = self._console_path(vm)
        if not path.exists():
            return None
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def sriov_nic(self, host: str, pf: str) -> SriovNic:
        """An SR-IOV NIC of the embedded lab: the PF is a real veth, its eswitch and VFs are emulated."""
        target = self.spec.host(host)
        return EmulatedNic(self.session, target.name, target.nic(pf), self.builder.nicemu, lambda: self.hypervisor)

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
            "虚拟机的 QEMU（TCG）在客户机就绪前崩溃时重新启动一次（模拟器偶发的引导崩溃），并以警告记入日志",
            "客户机启动时开着一个空闲的 ping（每天向 127.0.0.1 发一个包），让内核的接收时间戳一直开着：否则每个 ping"
            " 都会开关它，改写运行中内核的接收路径代码，多线程 TCG 下正在收包的 vCPU 可能因此锁死",
            *(
                f"SR-IOV 网卡 {'、'.join(nics)} 为模拟（eswitch 为隐藏 OVS 网桥，VF 设置由 OpenFlow"
                " 规则与 meter 实现）"
                "，"
                f"型号 {model}：{NIC_MODELS[model].behaviour()}；依赖它的判定带标签 emulated-nic"
                for model, nics in self._emulated_nics().items()
            ),
        ]
