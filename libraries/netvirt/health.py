"""What the lab looked like when a test failed: which of its parts still answer.

A failed ping says "丢包 100%" whether the datapath is broken or ovs-vswitchd died; a QA engineer
needs to know which. ``survey`` asks every part of a lab, each with a short timeout: the hosts'
and guests' sshd (a command over SSH), ovs-vswitchd and ovsdb-server on the hypervisor
(``ovs-appctl version``, and the vswitchd log's last lines when it does not answer), libvirtd and
each VM's domain state, with the last lines of libvirt's QEMU log of a VM that stopped or does not
answer (the lab's teardown may remove it: a TCG guest lost mid-chapter left nothing to read), and
for a running guest that does not answer whether its QEMU's monitor does, whether its kernel answers a ping
on its management address, and the last lines of its serial console. It changes nothing.
``LabLibrary`` runs it when a test fails and appends the parts that did not answer to the test's
message.
"""

from __future__ import annotations

import re
import shlex
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from netvirt.traffic.ping import ping_argv

T = TypeVar("T")
# The tag of a failed test in whose survey a VM of the lab was not running or did not answer over SSH.
GUEST_SILENT = "guest-silent"
TIMEOUT = 10.0
LOG_LINES = 5
QEMU_LOG_LINES = 8
MONITOR_TIMEOUT = 5.0
CONSOLE_LINES = 8
# Where a guest kernel's lockup report says its CPU was: the registers it prints at warning level name the function
# ("RIP: 0010:pv_native_safe_halt+0xb/0x20" on x86, "pc : cpu_do_idle+0x3c/0x40" on arm64). Looked for in the
# console's last CONSOLE_SCAN_LINES, since the report's call trace pushes them out of the quoted tail.
CONSOLE_SCAN_LINES = 200
CONSOLE_KEEP_LINES = 100_000
_LOCKUP = re.compile(r"soft lockup|hard LOCKUP|rcu_\w+ (self-)?detected stall")
_STUCK_AT = re.compile(r"\b(RIP: [0-9a-f]{4}:\S|pc : \S)")


@dataclass(frozen=True)
class Part:
    name: str  # 'hostb 的 ovs-vswitchd', 'vm01 的 sshd' ...
    ok: bool
    detail: str
    vm: str | None = None  # the VM a defined domain's or a guest's part is of


def _bounded(call: Callable[[], T], timeout: float) -> T:
    """``call()`` in a daemon thread, given up after ``timeout`` seconds (TimeoutError)."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as err:  # noqa: BLE001 - handed to the caller
            box["error"] = err

    worker = threading.Thread(target=target, daemon=True, name="netvirt-health")
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"{timeout:g} 秒内没有回应")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def _ssh(lab, host: str) -> Part:
    try:
        result = lab.session(host).run("true", timeout=TIMEOUT)
        return Part(f"{host} 的 sshd", result.ok, "SSH 可登录" if result.ok else f"命令返回 {result.rc}")
    except Exception as err:  # noqa: BLE001 - any failure is the finding
        if not lab.session(host).unresponsive:  # a host that stopped answering stays known as such
            lab.forget_session(host)
        return Part(f"{host} 的 sshd", False, f"SSH 不通：{err}")


def _ovs_daemon(lab, daemon: str) -> Part:
    hypervisor = lab.spec.hypervisor
    name = f"{hypervisor} 的 {daemon}"
    command = lab.ovs_command("ovs-appctl", "-t", daemon, "version")
    try:
        result = lab.session(hypervisor).run(command, timeout=TIMEOUT)
    except Exception as err:  # noqa: BLE001
        return Part(name, False, f"无法检查：{err}")
    if result.ok:
        return Part(name, True, result.stdout.strip().splitlines()[0] if result.stdout.strip() else "有回应")
    detail = f"没有回应（ovs-appctl：{(result.stderr or result.stdout).strip()}）"
    if daemon == "ovs-vswitchd":
        tail = lab.session(hypervisor).run(
            shlex.join(["tail", "-n", str(LOG_LINES), lab.ovs_log_path]), timeout=TIMEOUT
        )
        if tail.ok and tail.stdout.strip():
            detail += f"；{lab.ovs_log_path} 最后 {LOG_LINES} 行：" + " | ".join(tail.stdout.strip().splitlines())
    return Part(name, False, detail)


NOT_DEFINED = "不存在"


def _domains(lab) -> list[Part]:
    import libvirt

    def states() -> dict[str, str]:
        names = {lab.domain_name(vm): vm.name for vm in lab.spec.vms}
        conn = libvirt.open(lab.spec.libvirt_uri)
        try:
            found = {}
            for domain, vm in names.items():
                try:
                    state = conn.lookupByName(domain).state()[0]
                except libvirt.libvirtError:
                    found[vm] = NOT_DEFINED
                    continue
                found[vm] = "running" if state == libvirt.VIR_DOMAIN_RUNNING else f"状态 {state}（不在运行）"
            return found
        finally:
            conn.close()

    try:
        found = _bounded(states, TIMEOUT)
    except Exception as err:  # noqa: BLE001
        return [Part(f"{lab.spec.hypervisor} 的 libvirtd", False, f"连接 {lab.spec.libvirt_uri} 失败：{err}")]
    # A domain not defined is no guest of the lab's (``Part.vm``): a test or the run removed it, or never made it.
    return [
        Part(f"虚拟机 {vm}", state == "running", f"域{state}", vm=None if state == NOT_DEFINED else vm)
        for vm, state in found.items()
    ]


def qemu_log_tail(lab, vm, lines: int = QEMU_LOG_LINES) -> str | None:
    """The last ``lines`` of ``vm``'s QEMU log on the hypervisor, as ``<path> 最后 N 行：a | b``; None when it
    cannot be read or is empty (a finding about the VM stands without it). Why a QEMU exited is written there."""
    path = lab.qemu_log_path(vm)
    try:
        tail = lab.session(lab.spec.hypervisor).run(shlex.join(["tail", "-n", str(lines), path]), TIMEOUT)
    except Exception:  # noqa: BLE001 - only evidence for a finding already made
        return None
    if not tail.ok or not tail.stdout.strip():
        return None
    return f"{path} 最后 {lines} 行：" + " | ".join(tail.stdout.strip().splitlines())


def _with_qemu_log(lab, part: Part, vm) -> Part:
    """``part`` (a VM that stopped or does not answer) with the last lines of its QEMU log on the hypervisor."""
    tail = qemu_log_tail(lab, vm)
    return replace(part, detail=f"{part.detail}；{tail}") if tail else part


def _qemu_monitor(lab, part: Part, vm) -> Part:
    """``part`` (a running guest that does not answer) with whether its QEMU's monitor answers: a QEMU whose main
    loop is blocked (waiting on a vhost-user back end that does not reply, say) freezes the guest and the monitor
    alike, while a guest whose own kernel is stuck leaves the monitor answering."""
    import libvirt
    import libvirt_qemu

    def status() -> str:
        conn = libvirt.open(lab.spec.libvirt_uri)
        try:
            domain = conn.lookupByName(lab.domain_name(vm))
            hmp = libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP
            return libvirt_qemu.qemuMonitorCommand(domain, "info status", hmp)
        finally:
            conn.close()

    try:
        state = _bounded(status, MONITOR_TIMEOUT).strip()
        # SSH's silence does not tell the guest's kernel from its sshd or the connection: say only what is known.
        answer = f"QEMU 监视器有回应（{state}）：QEMU 在运行，没有应答的是客户机（其内核、sshd 或到它的连接）"
    except TimeoutError:
        answer = f"QEMU 监视器 {MONITOR_TIMEOUT:g} 秒内没有回应：QEMU 主循环被阻塞（如等待不回应的 vhost-user 后端）"
    except Exception as err:  # noqa: BLE001 - the part's own finding stands
        answer = f"QEMU 监视器无法询问：{err}"
    return replace(part, detail=f"{part.detail}；{answer}")


def _guest_ping(lab, part: Part, vm, keep_dir: Path | None = None) -> Part:
    """``part`` (a running guest that does not answer over SSH) with whether its kernel answers a ping on the
    management address from the hypervisor: an answer means the kernel and its NIC work and what is stuck is sshd,
    the processes it starts or the filesystem they need; none, the kernel or its management NIC. With the last lines
    of the guest's serial console where the lab keeps it (a kernel's soft lockup or hung task is written there)."""
    argv = ping_argv(vm.mgmt, 3, deadline=3)
    try:
        answered = lab.session(lab.spec.hypervisor).run(shlex.join(argv), TIMEOUT).ok
        found = (
            f"管理地址 {vm.mgmt} 能 ping 通：客户机内核与管理网卡在工作，卡住的是 sshd、它启动的进程或其文件系统"
            if answered
            else f"管理地址 {vm.mgmt} 也 ping 不通：客户机内核或其管理网卡没有在工作"
        )
    except Exception as err:  # noqa: BLE001 - the part's own finding stands
        found = f"没能从 {lab.spec.hypervisor} ping 管理地址 {vm.mgmt}：{err}"
    console = lab.console_tail(vm, CONSOLE_SCAN_LINES)
    if console and console.strip():
        lines = console.strip().splitlines()
        tail = lines[-CONSOLE_LINES:]
        # The register lines after the console's last lockup report (not a warning's trace from earlier on).
        report = max((i for i, line in enumerate(lines) if _LOCKUP.search(line)), default=len(lines))
        stuck = [line.strip() for line in lines[report : -len(tail)] if _STUCK_AT.search(line)][-2:]
        if stuck:
            found += "；控制台中锁死报告给出的 CPU 位置（更早的行）：" + " | ".join(stuck)
        found += f"；串口控制台最后 {len(tail)} 行：" + " | ".join(tail)
        if report < len(lines) and keep_dir is not None:
            found += _keep_console(lab, vm, keep_dir)
    return replace(part, detail=f"{part.detail}；{found}")


def _keep_console(lab, vm, keep_dir: Path) -> str:
    """The whole console of a guest whose kernel reported a lockup, copied to ``keep_dir`` (the lab's directory, where
    QEMU writes it, goes at teardown): the report's call trace says how the CPU got where it is stuck."""
    try:
        keep_dir.mkdir(parents=True, exist_ok=True)
        kept = keep_dir / f"{lab.domain_name(vm)}-console.txt"
        kept.write_text((lab.console_tail(vm, CONSOLE_KEEP_LINES) or "") + "\n")
        return f"；控制台全文（含锁死报告）存于 {kept}"
    except Exception as err:  # noqa: BLE001 - only evidence: the survey's finding stands
        return f"；控制台全文没能保存：{err}"


def _guest(lab, vm, domain: Part, keep_dir: Path | None) -> tuple[Part, Part | None]:
    """``vm``'s domain part (with QEMU's log when it stopped) and, when it runs, its sshd's part (with what is known
    of a guest that does not answer: its QEMU's monitor, a ping of its kernel, its console, QEMU's log)."""
    if not domain.ok:
        return _with_qemu_log(lab, domain, vm), None
    guest = replace(_ssh(lab, vm.name), vm=vm.name)
    if not guest.ok:
        guest = _with_qemu_log(lab, _guest_ping(lab, _qemu_monitor(lab, guest, vm), vm, keep_dir), vm)
    return domain, guest


def survey(lab, keep_dir: Path | None = None) -> list[Part]:
    """Every part of ``lab``: hosts, OVS daemons, libvirtd and domains, guests. Read-only but for ``keep_dir``, where
    the whole console of a guest that reported a lockup is copied."""
    parts = [_ssh(lab, host.name) for host in lab.spec.hosts]
    hypervisor_up = next(p.ok for p in parts if p.name.startswith(f"{lab.spec.hypervisor} "))
    if hypervisor_up:
        parts += [_ovs_daemon(lab, "ovs-vswitchd"), _ovs_daemon(lab, "ovsdb-server")]
    domains = {p.name.removeprefix("虚拟机 "): p for p in _domains(lab)}
    guests = []
    for vm in lab.spec.vms:
        domain = domains.get(vm.name)
        if domain is None:
            continue
        if not hypervisor_up:  # QEMU's log, the ping and the monitor's answer are asked on the hypervisor
            guests += [replace(_ssh(lab, vm.name), vm=vm.name)] if domain.ok else []
            continue
        domains[vm.name], guest = _guest(lab, vm, domain, keep_dir)
        guests += [guest] if guest is not None else []
    return parts + list(domains.values()) + guests


def silent_guests(lab, keep_dir: Path | None = None) -> dict[str, Part]:
    """The guests of ``lab`` whose domain is defined but not running, or running with an sshd that does not answer,
    by VM name, each with what is known of it (as ``survey`` says it; ``keep_dir`` as there). A VM whose domain is not
    defined is not one of them; none are when libvirtd does not answer (nothing is known of the guests then)."""
    domains = {p.name.removeprefix("虚拟机 "): p for p in _domains(lab)}
    found = {}
    for vm in lab.spec.vms:
        domain = domains.get(vm.name)
        if domain is None or domain.vm is None:
            continue
        domain, guest = _guest(lab, vm, domain, keep_dir)
        part = guest if guest is not None else domain
        if not part.ok:
            found[vm.name] = part
    return found


def describe(parts: list[Part]) -> str | None:
    """One line naming the ``parts`` that do not answer, or None when all do."""
    bad = [p for p in parts if not p.ok]
    if not bad:
        return None
    return "实验环境状态：" + "；".join(f"{p.name}：{p.detail}" for p in bad)


def problems(lab, keep_dir: Path | None = None) -> str | None:
    """One line naming the parts of ``lab`` that do not answer, or None when all do (``keep_dir``: see survey)."""
    return describe(survey(lab, keep_dir))
