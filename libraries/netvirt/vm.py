"""VMs through libvirt-python: define, start, stop, undefine, read back.

The same calls serve a real hypervisor (qemu:///system, qemu+ssh://host/system) and the
embedded lab's own libvirtd; what differs is only in the ``DomainProfile`` the lab seam
hands to ``render_domain``.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from typing import TypeVar

import libvirt

from netvirt import atonce
from netvirt.domain import render_domain
from netvirt.labspec import Vm
from netvirt.waiting import WaitTimeout, wait_until

T = TypeVar("T")

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
    """A VM operation failed; the message names the operation, the domain and libvirt's reason."""


class LibvirtTimeout(VmError):
    """A libvirt call did not return within its bound; the call itself may still be running in ``worker``
    (and may still complete: a device attached late, a domain started late)."""

    def __init__(self, message: str, worker: threading.Thread | None = None):
        super().__init__(message)
        self.worker = worker


def _quiet(_ctx, _err) -> None:
    """libvirt prints every error to stderr by default; ours are raised as VmError instead."""


libvirt.registerErrorHandler(_quiet, None)

DEFAULT_TIMEOUT = 90.0  # s: starting a TCG guest while libvirtd probes QEMU takes tens of seconds


def _cause(err: BaseException) -> str:
    """What went wrong, in libvirt's words where it has some."""
    if isinstance(err, libvirt.libvirtError):
        return err.get_error_message() or str(err)
    if isinstance(err, SystemError):
        # libvirt-python's "… returned a result with an exception set": the real error is chained.
        inner = err.__cause__ or err.__context__
        detail = f"{type(inner).__name__}: {inner}" if inner else str(err)
        return f"libvirt-python 内部出错（{detail}）"
    return f"{type(err).__name__}: {err}"


def bounded(what: str, call: Callable[[], T], timeout: float) -> T:
    """Run the blocking libvirt ``call`` in a worker thread and give up after ``timeout`` seconds.

    libvirt-python releases the GIL while it waits, so the worker can be left behind: a call that does
    not return (QEMU waiting on a socket that never answers, a ``qemu+ssh`` host that never sends its
    banner) makes the keyword fail in time, naming ``what`` (operation and object), instead of hanging
    the run. Every failure, libvirt's own or Python's, becomes a ``VmError`` in Chinese.
    """
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["value"] = call()
        except BaseException as err:  # noqa: BLE001 — handed to the caller's thread below
            outcome["error"] = err

    worker = threading.Thread(target=work, name=f"libvirt: {what}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise LibvirtTimeout(
            f"{what}超时：libvirt 在 {timeout:g} 秒内没有返回（libvirtd 或 QEMU 没有回应；"
            "已不再等待，但该操作可能稍后仍会完成；连接会重新建立）",
            worker,
        )
    if "error" in outcome:
        err = outcome["error"]
        if isinstance(err, VmError):
            raise err
        raise VmError(f"{what}失败：{_cause(err)}") from None
    return outcome["value"]  # type: ignore[return-value]


class Hypervisor:
    """A libvirt connection to the hypervisor of a lab; every call bounded by ``timeout`` seconds."""

    def __init__(self, uri: str, timeout: float = DEFAULT_TIMEOUT):
        self.uri = uri
        self.timeout = timeout
        self._conn: libvirt.virConnect | None = None
        # Connections whose call timed out: never closed (that could block too) nor collected (the
        # finaliser closes), only replaced.
        self._abandoned: list[libvirt.virConnect] = []

    def _call(self, what: str, call: Callable[[], T], timeout: float | None = None) -> T:
        try:
            return bounded(what, call, self.timeout if timeout is None else timeout)
        except LibvirtTimeout:
            if self._conn is not None:
                self._abandoned.append(self._conn)
                self._conn = None
            raise

    @property
    def conn(self) -> libvirt.virConnect:
        if self._conn is not None and not self._call(f"检查 libvirt 连接（{self.uri}）", self._conn.isAlive):
            self._abandoned.append(self._conn)
            self._conn = None
        if self._conn is None:
            self._conn = self._call(f"连接 libvirt（{self.uri}）", lambda: libvirt.open(self.uri))
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                bounded(f"关闭 libvirt 连接（{self.uri}）", conn.close, min(self.timeout, 10))
            except LibvirtTimeout:
                self._abandoned.append(conn)
            except VmError:
                pass

    def versions(self) -> dict[str, str]:
        """QEMU (the hypervisor driver's version) and libvirt, as ``major.minor.micro``."""

        def dotted(number: int) -> str:
            return f"{number // 1000000}.{number // 1000 % 1000}.{number % 1000}"

        conn = self.conn
        qemu = self._call(f"读取 {self.uri} 的 QEMU 版本", conn.getVersion)
        lib = self._call(f"读取 {self.uri} 的 libvirt 版本", conn.getLibVersion)
        return {"qemu": dotted(qemu), "libvirt": dotted(lib)}

    def _names(self) -> list[str]:
        conn = self.conn
        return self._call(f"列出 {self.uri} 上的虚拟机", lambda: sorted(d.name() for d in conn.listAllDomains()))

    def lookup(self, name: str) -> libvirt.virDomain:
        conn = self.conn

        def find() -> libvirt.virDomain | None:
            try:
                return conn.lookupByName(name)
            except libvirt.libvirtError as err:
                if err.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                    return None
                raise

        dom = self._call(f"查找虚拟机 {name}", find)
        if dom is None:
            raise VmError(f"虚拟机 {name} 不存在（现有：{', '.join(self._names()) or '无'}）")
        return dom

    def exists(self, name: str) -> bool:
        return name in self._names()

    def define(self, xml: str) -> libvirt.virDomain:
        name = ET.fromstring(xml).findtext("name")
        if self.exists(name):
            raise VmError(f"虚拟机 {name} 已经定义过了；先删除它，或换一个名字")
        conn = self.conn
        return self._call(f"定义虚拟机 {name}", lambda: conn.defineXML(xml))

    def start(self, name: str) -> None:
        dom = self.lookup(name)
        self._call(f"启动虚拟机 {name}", dom.create)

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

    def attach(
        self, name: str, device_xml: str, live: bool = True, config: bool = False, timeout: float | None = None
    ) -> None:
        """Attach a device to domain ``name``: to the running guest (``live``) and/or its definition."""
        self._device_op(name, device_xml, live, config, attach=True, timeout=timeout)

    def detach(
        self, name: str, device_xml: str, live: bool = True, config: bool = False, timeout: float | None = None
    ) -> None:
        self._device_op(name, device_xml, live, config, attach=False, timeout=timeout)

    def _device_op(
        self, name: str, xml: str, live: bool, config: bool, attach: bool, timeout: float | None = None
    ) -> None:
        flags = (libvirt.VIR_DOMAIN_AFFECT_LIVE if live else 0) | (libvirt.VIR_DOMAIN_AFFECT_CONFIG if config else 0)
        if not flags:
            raise VmError("挂载/卸载设备需要 live 或 config 至少一个")
        dom = self.lookup(name)
        call = dom.attachDeviceFlags if attach else dom.detachDeviceFlags
        what = f"向虚拟机 {name} 挂载设备" if attach else f"从虚拟机 {name} 卸载设备"
        self._call(what, lambda: call(xml, flags), timeout)

    def update_device(self, name: str, device_xml: str) -> None:
        """Change a device of the running domain ``name`` in place (e.g. an interface's ``<link state>``)."""
        dom = self.lookup(name)
        self._call(
            f"修改虚拟机 {name} 的设备", lambda: dom.updateDeviceFlags(device_xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
        )

    def interfaces(self, name: str) -> list[dict[str, str]]:
        """The domain's NICs as libvirt reports them: type, mac, source (socket, tap or PCI address)."""
        return [
            {"type": iface.get("type"), "mac": iface.find("mac").get("address"), "source": _nic_source(iface)}
            for iface in ET.fromstring(self.xml(name)).findall("devices/interface")
        ]

    def _state_and_reason(self, name: str) -> tuple[int, int]:
        dom = self.lookup(name)
        return tuple(self._call(f"读取虚拟机 {name} 的状态", dom.state))

    def state(self, name: str) -> str:
        return STATES.get(self._state_and_reason(name)[0], "unknown")

    def crashed(self, name: str) -> bool:
        """Whether domain ``name`` stopped because its QEMU died (libvirt's "shutting down, reason=crashed"), not
        because it was shut down or destroyed."""
        state, reason = self._state_and_reason(name)
        return state == libvirt.VIR_DOMAIN_CRASHED or (
            state == libvirt.VIR_DOMAIN_SHUTOFF and reason == libvirt.VIR_DOMAIN_SHUTOFF_CRASHED
        )

    def is_active(self, name: str) -> bool:
        dom = self.lookup(name)
        return bool(self._call(f"读取虚拟机 {name} 是否在运行", dom.isActive))

    def xml(self, name: str) -> str:
        dom = self.lookup(name)
        return self._call(f"读取虚拟机 {name} 的 XML", lambda: dom.XMLDesc(0))

    def shutdown(self, name: str, timeout: float = 30) -> None:
        """ACPI shutdown, then destroy if the guest does not stop within ``timeout``."""
        if self.is_active(name):
            dom = self.lookup(name)
            try:
                self._call(f"关闭虚拟机 {name}（ACPI）", dom.shutdown)
            except LibvirtTimeout:
                raise
            except VmError:
                pass  # the destroy below is the fallback
            try:
                wait_until(lambda: not self.is_active(name), timeout, 0.5, f"虚拟机 {name} 关机")
            except WaitTimeout:
                pass  # the destroy below is the fallback
        self.destroy(name)

    def destroy(self, name: str) -> None:
        if self.is_active(name):
            dom = self.lookup(name)
            self._call(f"强制关闭虚拟机 {name}", dom.destroy)

    def undefine(self, name: str) -> None:
        # A UEFI guest's NVRAM file goes with its definition; drivers without NVRAM refuse the flag.
        flags = libvirt.VIR_DOMAIN_UNDEFINE_NVRAM if "<nvram" in self.xml(name) else 0
        dom = self.lookup(name)
        self._call(f"删除虚拟机 {name} 的定义", lambda: dom.undefineFlags(flags))

    def destroy_all(self, names: Sequence[str]) -> None:
        """``destroy`` the domains ``names`` at once: libvirt waits about a second for each TCG QEMU to end."""
        self._at_once(self.destroy, names)

    def start_all(self, names: Sequence[str]) -> None:
        """``start`` the domains ``names`` at once (each QEMU's start-up is libvirt's wait)."""
        self._at_once(self.start, names)

    def _at_once(self, call: Callable[[str], None], names: Sequence[str]) -> None:
        """``call`` for every name in threads of its own; raises the first failure once every call has ended.
        A libvirt connection serves calls from several threads; it is opened here, not raced for by them."""
        if len(names) > 1:
            self.conn  # noqa: B018 - opened (or found alive) once, before the workers use it
        atonce.results(call, names, "libvirt")

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
