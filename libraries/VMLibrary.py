"""Robot keywords for the lab's VMs through libvirt: create from the lab description, wait, remove."""

from __future__ import annotations

import json
import shlex
import time
import xml.etree.ElementTree as ET

from robot.api import logger
from robot.api.deco import keyword, library

from netvirt import evidence, seam, validate
from netvirt.domain import render_interface, socket_in_dir
from netvirt.labspec import VNIC_KINDS, VNic
from netvirt.ovs import Ovs, OvsError
from netvirt.ssh import HostConnectionError
from netvirt.vm import DEFAULT_TIMEOUT, Hypervisor, LibvirtTimeout, VmError
from netvirt.waiting import WaitTimeout, wait_until


def listening_unix_paths(ss_output: str) -> set[str]:
    """The paths of listening unix sockets in ``ss -xln`` output (iproute2 of CentOS 7.5 and newer)."""
    paths = set()
    for line in ss_output.splitlines():
        fields = line.split()
        # Netid State Recv-Q Send-Q Local-Address:Port Peer-Address:Port; the local path is the 5th field.
        if len(fields) >= 6 and fields[1] == "LISTEN" and fields[4].startswith("/"):
            paths.add(fields[4])
    return paths


@library(scope="GLOBAL", auto_keywords=False)
class VMLibrary:
    """Robot keywords for the lab's VMs through libvirt: create from the lab description, wait, remove.

    = Domains =
    A VM is named as in the lab description (``vm01``); the lab decides its libvirt domain
    name (the embedded lab prefixes its lab id) and how it boots. The domain XML written is
    logged in full, so the log shows every element of the record's ``virsh edit``.
    """

    @property
    def hypervisor(self) -> Hypervisor:
        """The lab's libvirt connection: one per lab, shared with every library that drives VMs."""
        return seam.current().hypervisor

    def _domain(self, name: str) -> tuple:
        lab = seam.current()
        vm = lab.spec.vm(name)
        return lab, vm, lab.domain_name(vm)

    @keyword("获取虚拟化软件版本")
    def virtualization_versions(self) -> dict:
        """Return the hypervisor's QEMU and libvirt versions, as libvirt reports them.

        Example: | ${v}= | 获取虚拟化软件版本 |
        | Log | ${v}[qemu] |
        """
        versions = self.hypervisor.versions()
        evidence.pre(f"libvirt（{self.hypervisor.uri}）报告的版本", "\n".join(f"{k}: {v}" for k, v in versions.items()))
        return versions

    @keyword("所有虚拟机")
    def all_vms(self) -> list[str]:
        """Return the names of the lab description's VMs.

        Example: | @{vms}= | 所有虚拟机 |
        """
        return [vm.name for vm in seam.current().spec.vms]

    @keyword("创建虚拟机")
    def create_vm(self, name: str) -> str:
        """Define and start VM ``name`` of the lab description; return its domain XML.

        If starting fails, the domain is undefined again, so nothing half-made stays behind.

        Example: | 创建虚拟机 | vm01 |
        """
        lab, vm, domain = self._domain(name)
        if self.hypervisor.exists(domain):  # before prepare_vm, which would take the running guest's NIC
            raise VmError(f"虚拟机 {domain} 已经定义过了；先删除它，或换一个名字")
        for vnic in vm.vnics:
            self._check_backend(vnic.kind, vnic.port, vnic.mode)
        lab.prepare_vm(vm)
        try:
            xml = self.hypervisor.create(domain, vm, lab.domain_profile(vm))
        except Exception:
            lab.release_vm(vm)
            raise
        evidence.pre(f"虚拟机 {domain} 的 domain XML（virsh dumpxml 前的定义）", xml)
        return xml

    @keyword("等待虚拟机就绪")
    def wait_until_vm_ready(self, name: str, timeout: float = 180) -> None:
        """Wait until VM ``name`` answers over SSH, then log its kernel and interfaces.

        Example: | 等待虚拟机就绪 | vm01 | timeout=120 |
        """
        lab, vm, domain = self._domain(name)
        deadline = time.monotonic() + timeout
        while True:
            if self.hypervisor.state(domain) != "running":
                raise VmError(
                    f"虚拟机 {domain} 没有在运行（状态：{self.hypervisor.state(domain)}）" + self._console_tail(lab, vm)
                )
            try:
                lab.session(vm.name).run("true", timeout=15)
                break
            except HostConnectionError as err:
                lab.forget_session(vm.name)
                if time.monotonic() > deadline:
                    raise VmError(
                        f"虚拟机 {domain} 在 {timeout:.0f} 秒内没有就绪：{err}" + self._console_tail(lab, vm)
                    ) from None
                time.sleep(0.5)
        session = lab.session(vm.name)
        for command in ("uname -sr", "ip -br link"):
            evidence.command(session.run(command))

    @staticmethod
    def _console_tail(lab, vm) -> str:
        tail = lab.console_tail(vm)
        return f"\n控制台最后几行：\n{tail}" if tail else ""

    @keyword("删除虚拟机")
    def remove_vm(self, name: str) -> None:
        """Destroy and undefine VM ``name`` if it exists, and release what the lab gave it.

        Example: | 删除虚拟机 | vm01 |
        """
        lab, vm, domain = self._domain(name)
        lab.forget_session(vm.name)
        if not self.hypervisor.exists(domain):
            return
        self.hypervisor.remove(domain)
        lab.release_vm(vm)
        logger.info(f"虚拟机 {domain} 已删除")

    @keyword("挂载网卡")
    def attach_nic(
        self,
        name: str,
        kind: str,
        port: str,
        mac: str,
        guest_ifname: str | None = None,
        live: bool = True,
        config: bool = False,
        vhost_mode: str = "client",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> str:
        """Attach a NIC to VM ``name`` and return its interface name in the guest.

        ``kind`` is vhostuser (``port`` = an OVS dpdkvhostuser port, whose socket OVS serves; or with
        ``vhost_mode=server`` the socket QEMU listens on for an OVS dpdkvhostuserclient port), hostdev
        (``port`` = VF PCI address) or ethernet (``port`` = tap). The guest NIC is found by ``mac`` and
        renamed to ``guest_ifname`` if given.

        Every value is checked before libvirt is asked, and a refused one leaves the VM as it was: a
        vhost-user socket is a file name inside the lab's socket directory (no ``/``, no ``..``); with
        ``vhost_mode=client`` it must exist now and be an OVS dpdkvhostuser port (QEMU would wait for
        the handshake of anything else, blocking the guest); with ``vhost_mode=server`` it need not exist
        yet but must not be a socket another process listens on (QEMU would replace it). Names the
        kernel sees (tap, ``guest_ifname``) are netdev names of at most 15 characters. libvirt's call
        gives up after ``timeout`` seconds, naming the operation and the VM.

        Example: | ${ifname}= | 挂载网卡 | vm02 | hostdev | 0005:01:00.1 | 52:54:00:00:05:01 | enp5s0 |
        """
        lab, vm, domain = self._domain(name)
        if kind not in VNIC_KINDS:
            raise ValueError(f"网卡类型 {kind!r} 不支持（可用：{', '.join(VNIC_KINDS)}）")
        if vhost_mode not in ("client", "server"):
            raise ValueError(f"vhost_mode {vhost_mode!r} 只能是 client 或 server")
        mac = validate.mac(mac)
        if guest_ifname:
            validate.netdev_name(guest_ifname, "虚拟机中的接口名")
        self._check_backend(kind, port, vhost_mode)
        for nic in self.hypervisor.interfaces(domain):
            if nic["mac"] == mac or (kind != "vhostuser" and nic["source"] == port):
                raise VmError(f"虚拟机 {domain} 已有网卡 {nic['mac']}（{nic['type']} {nic['source']}）")
        vnic = VNic(guest_ifname or "nic", kind, mac, port, mode=vhost_mode)
        xml = render_interface(vnic, lab.domain_profile(vm))
        evidence.pre(f"virsh attach-device {domain}（live={live}, config={config}）", xml)
        try:
            self.hypervisor.attach(domain, xml, live=live, config=config, timeout=timeout)
        except LibvirtTimeout as err:
            raise LibvirtTimeout(
                f"{err}。挂载的是 {kind} 网卡 {port}（MAC {mac}）：它可能稍后出现在虚拟机中，可用“卸载网卡”移除",
                err.worker,
            ) from None
        return self._guest_nic(vm.name, mac, guest_ifname) if live else ""

    def _check_backend(self, kind: str, port: str | None, vhost_mode: str) -> None:
        """Refuse, before libvirt is asked, a NIC whose host side is missing or not what it must be: QEMU
        would fail, hang waiting for a handshake, or (for a client-mode socket nobody serves) never start."""
        lab = seam.current()
        hypervisor = lab.session(lab.spec.hypervisor)
        if kind == "vhostuser":
            path = socket_in_dir(
                lab.vhost_socket_path(validate.ovs_name(port, "vhost-user 套接字")), lab.spec.ovs_rundir
            )
            if vhost_mode == "client":
                if not hypervisor.run(shlex.join(["test", "-S", path])).ok:
                    raise VmError(
                        f"Hypervisor 上没有 vhost-user 套接字：{path}（OVS 的 dpdkvhostuser 端口 {port} 还没有创建？）"
                    )
                self._check_ovs_vhost_server(lab, port, path)
            else:
                self._check_socket_free(hypervisor, path)
        elif kind == "hostdev":
            path = f"/sys/bus/pci/devices/{validate.pci(port)}"
            if not hypervisor.run(shlex.join(["test", "-e", path])).ok:
                raise VmError(f"Hypervisor 上没有 PCI 设备：{path}")
        elif kind == "ethernet":
            validate.netdev_name(port, "tap 名")

    @staticmethod
    def _check_ovs_vhost_server(lab, port: str, path: str) -> None:
        """The socket QEMU will connect to is served by OVS as a dpdkvhostuser port, not any socket."""
        ovs = Ovs(lab.ovsdb_remote)
        try:
            kind = ovs.interface(port)["type"]
        except OvsError as err:
            raise VmError(f"{path} 不是 OVS 的 dpdkvhostuser 端口，QEMU 不能以 client 连接它：{err}") from None
        finally:
            ovs.close()
        if kind != "dpdkvhostuser":
            raise VmError(
                f"OVS 接口 {port} 的类型是 {kind or 'system'}，不是 dpdkvhostuser："
                f"套接字 {path} 不由 OVS 以 server 提供"
            )

    @staticmethod
    def _check_socket_free(hypervisor, path: str) -> None:
        """QEMU as vhost-user server replaces whatever is at ``path``: refuse a file that is no socket and a
        socket some process listens on (an OVS port, ovsdb-server's db.sock). A stale one may go. ``ss`` lists
        the listening sockets of the hypervisor's network namespace, the one OVS and QEMU run in."""
        if not hypervisor.run(shlex.join(["test", "-e", path])).ok:
            return
        if not hypervisor.run(shlex.join(["test", "-S", path])).ok:
            raise VmError(f"Hypervisor 上的 {path} 已存在且不是套接字：QEMU 不能在那里监听")
        listening = hypervisor.run(shlex.join(["ss", "-xln"]))
        if not listening.ok:
            raise VmError(f"无法确认套接字 {path} 是否有进程在监听（ss -xln 失败：{listening.stderr.strip()}）")
        if path in listening_unix_paths(listening.stdout):
            raise VmError(f"Hypervisor 上已有进程在套接字 {path} 上监听：QEMU 作为 server 会把它替换掉")

    def _guest_nic(self, guest: str, mac: str, wanted: str | None, timeout: float = 20) -> str:
        session = seam.current().session(guest)

        def by_mac() -> str | None:
            links = json.loads(session.run("ip -j link show").stdout or "[]")
            return next((link["ifname"] for link in links if link.get("address") == mac), None)

        try:
            found = wait_until(by_mac, timeout, 0.3, f"{guest} 中出现 MAC 为 {mac} 的网卡")
        except WaitTimeout:
            raise VmError(f"{guest} 中 {timeout:.0f} 秒内没有出现 MAC 为 {mac} 的网卡") from None
        if wanted and found != wanted:
            result = session.run(shlex.join(["ip", "link", "set", "dev", found, "name", wanted]))
            evidence.command(result)
            if not result.ok:
                raise VmError(f"{guest} 中无法把 {found} 改名为 {wanted}：{result.stderr.strip()}")
            found = wanted
        evidence.command(session.run(shlex.join(["ip", "link", "show", "dev", found])))
        return found

    @keyword("卸载网卡")
    def detach_nic(
        self, name: str, mac: str, live: bool = True, config: bool = False, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        """Detach the NIC with ``mac`` from VM ``name`` (live and/or from its definition).

        libvirt's call gives up after ``timeout`` seconds, naming the operation and the VM.

        Example: | 卸载网卡 | vm02 | 52:54:00:00:05:01 |
        """
        lab, vm, domain = self._domain(name)
        mac = validate.mac(mac)
        for nic in self.hypervisor.interfaces(domain):
            if nic["mac"] == mac:
                break
        else:
            known = ", ".join(n["mac"] for n in self.hypervisor.interfaces(domain))
            raise VmError(f"虚拟机 {domain} 没有 MAC 为 {mac} 的网卡（现有：{known}）")
        xml = self.hypervisor.xml(domain)
        device = _interface_xml(xml, mac)
        evidence.pre(f"virsh detach-device {domain}", device)
        self.hypervisor.detach(domain, device, live=live, config=config, timeout=timeout)
        if live:
            session = lab.session(vm.name)

            def gone() -> bool:
                return mac not in session.run("ip -br link").stdout.lower()

            try:
                wait_until(gone, 20, 0.3, f"MAC 为 {mac} 的网卡从 {vm.name} 中消失")
            except WaitTimeout:
                raise VmError(f"{vm.name} 中 MAC 为 {mac} 的网卡 20 秒后仍在") from None

    @keyword("重启虚拟机")
    def restart_vm(self, *names: str, timeout: float = 180) -> None:
        """Power-cycle the VMs ``names`` (destroy, start) and wait until each answers over SSH.

        This is how a vhost-user client (QEMU) recovers after OVS restarted under it. Several VMs are
        destroyed and started together and boot side by side, then each is waited for: one restart's
        time, not one per VM.

        Devices attached live only are gone afterwards, as on a real hypervisor.

        Example: | 重启虚拟机 | vm01 | vm02 |
        """
        if not names:
            raise VmError("重启虚拟机：没有给出虚拟机名")
        domains = [self._domain(name) for name in names]  # every name checked before any VM is touched
        for lab, vm, domain in domains:
            lab.forget_session(vm.name)
            self.hypervisor.destroy(domain)
        for _, _, domain in domains:
            self.hypervisor.start(domain)
        for name in names:
            self.wait_until_vm_ready(name, timeout)

    @keyword("虚拟机状态应为")
    def vm_state_should_be(self, name: str, expected: str = "running") -> None:
        """Fail unless VM ``name`` is in libvirt state ``expected`` (running, shutoff, paused ...).

        Example: | 虚拟机状态应为 | vm01 | running |
        """
        _, _, domain = self._domain(name)
        state = self.hypervisor.state(domain)
        if state != expected:
            raise AssertionError(f"虚拟机 {domain} 的状态是 {state}，期望 {expected}")

    @keyword("记录虚拟机XML")
    def log_vm_xml(self, name: str) -> str:
        """Log and return the live domain XML of VM ``name`` as libvirt reports it (virsh dumpxml).

        Example: | 记录虚拟机XML | vm01 |
        """
        _, _, domain = self._domain(name)
        xml = self.hypervisor.xml(domain)
        evidence.pre(f"virsh dumpxml {domain}", xml)
        return xml


def _interface_xml(domain_xml: str, mac: str) -> str:
    """The live ``<interface>`` element with ``mac`` from a domain's XML (libvirt matches on it to detach)."""
    for iface in ET.fromstring(domain_xml).findall("devices/interface"):
        if iface.find("mac").get("address") == mac:
            return ET.tostring(iface, encoding="unicode")
    raise VmError(f"没有 MAC 为 {mac} 的网卡")
