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

    def domain_name(self, vm) -> str:
        return f"nvut-{vm.name}"

    def console_tail(self, vm, lines: int = 15) -> str | None:
        return None if self.console is None else "\n".join(self.console.splitlines()[-lines:])


SILENT = health.Part("vm01 的 sshd", False, "SSH 不通")


def test_a_guest_whose_kernel_answers_points_at_sshd_and_quotes_the_console():
    # The console's last lines as the embedded guest's boot writes them (guestboot: NETVIRT-STAGE <host> <step>).
    lab = _Lab(0, "NETVIRT-STAGE vm01 rootfs\nNETVIRT-STAGE vm01 sshd")
    vm = lab.spec.vm("vm01")
    part = health._guest_ping(lab, SILENT, vm)
    assert not part.ok and part.detail.startswith("SSH 不通；")
    assert f"管理地址 {vm.mgmt} 能 ping 通" in part.detail and "sshd" in part.detail
    assert "串口控制台最后 2 行：NETVIRT-STAGE vm01 rootfs | NETVIRT-STAGE vm01 sshd" in part.detail
    assert lab.hypervisor.commands == [f"ping -n -c 3 -i 0.05 -W 1 -w 3 {vm.mgmt}"]


def test_a_guest_that_answers_no_ping_points_at_its_kernel_or_nic_and_no_console_is_no_quote():
    lab = _Lab(1, None)
    vm = lab.spec.vm("vm01")
    part = health._guest_ping(lab, SILENT, vm)
    assert f"管理地址 {vm.mgmt} 也 ping 不通：客户机内核或其管理网卡没有在工作" in part.detail
    assert "串口控制台" not in part.detail


# The console of nve2's vm01, 2026-12-05 08:12 (a chapter beside another, the guest silent from 54 s after boot):
# its last lines as the survey quoted them, booted with "quiet". Between the lockup line and the next, a kernel
# booted with loglevel=5 prints the registers; the two register lines and the call trace below are reconstructed
# from the format of show_regs() in arch/x86/kernel/process_64.c and dump_stack() (Linux 6.1), not captured.
LOCKED_UP = """NETVIRT-READY vm01
[   54.661108] rcu: INFO: rcu_preempt self-detected stall on CPU
[   54.661108] rcu: \t0-....: (1 GPs behind) idle=bf8c/0/0x3 softirq=1669/1670 fqs=2590
[   80.949156] watchdog: BUG: soft lockup - CPU#0 stuck for 45s! [swapper/0:0]
[   80.949160] Modules linked in: virtio_net net_failover failover 9pnet_virtio 9p
[   80.949170] CPU: 0 PID: 0 Comm: swapper/0 Not tainted 6.1.0-57-amd64 #1  Debian 6.1.158-1
[   80.949172] RIP: 0010:pv_native_safe_halt+0xb/0x10
[   80.949175] Code: 0b 66 2e 0f 1f 84 00 00 00 00 00 90 90 90 90 90 90 90 90 90 90 90 90
[   80.949180] RSP: 0018:ffffffff9a803e60 EFLAGS: 00000246
[   80.949190] Call Trace:
[   80.949191]  <TASK>
[   80.949192]  default_idle+0x9/0x20
[   80.949194]  default_idle_call+0x2c/0xe0
[   80.949196]  do_idle+0x226/0x2b0
[   80.949198]  cpu_startup_entry+0x1d/0x20
[   80.949200]  rest_init+0xd0/0xd0
[   80.949202]  arch_call_rest_init+0xe/0x30
[   80.949204]  start_kernel+0x6d1/0x6f8
[   80.949206]  </TASK>"""


def test_a_locked_up_guest_is_named_with_where_its_cpu_was_from_the_lockup_report_above_the_quoted_tail():
    lab = _Lab(1, LOCKED_UP)
    part = health._guest_ping(lab, SILENT, lab.spec.vm("vm01"))
    stuck = "控制台中锁死报告给出的 CPU 位置（更早的行）：[   80.949172] RIP: 0010:pv_native_safe_halt+0xb/0x10"
    assert stuck in part.detail
    assert part.detail.index(stuck) < part.detail.index("串口控制台最后 8 行：[   80.949192]  default_idle+0x9/0x20 |")
    # In the tail already, no register line, or registers of a warning with no lockup report after it.
    no_report = LOCKED_UP.replace("soft lockup", "WARNING").replace("rcu_preempt self-detected stall", "rcu")
    for console in ("\n".join(LOCKED_UP.splitlines()[-8:]), LOCKED_UP.replace("RIP: 0010:", "RIP 0010 "), no_report):
        assert "锁死报告给出的" not in health._guest_ping(_Lab(1, console), SILENT, lab.spec.vm("vm01")).detail


def test_the_whole_console_of_a_guest_that_reported_a_lockup_is_kept_beside_the_output(tmp_path):
    # A lab's directory goes at teardown, and with it the console QEMU wrote: the report's call trace is kept.
    console = "\n".join(f"[    {i}.000000] boot line {i}" for i in range(300)) + "\n" + LOCKED_UP
    lab = _Lab(1, console)
    part = health._guest_ping(lab, SILENT, lab.spec.vm("vm01"), tmp_path / "out")
    kept = tmp_path / "out" / "nvut-vm01-console.txt"
    assert f"控制台全文（含锁死报告）存于 {kept}" in part.detail
    assert kept.read_text() == console + "\n"  # all of it, not the 200 lines looked through
    # No lockup report: nothing kept.
    quiet = _Lab(1, "NETVIRT-READY vm01")
    assert "控制台全文" not in health._guest_ping(quiet, SILENT, quiet.spec.vm("vm01"), tmp_path / "q").detail
    assert not (tmp_path / "q").exists()
