"""Robot keywords for the lab's VMs through libvirt: create from the lab description, wait, remove.

= Domains =
A VM is named as in the lab description (``vm01``); the lab decides its libvirt domain
name (the embedded lab prefixes its lab id) and how it boots. The domain XML written is
logged in full, so the log shows every element of the record's ``virsh edit``.
"""

from __future__ import annotations

import time
from pathlib import Path

from robot.api import logger
from robot.api.deco import keyword, library

from netvirt import evidence, seam
from netvirt.ssh import HostConnectionError
from netvirt.vm import Hypervisor, VmError


@library(scope="GLOBAL", auto_keywords=False)
class VMLibrary:
    def __init__(self):
        self._hypervisor: Hypervisor | None = None

    @property
    def hypervisor(self) -> Hypervisor:
        uri = seam.current().spec.libvirt_uri
        if self._hypervisor is None or self._hypervisor.uri != uri:
            self._hypervisor = Hypervisor(uri)
        return self._hypervisor

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
        path = lab.domain_profile(vm).console_log if hasattr(lab, "builder") else None
        if not path or not Path(path).exists():
            return ""
        return "\n控制台最后几行：\n" + "\n".join(Path(path).read_text(errors="replace").splitlines()[-15:])

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
