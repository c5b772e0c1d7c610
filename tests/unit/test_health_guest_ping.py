"""The survey of a running guest that does not answer over SSH says whether its kernel answers a ping on the
management address (from the hypervisor) and quotes its serial console. The frozen-QEMU case (no ping answer)
runs on a real guest in tests/integration/test_vm.py; here the other outcomes, with the lab's parts stood in."""

from __future__ import annotations

import embedded_lab
from netvirt import health
from netvirt.labspec import load_lab
from netvirt.ssh import CommandResult


class _Hypervisor:
    def __init__(self, rc: int):
        self.rc, self.commands = rc, []

    def run(self, command: str, timeout: float = 120) -> CommandResult:
        self.commands.append(command)
        return CommandResult("hostb", command, self.rc, "", "", 0.1)


class _Lab:
    def __init__(self, rc: int, console: str | None):
        self.spec = load_lab(embedded_lab.description("nvut"))
        self.hypervisor, self.console = _Hypervisor(rc), console

    def session(self, host: str) -> _Hypervisor:
        assert host == self.spec.hypervisor
        return self.hypervisor

    def console_tail(self, vm, lines: int = 15) -> str | None:
        return self.console


SILENT = health.Part("vm01 的 sshd", False, "SSH 不通")


def test_a_guest_whose_kernel_answers_points_at_sshd_and_quotes_the_console():
    # The console's last lines as the embedded guest's boot writes them (guestboot: NETVIRT-STAGE <host> <step>).
    lab = _Lab(0, "NETVIRT-STAGE vm01 rootfs\nNETVIRT-STAGE vm01 sshd")
    vm = lab.spec.vm("vm01")
    part = health._guest_ping(lab, SILENT, vm)
    assert not part.ok and part.detail.startswith("SSH 不通；")
    assert f"管理地址 {vm.mgmt} 能 ping 通" in part.detail and "sshd" in part.detail
    assert "串口控制台最后 8 行：NETVIRT-STAGE vm01 rootfs | NETVIRT-STAGE vm01 sshd" in part.detail
    assert lab.hypervisor.commands == [f"ping -n -c 3 -i 0.05 -W 1 -w 3 {vm.mgmt}"]


def test_a_guest_that_answers_no_ping_points_at_its_kernel_or_nic_and_no_console_is_no_quote():
    lab = _Lab(1, None)
    vm = lab.spec.vm("vm01")
    part = health._guest_ping(lab, SILENT, vm)
    assert f"管理地址 {vm.mgmt} 也 ping 不通：客户机内核或其管理网卡没有在工作" in part.detail
    assert "串口控制台" not in part.detail
