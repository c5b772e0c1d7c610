"""Robot keywords for the lab's VMs through libvirt: create from the lab description, wait, remove."""

from __future__ import annotations

import json
import shlex
import time
import xml.etree.ElementTree as ET

from robot.api import logger
from robot.api.deco import keyword, library

from netvirt import evidence, health, iproute, seam, validate
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


@library(scope="GLOBAL", auto_keywords=False, listener="SELF")
class VMLibrary:
    """实验环境中虚拟机的关键字（经 libvirt）：按实验环境描述创建、等待就绪、挂载与卸载网卡、重启、删除。

    对应记录“测试前准备 / 创建并配置VM”（virsh define、virsh edit 中的 vhost-user 网卡与多队列），
    以及各用例中给 VM01、VM02 加减网卡、重启虚拟机的步骤。

    = 虚拟机与 domain =
    虚拟机按实验环境描述中的名字给出（如 ``vm01`` ）。它的 libvirt domain 名和启动方式由实验环境决定；
    写入的 domain XML 全文记入日志，所以记录中 ``virsh edit`` 的每个元素都能在日志中找到。libvirt 连接是实验环境的那
    一个，与 SriovLibrary 共用。

    = 内嵌实验环境与真实实验环境 =
    - 真实实验环境：domain 名就是虚拟机名；启动方式来自实验环境参数（ ``qemu_emulator`` 、 ``vm_arch`` 、
      ``vm_machine`` 、 ``vm_images`` 中每台虚拟机的磁盘、UEFI 的 ``vm_loader`` 等）。
    - 内嵌实验环境：domain 名带上实验环境 id 作前缀；虚拟机是本机上的 QEMU（TCG）虚拟机，不用镜像：
      内核来自 Debian 的内核包，根文件系统经 virtio-9p 取自本机（与本机同架构时就是本机的 ``/`` ；其他架构，
      如 ``vm_arch`` 为 aarch64 时，是 Debian 该架构的一个小型用户态）；虚拟机的串口输出写入实验环境目录中的文件，
      虚拟机启动失败或没有就绪时，错误消息中附上控制台的最后几行。

    = 用例开始时的虚拟机 =
    本库同时是一个 listener：导入本库的用例集中，每个用例开始前检查实验环境中已定义的虚拟机都在运行且能经 SSH 登录。
    不是这样的虚拟机（客户机内核锁死、之前的用例中途失败留下的状态）先重启（同 `重启虚拟机` ），用例从测试前准备的
    状态开始，而不是因为之前的问题失败；发现了什么（与用例失败时列出的实验环境状态相同：QEMU 监视器、管理地址的 ping、
    串口控制台）以警告记入日志和测试记录。某次重启失败后，本次运行不再这样重启。

    = 错误输入 =
    虚拟机名不在实验环境描述中、网卡类型或 MAC 不合法、网卡名超过 15 个字符、Hypervisor 上没有对应的 vhost-user 套接
    字或 PCI 设备：关键字在调用 libvirt 之前失败，写明出错的值，虚拟机保持原样。
    """

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self):
        # Domains started and not yet seen ready, with how many times each may be started again should its
        # QEMU crash before then (the lab's ``boot_crash_restarts``).
        self._boot_restarts: dict[str, int] = {}
        # Whether a test starts by restarting the guests that do not answer (until such a restart fails once).
        self._restore_guests = True

    def start_test(self, data, result) -> None:
        """Every test of a suite that drives VMs starts with the lab's guests answering, as the chapter's preparation
        left them: a guest whose domain is defined but stopped, or runs without answering over SSH (a kernel that
        locked up, a test that failed half way), is restarted first, with a warning saying what was found. Once such a
        restart failed, no test of the run tries again (each would wait minutes for a guest that does not come up)."""
        lab = seam.existing()
        if lab is None or not self._restore_guests:  # a dry run, no lab set up yet, or a guest that did not come back
            return
        try:
            if self._guests_answer(lab):
                return
            silent = health.silent_guests(lab, keep_dir=evidence.output_dir())
        except Exception as err:  # noqa: BLE001 - the test then finds the guests as they are
            logger.warn(f"用例开始前没能检查虚拟机是否应答：{err}")
            return
        if not silent:
            return
        found = "；".join(f"{part.name}：{part.detail}" for part in silent.values())
        logger.warn(
            f"用例开始前，虚拟机 {'、'.join(silent)} 没有在运行或不应答（发生在上一个用例或更早），先重启，"
            f"本用例从测试前准备的状态开始（运行时对它的改动随重启消失）：{found}"
        )
        try:
            self.restart_vm(*silent)
        except Exception as err:  # noqa: BLE001 - the test then fails on the guest itself, saying so
            self._restore_guests = False
            logger.warn(f"重启虚拟机 {'、'.join(silent)} 失败（本次运行的后续用例开始前不再重启虚拟机）：{err}")

    def _guests_answer(self, lab) -> bool:
        """Whether every guest whose domain is defined runs and answers over SSH, asked on the lab's own libvirt
        connection and sessions (a real lab's libvirt is reached over SSH: no new connection for each test)."""
        for vm in lab.spec.vms:
            domain = lab.domain_name(vm)
            if not self.hypervisor.exists(domain):
                continue
            if self.hypervisor.state(domain) != "running":
                return False
            try:
                if not lab.session(vm.name).run("true", timeout=health.TIMEOUT).ok:
                    return False
            except HostConnectionError:
                return False
        return True

    @property
    def hypervisor(self) -> Hypervisor:
        """The lab's libvirt connection: one per lab, shared with every library that drives VMs."""
        return seam.current().hypervisor

    def _vms_going_down(self, keyword: str, names: tuple[str, ...]) -> list[tuple]:
        """``_domain`` of every name, all checked before any VM is touched, with their SSH sessions forgotten (the
        guests are about to go down)."""
        if not names:
            raise VmError(f"{keyword}：没有给出虚拟机名")
        domains = [self._domain(name) for name in names]
        for lab, vm, _ in domains:
            lab.forget_session(vm.name)
        return domains

    def _domain(self, name: str) -> tuple:
        lab = seam.current()
        vm = lab.spec.vm(name)
        return lab, vm, lab.domain_name(vm)

    @keyword("获取虚拟化软件版本")
    def virtualization_versions(self) -> dict:
        """返回 Hypervisor 上 libvirt 报告的 QEMU 和 libvirt 版本（字典，如 ``qemu`` 、 ``libvirt`` ），并记入日志。

        对应记录“服务器配置”中的软件版本。

        Example: | ${v}= | 获取虚拟化软件版本 |
        | Log | ${v}[qemu] |
        """
        versions = self.hypervisor.versions()
        evidence.pre(f"libvirt（{self.hypervisor.uri}）报告的版本", "\n".join(f"{k}: {v}" for k, v in versions.items()))
        return versions

    @keyword("所有虚拟机")
    def all_vms(self) -> list[str]:
        """返回实验环境描述中所有虚拟机的名字（列表）。

        Example: | @{vms}= | 所有虚拟机 |
        """
        return [vm.name for vm in seam.current().spec.vms]

    @keyword("创建虚拟机")
    def create_vm(self, name: str) -> str:
        """按实验环境描述定义并启动虚拟机 ``name`` （virsh define + start），返回它的 domain XML。

        对应记录“创建并配置VM”。检查：同名 domain 已经定义过时失败（先用 `删除虚拟机` ）；描述中每块 vNIC 的主机侧（
        vhost-user 套接字、VF 的 PCI 设备、tap 名）先检查，不存在或不合适则在调用 libvirt 前失败。
        启动失败时 domain 被取消定义，不留半成品。domain XML 全文记入日志。

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
        self._boot_restarts[domain] = lab.boot_crash_restarts()
        evidence.pre(f"虚拟机 {domain} 的 domain XML（virsh dumpxml 前的定义）", xml)
        return xml

    @keyword("等待虚拟机就绪")
    def wait_until_vm_ready(self, name: str, timeout: float = 180) -> None:
        """等待虚拟机 ``name`` 能经 SSH 登录（最多 ``timeout`` 秒，默认 180），然后在日志中记录 ``uname -sr`` 和
        ``ip -br link`` 。

        虚拟机不在 running 状态，或超时仍无法登录时失败；实验环境保存了串口控制台时，消息中附上控制台的最后几行。
        虚拟机（由 `创建虚拟机` 或 `重启虚拟机` 启动后）第一次就绪之前 QEMU 崩溃时，只有实验环境声明其模拟器在引导时
        会偶发崩溃（内嵌实验环境的 TCG QEMU）才重新启动它，次数由实验环境决定，每次以警告记入日志并附上 QEMU 日志；
        真实实验环境中 QEMU 崩溃即失败。

        Example: | 等待虚拟机就绪 | vm01 | timeout=120 |
        """
        lab, vm, domain = self._domain(name)
        deadline = time.monotonic() + timeout
        while True:
            if self.hypervisor.state(domain) != "running":
                if self._restarted_after_boot_crash(lab, vm, domain):
                    deadline = time.monotonic() + timeout
                    continue
                qemu_log = health.qemu_log_tail(lab, vm)
                raise VmError(
                    f"虚拟机 {domain} 没有在运行（状态：{self.hypervisor.state(domain)}）"
                    + (f"\nQEMU 日志 {qemu_log}" if qemu_log else "")
                    + self._console_tail(lab, vm)
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
        self._boot_restarts.pop(domain, None)
        session = lab.session(vm.name)
        for command in ("uname -sr", "ip -br link"):
            evidence.command(session.run(command))

    def _restarted_after_boot_crash(self, lab, vm, domain: str) -> bool:
        """Start ``domain`` again if its QEMU crashed before the guest was first seen ready and the lab allows
        a restart for that (its emulator's crash at boot is the lab's, not the product's); False otherwise."""
        left = self._boot_restarts.get(domain, 0)
        if left < 1 or not self.hypervisor.crashed(domain):
            return False
        self._boot_restarts[domain] = left - 1
        qemu_log = health.qemu_log_tail(lab, vm)
        logger.warn(
            f"虚拟机 {domain} 的 QEMU 在客户机就绪前崩溃：本实验环境的模拟器在引导时偶发崩溃（实验环境的问题，"
            f"不是被测对象的），重新启动它（还可重启 {left - 1} 次）"
            + (f"\nQEMU 日志 {qemu_log}" if qemu_log else "")
            + self._console_tail(lab, vm)
        )
        lab.forget_session(vm.name)
        self.hypervisor.start(domain)
        return True

    @staticmethod
    def _console_tail(lab, vm) -> str:
        tail = lab.console_tail(vm)
        return f"\n控制台最后几行：\n{tail}" if tail else ""

    @keyword("删除虚拟机")
    def remove_vm(self, *names: str) -> None:
        """销毁并取消定义虚拟机 ``names`` （virsh destroy + undefine），并释放实验环境为它准备的东西。

        多台虚拟机一起销毁（每台 QEMU 退出要等约一秒）；不存在的虚拟机跳过。所有名字先检查，有一个不在实验环境
        描述中就什么也不动。

        Example: | 删除虚拟机 | vm01 | vm02 |
        """
        domains = self._vms_going_down("删除虚拟机", names)
        existing = [(lab, vm, domain) for lab, vm, domain in domains if self.hypervisor.exists(domain)]
        self.hypervisor.destroy_all([domain for _, _, domain in existing])
        for lab, vm, domain in existing:
            self._boot_restarts.pop(domain, None)
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
        up: bool = False,
    ) -> str:
        """给运行中的虚拟机 ``name`` 挂载一块网卡（virsh attach-device），返回它在虚拟机中的网卡名。

        参数：
        - ``kind`` ：vhostuser（ ``port`` 是 OVS 的 dpdkvhostuser 端口，套接字由 OVS 提供； ``vhost_mode=server`` 时
          是 QEMU 监听的套接字，供 OVS 的 dpdkvhostuserclient 端口连接）、hostdev（ ``port`` 是 VF 的 PCI 地址）
          或 ethernet（ ``port`` 是 tap 名）；
        - ``mac`` ：网卡的 MAC；虚拟机中按它找到网卡，给了 ``guest_ifname`` 就改成这个名字（如记录中的 enp5s0）；
        - ``live`` / ``config`` ：挂到运行中的虚拟机 / 写进它的定义（默认只挂到运行中的虚拟机）；
        - ``timeout`` ：libvirt 调用的超时（秒），超时则失败并写明操作和虚拟机；
        - ``up`` ：挂上后在虚拟机中把网卡设为 up（ ``ip link set dev <网卡> up`` ，同客户机的网络服务）。

        检查（都在调用 libvirt 之前，被拒绝时虚拟机保持原样）：vhost-user 套接字只是 lab 套接字目录中的文件名（不含
        ``/`` 、 ``..`` ）； ``vhost_mode=client`` 时套接字必须已存在且是 OVS 的 dpdkvhostuser 端口（否则 QEMU 会一
        直等握手，卡住虚拟机）； ``vhost_mode=server`` 时套接字可以还不存在，但不能是别的进程正在监听的套接字（QEMU
        会把它替换掉）；hostdev 的 PCI 设备必须在 Hypervisor 上存在；tap 名和 ``guest_ifname`` 是最多 15 个字符的网
        络设备名；同一 MAC 或同一设备已经挂在这台虚拟机上时失败。挂上后 20 秒内虚拟机中没有出现该 MAC 的网卡也失败。
        接口 XML 和虚拟机中的 ``ip link show`` 记入日志。

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
        return self._guest_nic(vm.name, mac, guest_ifname, up) if live else ""

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

    def _guest_nic(self, guest: str, mac: str, wanted: str | None, up: bool, timeout: float = 20) -> str:
        session = seam.current().session(guest)

        def by_mac() -> str | None:
            links = json.loads(session.run("ip -j link show").stdout or "[]")
            return next((link["ifname"] for link in links if link.get("address") == mac), None)

        try:
            found = wait_until(by_mac, timeout, 0.3, f"{guest} 中出现 MAC 为 {mac} 的网卡")
        except WaitTimeout:
            raise VmError(f"{guest} 中 {timeout:.0f} 秒内没有出现 MAC 为 {mac} 的网卡") from None
        name = wanted or found
        # The rename, the link up and the evidence in one ip process: each command costs a TCG guest a third of
        # a second or more (an SSH session and a process or two), and a chapter attaches ~20 NICs.
        steps = [["link", "set", "dev", found, "name", name]] if name != found else []
        steps += [["link", "set", "dev", name, "up"]] if up else []
        steps += [["link", "show", "dev", name]]
        result = session.run(iproute.batch(steps))
        evidence.command(result)
        if not result.ok:
            raise VmError(f"{guest} 中新挂上的网卡 {found} 没能就绪（{result.command}）：{result.stderr.strip()}")
        return name

    @keyword("卸载网卡")
    def detach_nic(
        self, name: str, mac: str, live: bool = True, config: bool = False, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        """从虚拟机 ``name`` 卸下 MAC 为 ``mac`` 的网卡（virsh detach-device； ``live`` / ``config`` 同
        `挂载网卡` ）。

        检查：虚拟机没有这个 MAC 的网卡时失败并列出现有的 MAC；卸下后 20 秒内网卡仍在虚拟机中也失败。
        libvirt 调用超过 ``timeout`` 秒时失败并写明操作和虚拟机。

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
        """给虚拟机 ``names`` 断电重启（virsh destroy 再 start），并等待每台都能经 SSH 登录（每台最多 ``timeout``
        秒）。

        OVS 重启后，vhost-user 客户端（QEMU）就是这样恢复的（记录“Troubleshooting / OVS异常重启导致vhostuser不通
        ”）。多台虚拟机一起销毁、一起启动、并行引导，再逐台等待：总共只花一次重启的时间。

        只挂在运行中虚拟机上（没有写进定义）的设备重启后消失，与真实 Hypervisor 一样。所有名字先检查，
        有一个不在实验环境描述中就什么也不动。

        Example: | 重启虚拟机 | vm01 | vm02 |
        """
        domains = self._vms_going_down("重启虚拟机", names)
        self.hypervisor.destroy_all([domain for _, _, domain in domains])
        self.hypervisor.start_all([domain for _, _, domain in domains])
        for lab, _, domain in domains:
            self._boot_restarts[domain] = lab.boot_crash_restarts()
        for name in names:
            self.wait_until_vm_ready(name, timeout)

    @keyword("虚拟机状态应为")
    def vm_state_should_be(self, name: str, expected: str = "running") -> None:
        """检查虚拟机 ``name`` 的 libvirt 状态为 ``expected`` （running、shutoff、paused 等，默认 running），
        否则失败。

        Example: | 虚拟机状态应为 | vm01 | running |
        """
        _, _, domain = self._domain(name)
        state = self.hypervisor.state(domain)
        if state != expected:
            raise AssertionError(f"虚拟机 {domain} 的状态是 {state}，期望 {expected}")

    @keyword("记录虚拟机XML")
    def log_vm_xml(self, name: str) -> str:
        """记录并返回 libvirt 报告的虚拟机 ``name`` 当前的 domain XML（virsh dumpxml）。

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
