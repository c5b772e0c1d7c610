"""Domain XML: the record's ``virsh edit`` fragment, element by element, for both labs."""

import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from netvirt.domain import DomainProfile, render_domain, render_interface


def real_profile(lab):
    p = lab.params
    return DomainProfile(
        emulator=p["qemu_emulator"],
        arch=p["vm_arch"],
        machine=p["vm_machine"],
        disk=p["vm_images"]["vm01"],
        vhost_socket_dir=lab.ovs_rundir,
    )


def test_vm01_has_every_element_of_the_records_fragment(record):
    dom = ET.fromstring(render_domain("VM01", record.vm("vm01"), real_profile(record)))
    page = dom.find("memoryBacking/hugepages/page")
    assert int(page.get("size")) * {"KiB": 1}[page.get("unit")] == 512 * 1024  # 512 M
    assert page.get("nodeset") == "0"
    cpu = dom.find("cpu")
    assert (cpu.get("mode"), cpu.get("check")) == ("host-passthrough", "none")
    topo = cpu.find("topology").attrib
    assert (topo["sockets"], topo["cores"], topo["threads"]) == ("1", "4", "1")
    cell = cpu.find("numa/cell").attrib
    assert cell == {"id": "0", "cpus": "0-3", "memory": "8388608", "unit": "KiB", "memAccess": "shared"}
    ostype = dom.find("os/type")
    assert (ostype.get("arch"), ostype.get("machine"), ostype.text) == ("aarch64", "virt", "hvm")
    assert dom.findtext("devices/emulator") == "/usr/local/bin/qemu-system-aarch64"
    nic = dom.find("devices/interface[@type='vhostuser']")
    assert nic.find("mac").get("address") == "00:00:00:00:00:01"
    assert nic.find("source").attrib == {
        "type": "unix",
        "mode": "client",
        "path": "/usr/local/var/run/openvswitch/dpdkvhostuser0",
    }
    assert nic.find("model").get("type") == "virtio"
    assert nic.find("driver").get("queues") == "2"
    assert nic.find("driver/host").get("mrg_rxbuf") == "on"


def test_embedded_profile_boots_kernel_from_the_shared_root(record):
    profile = DomainProfile(
        domain_type="qemu",
        cpu_mode="maximum",
        kernel="/k",
        initrd="/i",
        cmdline="console=ttyS0",
        share_root=True,
        mgmt_tap="vm01-mgmt",
    )
    dom = ET.fromstring(render_domain("nv1-vm01", record.vm("vm01"), profile))
    assert dom.get("type") == "qemu" and dom.find("cpu").get("mode") == "maximum"
    assert dom.findtext("os/kernel") == "/k" and dom.find("os/boot") is None
    assert dom.find("features/acpi") is not None
    assert dom.find("devices/filesystem/readonly") is not None
    assert dom.find("devices/interface[@type='ethernet']/target").get("dev") == "vm01-mgmt"
    assert dom.find("devices/controller[@model='pcie-root-port']") is not None  # room to hot-plug a VF


@pytest.mark.skipif(not shutil.which("virt-xml-validate"), reason="virt-xml-validate (libvirt-clients) not installed")
def test_rendered_xml_is_valid_for_libvirt(record, tmp_path):
    from netvirt.reallab import RealLab

    seam_profile = RealLab(record, progress=lambda message: None).domain_profile(record.vm("vm01"))
    for index, profile in enumerate((real_profile(record), seam_profile)):
        path = tmp_path / f"vm01-{index}.xml"
        path.write_text(render_domain("VM01", record.vm("vm01"), profile))
        proc = subprocess.run(["virt-xml-validate", str(path), "domain"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_vf_interfaces_for_hot_plug(record):
    from netvirt.labspec import VNic

    hostdev = ET.fromstring(
        render_interface(VNic("enp5s0", "hostdev", "52:54:00:00:05:01", "0005:01:00.1"), DomainProfile())
    )
    assert hostdev.get("type") == "hostdev" and hostdev.get("managed") == "yes"
    assert hostdev.find("source/address").attrib == {
        "type": "pci",
        "domain": "0x0005",
        "bus": "0x01",
        "slot": "0x00",
        "function": "0x1",
    }
    tap = ET.fromstring(render_interface(VNic("enp5s0", "ethernet", "52:54:00:00:05:01", "vf0tap"), DomainProfile()))
    assert tap.find("target").attrib == {"dev": "vf0tap", "managed": "no"}
    with pytest.raises(ValueError, match="PCI 地址 .5:1.1. 不合法"):
        render_interface(VNic("x", "hostdev", "52:54:00:00:05:01", "5:1.1"), DomainProfile())


def test_record_lab_guest_boots_uefi_with_acpi_gic_and_hot_plug_ports(record):
    """The record lab's profile as the seam gives it: on aarch64, ACPI only with the UEFI loader (libvirt
    refuses it otherwise), no x86 APIC, GICv3, and free PCIe root ports on ``virt`` for hot-plugged NICs."""
    from netvirt.reallab import RealLab

    lab = RealLab(record, progress=lambda message: None)
    dom = ET.fromstring(render_domain("VM01", record.vm("vm01"), lab.domain_profile(record.vm("vm01"))))
    loader = dom.find("os/loader")
    assert (loader.text, loader.get("readonly"), loader.get("type")) == (
        "/usr/share/AAVMF/AAVMF_CODE.fd",
        "yes",
        "pflash",
    )
    assert dom.find("os/nvram").get("template") == "/usr/share/AAVMF/AAVMF_VARS.fd"
    assert dom.find("features/acpi") is not None and dom.find("features/apic") is None
    assert dom.find("features/gic").get("version") == "3"
    assert len(dom.findall("devices/controller[@model='pcie-root-port']")) == 10


def test_aarch64_guest_without_firmware_has_no_acpi():
    """Direct kernel boot on Arm (the embedded lab's aarch64 guests): no loader, so no ACPI and no APIC; the
    guest finds its CPUs in QEMU's device tree. The CPU is a named model, not QEMU's maximum."""
    profile = DomainProfile(
        domain_type="qemu",
        emulator="/usr/bin/qemu-system-aarch64",
        arch="aarch64",
        machine="virt",
        cpu_mode="custom",
        cpu_model="cortex-a57",
        gic_version="3",
        kernel="/k",
        mgmt_tap="vm01-mgmt",
    )
    dom = ET.fromstring(render_domain("nv1-vm01", _small_vm(), profile))
    assert dom.find("features/acpi") is None and dom.find("features/apic") is None
    assert dom.find("features/gic").get("version") == "3"
    model = dom.find("cpu/model")
    assert (dom.find("cpu").get("mode"), model.text, model.get("fallback")) == ("custom", "cortex-a57", "forbid")
    assert dom.find("os/loader") is None
    assert dom.find("devices/controller[@model='pcie-root-port']") is not None


def test_x86_guest_keeps_acpi_and_apic():
    dom = ET.fromstring(render_domain("nv1-vm01", _small_vm(), DomainProfile(kernel="/k")))
    assert dom.find("features/acpi") is not None and dom.find("features/apic") is not None
    assert dom.find("features/gic") is None and dom.find("cpu/model") is None


def _small_vm():
    from netvirt.labspec import Vm

    return Vm("vm01", 2, 1024, 2048, "198.18.0.101", "52:54:00:4e:56:01", ())


@pytest.mark.parametrize(
    ("machine", "pcie"),
    [("q35", True), ("pc-q35-7.2", True), ("virt", True), ("virt-7.2", True), ("pc", False), ("virtio", False)],
)
def test_hot_plug_ports_on_pcie_machines(machine, pcie):
    from netvirt.domain import is_pcie_machine

    assert is_pcie_machine(machine) is pcie


def test_embedded_lab_chooses_guest_architecture_in_its_description(monkeypatch):
    """``-V variables/embedded_lab.py:<id>::aarch64`` (the NIC model left to its default), or NETVIRT_VM_ARCH."""
    import embedded_lab

    monkeypatch.delenv("NETVIRT_VM_ARCH", raising=False)
    assert embedded_lab.get_variables("nvx1")["LAB"].params["vm_arch"] == "x86_64"
    lab = embedded_lab.get_variables("nvx1", "", "aarch64")["LAB"]
    assert lab.params["vm_arch"] == "aarch64"
    assert {nic.model for host in lab.hosts for nic in host.nics} == {embedded_lab.RECORD_NIC_MODEL}
    # MSI-X crashes QEMU 7.2 under TCG with vhost-user on aarch64 guests too (measured): no capability.
    assert "msix_interrupts" not in lab.capabilities
    monkeypatch.setenv("NETVIRT_VM_ARCH", "aarch64")
    assert embedded_lab.get_variables("nvx1")["LAB"].params["vm_arch"] == "aarch64"
    with pytest.raises(ValueError, match="虚拟机架构 'arm' 不支持"):
        embedded_lab.get_variables("nvx1", None, "arm")
