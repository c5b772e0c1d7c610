"""Domain XML for the record's VMs, rendered from the lab description.

The record builds its VMs with virt-manager and then ``virsh edit``: hugepage backing,
a NUMA cell with memAccess='shared', host-passthrough CPU and vhost-user NICs with
queues=2. ``render_domain`` writes exactly those elements; what differs between labs
(emulator, CPU mode, how the guest boots, its management NIC) comes in a
``DomainProfile`` from the lab seam, never from a branch here on which lab it is.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from netvirt.labspec import Vm, VNic

# libvirt puts the domain's own PCIe devices on the first root ports; the rest stay free for hotplug.
HOTPLUG_PORTS = 10


@dataclass(frozen=True)
class DomainProfile:
    """What a lab decides about its guests (see ``seam``)."""

    domain_type: str = "kvm"
    emulator: str = "/usr/bin/qemu-system-x86_64"
    arch: str = "x86_64"
    machine: str = "q35"
    cpu_mode: str = "host-passthrough"
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


PCI_FIELDS = re.compile(r"^([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$")


def interface_element(vnic: VNic, profile: DomainProfile, alias: str | None = None) -> ET.Element:
    """The ``<interface>`` of a vNIC: vhost-user (OVS-DPDK), hostdev (an SR-IOV VF) or ethernet (a tap).

    ``vnic.port`` is the OVS port (vhostuser), the VF's PCI address (hostdev) or the tap (ethernet).
    """
    if vnic.kind == "vhostuser":
        iface = ET.Element("interface", type="vhostuser")
        _sub(iface, "mac", address=vnic.mac)
        _sub(iface, "source", type="unix", path=f"{profile.vhost_socket_dir}/{vnic.port}", mode=vnic.mode)
        _sub(iface, "model", type="virtio")
        driver = _sub(iface, "driver", queues=str(vnic.queues))
        _sub(driver, "host", mrg_rxbuf="on")
    elif vnic.kind == "hostdev":
        fields = PCI_FIELDS.match(vnic.port or "")
        if not fields:
            raise ValueError(f"vNIC {vnic.name}: {vnic.port!r} is not a PCI address (dddd:bb:dd.f)")
        iface = ET.Element("interface", type="hostdev", managed="yes")
        _sub(iface, "mac", address=vnic.mac)
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
        _sub(iface, "mac", address=vnic.mac)
        _sub(iface, "target", dev=vnic.port, managed="no")
        _sub(iface, "model", type="virtio")
    else:
        raise ValueError(f"vNIC {vnic.name}: unknown kind {vnic.kind!r}")
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
    if profile.kernel:
        _sub(os_, "kernel", profile.kernel)
        if profile.initrd:
            _sub(os_, "initrd", profile.initrd)
        if profile.cmdline:
            _sub(os_, "cmdline", profile.cmdline)
    else:
        _sub(os_, "boot", dev="hd")
    features = _sub(dom, "features")
    _sub(features, "acpi")  # without ACPI the guest sees a single vCPU
    _sub(features, "apic")

    cpu = _sub(dom, "cpu", mode=profile.cpu_mode, check="none")
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
    if profile.machine == "q35":
        # Free PCIe root ports: on q35 a NIC can only be hot-plugged (a VF passed through) into one.
        _sub(devices, "controller", type="pci", index="0", model="pcie-root")
        for _ in range(HOTPLUG_PORTS):
            _sub(devices, "controller", type="pci", model="pcie-root-port")

    ET.indent(dom)
    return ET.tostring(dom, encoding="unicode")
