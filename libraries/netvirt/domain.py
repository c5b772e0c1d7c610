"""Domain XML for the record's VMs, rendered from the lab description.

The record builds its VMs with virt-manager and then ``virsh edit``: hugepage backing,
a NUMA cell with memAccess='shared', host-passthrough CPU and vhost-user NICs with
queues=2. ``render_domain`` writes exactly those elements; what differs between labs
(emulator, CPU mode, how the guest boots, its management NIC) comes in a
``DomainProfile`` from the lab seam, never from a branch here on which lab it is.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from netvirt import validate
from netvirt.labspec import Vm, VNic

# libvirt puts the domain's own PCIe devices on the first root ports; the rest stay free for hotplug.
HOTPLUG_PORTS = 10
X86 = ("x86_64", "i686")


def is_pcie_machine(machine: str) -> bool:
    """Whether QEMU's ``machine`` is PCI Express (q35, pc-q35-7.2, Arm's virt, virt-7.2), where a NIC can be
    hot-plugged only into a free PCIe root port."""
    return "q35" in machine or machine == "virt" or machine.startswith("virt-")


@dataclass(frozen=True)
class DomainProfile:
    """What a lab decides about its guests (see ``seam``)."""

    domain_type: str = "kvm"
    emulator: str = "/usr/bin/qemu-system-x86_64"
    arch: str = "x86_64"
    machine: str = "q35"
    cpu_mode: str = "host-passthrough"
    cpu_model: str | None = None  # with cpu_mode "custom": the CPU QEMU emulates (cortex-a57)
    gic_version: str | None = None  # Arm's interrupt controller (the virt machine's GICv2 or v3)
    loader: str | None = None  # UEFI firmware (pflash), e.g. AAVMF_CODE.fd; None: SeaBIOS or direct kernel
    nvram_template: str | None = None  # the firmware's variable store, copied per domain by libvirt
    kernel: str | None = None
    initrd: str | None = None
    cmdline: str | None = None
    disk: str | None = None
    share_root: bool = False
    mgmt_tap: str | None = None
    mgmt_network: str | None = "default"
    vhost_socket_dir: str = "/usr/local/var/run/openvswitch"
    console_log: str | None = None


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    elem = ET.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        elem.text = text
    return elem


SUN_PATH_MAX = 107  # sockaddr_un.sun_path holds 108 bytes, the last one a NUL


def socket_in_dir(path: str, directory: str) -> str:
    """``path`` normalised if it names a file directly inside ``directory`` and fits a unix socket
    address; ValueError otherwise (``../`` out of the lab's socket directory, a sub-directory, too long)."""
    folder = posixpath.normpath(directory)
    normal = posixpath.normpath(path)
    if posixpath.dirname(normal) != folder or posixpath.basename(normal) in ("", ".", ".."):
        raise ValueError(f"vhost-user 套接字 {path!r} 不在实验环境的套接字目录 {folder} 中")
    if len(normal.encode()) > SUN_PATH_MAX:
        raise ValueError(
            f"vhost-user 套接字路径 {normal} 有 {len(normal.encode())} 字节，超过 unix 套接字的上限 {SUN_PATH_MAX}"
        )
    return normal


def vhost_socket(directory: str, name: object) -> str:
    """The path of vhost-user socket ``name`` in ``directory``, both checked."""
    # A vhost-user socket is a file *in* the socket directory, named like an OVS port: no '/', no leading '.'.
    return socket_in_dir(f"{directory}/{validate.ovs_name(name, 'vhost-user 套接字')}", directory)


def interface_element(vnic: VNic, profile: DomainProfile, alias: str | None = None) -> ET.Element:
    """The ``<interface>`` of a vNIC: vhost-user (OVS-DPDK), hostdev (an SR-IOV VF) or ethernet (a tap).

    ``vnic.port`` is the OVS port (vhostuser), the VF's PCI address (hostdev) or the tap (ethernet).
    """
    if vnic.kind == "vhostuser":
        iface = ET.Element("interface", type="vhostuser")
        _sub(iface, "mac", address=validate.mac(vnic.mac))
        if vnic.mode not in ("client", "server"):
            raise ValueError(f"vNIC {vnic.name}: vhost-user 模式 {vnic.mode!r} 只能是 client 或 server")
        path = vhost_socket(profile.vhost_socket_dir, vnic.port)
        _sub(iface, "source", type="unix", path=path, mode=vnic.mode)
        _sub(iface, "model", type="virtio")
        driver = _sub(iface, "driver", queues=str(vnic.queues))
        _sub(driver, "host", mrg_rxbuf="on")
    elif vnic.kind == "hostdev":
        fields = validate.PCI.match(validate.pci(vnic.port))
        iface = ET.Element("interface", type="hostdev", managed="yes")
        _sub(iface, "mac", address=validate.mac(vnic.mac))
        source = _sub(iface, "source")
        domain, bus, slot, function = fields.groups()
        _sub(
            source,
            "address",
            type="pci",
            domain=f"0x{domain}",
            bus=f"0x{bus}",
            slot=f"0x{slot}",
            function=f"0x{function}",
        )
    elif vnic.kind == "ethernet":
        iface = ET.Element("interface", type="ethernet")
        _sub(iface, "mac", address=validate.mac(vnic.mac))
        _sub(iface, "target", dev=validate.netdev_name(vnic.port, "tap 名"), managed="no")
        _sub(iface, "model", type="virtio")
    else:
        raise ValueError(f"vNIC {vnic.name}: 网卡类型 {vnic.kind!r} 不支持（vhostuser、hostdev、ethernet）")
    if alias:
        _sub(iface, "alias", name=alias)
    return iface


def render_interface(vnic: VNic, profile: DomainProfile) -> str:
    """The ``<interface>`` XML of ``vnic`` alone, for live attach and detach."""
    element = interface_element(vnic, profile)
    ET.indent(element)
    return ET.tostring(element, encoding="unicode")


def render_domain(name: str, vm: Vm, profile: DomainProfile) -> str:
    """Return the domain XML of ``vm`` as libvirt should define it.

    Example: ``render_domain("vm01", lab.vm("vm01"), seam.domain_profile(vm))``.
    """
    memory_kib = vm.memory_mib * 1024
    dom = ET.Element("domain", type=profile.domain_type)
    _sub(dom, "name", name)
    _sub(dom, "memory", str(memory_kib), unit="KiB")
    _sub(dom, "currentMemory", str(memory_kib), unit="KiB")
    backing = _sub(dom, "memoryBacking")
    pages = _sub(backing, "hugepages")
    _sub(pages, "page", size=str(vm.hugepage_kib), unit="KiB", nodeset="0")
    _sub(backing, "access", mode="shared")
    _sub(dom, "vcpu", str(vm.vcpus), placement="static")

    os_ = _sub(dom, "os")
    _sub(os_, "type", "hvm", arch=profile.arch, machine=profile.machine)
    if profile.loader:
        _sub(os_, "loader", profile.loader, readonly="yes", type="pflash")
        if profile.nvram_template:
            _sub(os_, "nvram", template=profile.nvram_template)
    if profile.kernel:
        _sub(os_, "kernel", profile.kernel)
        if profile.initrd:
            _sub(os_, "initrd", profile.initrd)
        if profile.cmdline:
            _sub(os_, "cmdline", profile.cmdline)
    else:
        _sub(os_, "boot", dev="hd")
    features = _sub(dom, "features")
    # x86: without ACPI the guest sees a single vCPU. Arm: ACPI comes from UEFI firmware (libvirt refuses it
    # without a loader); a guest booted without firmware finds its CPUs in QEMU's device tree.
    if profile.arch in X86 or profile.loader:
        _sub(features, "acpi")
    if profile.arch in X86:
        _sub(features, "apic")
    if profile.gic_version:
        _sub(features, "gic", version=profile.gic_version)

    cpu = _sub(dom, "cpu", mode=profile.cpu_mode, check="none")
    if profile.cpu_model:
        _sub(cpu, "model", profile.cpu_model, fallback="forbid")
    _sub(cpu, "topology", sockets="1", dies="1", cores=str(vm.vcpus), threads="1")
    numa = _sub(cpu, "numa")
    _sub(numa, "cell", id="0", cpus=f"0-{vm.vcpus - 1}", memory=str(memory_kib), unit="KiB", memAccess="shared")
    _sub(dom, "on_poweroff", "destroy")
    _sub(dom, "on_reboot", "restart")
    _sub(dom, "on_crash", "destroy")

    devices = _sub(dom, "devices")
    _sub(devices, "emulator", profile.emulator)
    if profile.disk:
        disk = _sub(devices, "disk", type="file", device="disk")
        _sub(disk, "driver", name="qemu", type="qcow2")
        _sub(disk, "source", file=profile.disk)
        _sub(disk, "target", dev="vda", bus="virtio")
    if profile.share_root:
        fs = _sub(devices, "filesystem", type="mount", accessmode="squash", multidevs="remap")
        _sub(fs, "source", dir="/")
        _sub(fs, "target", dir="rootfs")
        _sub(fs, "readonly")
    # NIC1 of the record: the management NIC (NAT on a real lab, a tap on the embedded one).
    if profile.mgmt_tap:
        mgmt = _sub(devices, "interface", type="ethernet")
        _sub(mgmt, "target", dev=profile.mgmt_tap, managed="no")
    else:
        mgmt = _sub(devices, "interface", type="network")
        _sub(mgmt, "source", network=profile.mgmt_network or "default")
    _sub(mgmt, "mac", address=vm.mgmt_mac)
    _sub(mgmt, "model", type="virtio")

    for index, vnic in enumerate(vm.vnics):
        devices.append(interface_element(vnic, profile, f"ua-{vnic.kind}{index}"))
    if profile.console_log:
        serial = _sub(devices, "serial", type="file")
        _sub(serial, "source", path=profile.console_log)
    else:
        serial = _sub(devices, "serial", type="pty")
    _sub(serial, "target", port="0")
    _sub(devices, "memballoon", model="none")
    if is_pcie_machine(profile.machine):
        # Free PCIe root ports: on PCIe a NIC can only be hot-plugged (a VF passed through) into one.
        _sub(devices, "controller", type="pci", index="0", model="pcie-root")
        for _ in range(HOTPLUG_PORTS):
            _sub(devices, "controller", type="pci", model="pcie-root-port")

    ET.indent(dom)
    return ET.tostring(dom, encoding="unicode")
