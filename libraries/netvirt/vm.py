"""VMs through libvirt-python: define, start, stop, undefine, read back.

The same calls serve a real hypervisor (qemu:///system, qemu+ssh://host/system) and the
embedded lab's own libvirtd; what differs is only in the ``DomainProfile`` the lab seam
hands to ``render_domain``.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import libvirt

from netvirt.domain import render_domain
from netvirt.labspec import Vm

STATES = {
    libvirt.VIR_DOMAIN_NOSTATE: "nostate",
    libvirt.VIR_DOMAIN_RUNNING: "running",
    libvirt.VIR_DOMAIN_BLOCKED: "blocked",
    libvirt.VIR_DOMAIN_PAUSED: "paused",
    libvirt.VIR_DOMAIN_SHUTDOWN: "shutdown",
    libvirt.VIR_DOMAIN_SHUTOFF: "shutoff",
    libvirt.VIR_DOMAIN_CRASHED: "crashed",
    libvirt.VIR_DOMAIN_PMSUSPENDED: "pmsuspended",
}


class VmError(RuntimeError):
    """A VM operation failed; the message names the domain and libvirt's reason."""


def _quiet(_ctx, _err) -> None:
    """libvirt prints every error to stderr by default; ours are raised as VmError instead."""


libvirt.registerErrorHandler(_quiet, None)


class Hypervisor:
    """A libvirt connection to the hypervisor of a lab."""

    def __init__(self, uri: str):
        self.uri = uri
        self._conn: libvirt.virConnect | None = None

    @property
    def conn(self) -> libvirt.virConnect:
        if self._conn is None or not self._conn.isAlive():
            try:
                self._conn = libvirt.open(self.uri)
            except libvirt.libvirtError as err:
                raise VmError(f"无法连接 libvirt（{self.uri}）：{err.get_error_message()}") from None
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except libvirt.libvirtError:
                pass
            self._conn = None

    def versions(self) -> dict[str, str]:
        """QEMU (the hypervisor driver's version) and libvirt, as ``major.minor.micro``."""

        def dotted(number: int) -> str:
            return f"{number // 1000000}.{number // 1000 % 1000}.{number % 1000}"

        return {"qemu": dotted(self.conn.getVersion()), "libvirt": dotted(self.conn.getLibVersion())}

    def lookup(self, name: str) -> libvirt.virDomain:
        try:
            return self.conn.lookupByName(name)
        except libvirt.libvirtError:
            known = ", ".join(sorted(d.name() for d in self.conn.listAllDomains())) or "无"
            raise VmError(f"虚拟机 {name} 不存在（现有：{known}）") from None

    def exists(self, name: str) -> bool:
        return name in (d.name() for d in self.conn.listAllDomains())

    def define(self, xml: str) -> libvirt.virDomain:
        name = ET.fromstring(xml).findtext("name")
        if self.exists(name):
            raise VmError(f"虚拟机 {name} 已经定义过了；先删除它，或换一个名字")
        try:
            return self.conn.defineXML(xml)
        except libvirt.libvirtError as err:
            raise VmError(f"定义虚拟机 {name} 失败：{err.get_error_message()}") from None

    def start(self, name: str) -> None:
        dom = self.lookup(name)
        try:
            dom.create()
        except libvirt.libvirtError as err:
            raise VmError(f"启动虚拟机 {name} 失败：{err.get_error_message()}") from None

    def create(self, name: str, vm: Vm, profile) -> str:
        """Define and start ``vm`` as domain ``name``; on failure nothing stays defined."""
        xml = render_domain(name, vm, profile)
        self.define(xml)
        try:
            self.start(name)
        except VmError:
            self.remove(name)
            raise
        return xml

    def attach(self, name: str, device_xml: str, live: bool = True, config: bool = False) -> None:
        """Attach a device to domain ``name``: to the running guest (``live``) and/or its definition."""
        self._device_op(name, device_xml, live, config, attach=True)

    def detach(self, name: str, device_xml: str, live: bool = True, config: bool = False) -> None:
        self._device_op(name, device_xml, live, config, attach=False)

    def _device_op(self, name: str, xml: str, live: bool, config: bool, attach: bool) -> None:
        flags = (libvirt.VIR_DOMAIN_AFFECT_LIVE if live else 0) | (libvirt.VIR_DOMAIN_AFFECT_CONFIG if config else 0)
        if not flags:
            raise VmError("attach/detach 需要 live 或 config 至少一个")
        dom = self.lookup(name)
        try:
            (dom.attachDeviceFlags if attach else dom.detachDeviceFlags)(xml, flags)
        except libvirt.libvirtError as err:
            verb = "挂载" if attach else "卸载"
            raise VmError(f"向虚拟机 {name} {verb}设备失败：{err.get_error_message()}") from None

    def interfaces(self, name: str) -> list[dict[str, str]]:
        """The domain's NICs as libvirt reports them: type, mac, source (socket, tap or PCI address)."""
        return [
            {"type": iface.get("type"), "mac": iface.find("mac").get("address"), "source": _nic_source(iface)}
            for iface in ET.fromstring(self.xml(name)).findall("devices/interface")
        ]

    def state(self, name: str) -> str:
        return STATES.get(self.lookup(name).state()[0], "unknown")

    def xml(self, name: str) -> str:
        return self.lookup(name).XMLDesc(0)

    def shutdown(self, name: str, timeout: float = 30) -> None:
        """ACPI shutdown, then destroy if the guest does not stop within ``timeout``."""
        dom = self.lookup(name)
        if dom.isActive():
            try:
                dom.shutdown()
            except libvirt.libvirtError:
                pass
            deadline = time.monotonic() + timeout
            while dom.isActive() and time.monotonic() < deadline:
                time.sleep(0.5)
        self.destroy(name)

    def destroy(self, name: str) -> None:
        dom = self.lookup(name)
        if dom.isActive():
            try:
                dom.destroy()
            except libvirt.libvirtError as err:
                raise VmError(f"强制关闭虚拟机 {name} 失败：{err.get_error_message()}") from None

    def undefine(self, name: str) -> None:
        dom = self.lookup(name)
        # A UEFI guest's NVRAM file goes with its definition; drivers without NVRAM refuse the flag.
        flags = libvirt.VIR_DOMAIN_UNDEFINE_NVRAM if "<nvram" in dom.XMLDesc(0) else 0
        try:
            dom.undefineFlags(flags)
        except libvirt.libvirtError as err:
            raise VmError(f"删除虚拟机 {name} 的定义失败：{err.get_error_message()}") from None

    def remove(self, name: str) -> None:
        """Destroy and undefine ``name`` if it exists."""
        if self.exists(name):
            self.destroy(name)
            self.undefine(name)


def _nic_source(iface: ET.Element) -> str:
    """The socket path, PCI address (dddd:bb:dd.f) or tap name a domain's ``<interface>`` is bound to."""
    source, target = iface.find("source"), iface.find("target")
    address = source.find("address") if source is not None else None
    if source is not None and source.get("path"):
        return source.get("path")
    if address is not None:
        domain, bus, slot, function = (address.get(k)[2:] for k in ("domain", "bus", "slot", "function"))
        return f"{domain}:{bus}:{slot}.{function}"
    return target.get("dev") if target is not None else ""
