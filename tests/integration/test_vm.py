"""VM library on the embedded lab's own libvirtd: a real QEMU guest defined, started, reached over
SSH, given a NIC live and relieved of it, then destroyed and undefined."""

import json
import os
import re
import signal
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from robot import result as robot_result
from robot.api import SkipExecution
from vmlab import ovs_lab, running_vm01

from HostLibrary import HostLibrary
from LabLibrary import LabLibrary
from netvirt.embedded import procs
from netvirt.embedded.guestboot import TIMESTAMP_HOLDER
from netvirt.parsers.ovs import parse_dump_ports
from netvirt.perf.topology import Scenario
from netvirt.traffic.iperf import Protocol
from netvirt.traffic.throughput import close_to
from netvirt.vm import VmError
from OVSLibrary import OVSLibrary
from PerfLibrary import PerfLibrary
from TrafficLibrary import TrafficLibrary
from VMLibrary import VMLibrary

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the embedded lab needs root")


@pytest.fixture(scope="module")
def lab():
    with ovs_lab("nvtv") as lab:
        yield lab


@pytest.fixture(scope="module")
def vm01(lab):
    with running_vm01() as library:
        yield library


def test_guest_is_real_and_multiqueue(lab, vm01):
    session = lab.session("vm01")
    assert session.run("uname -r").stdout.startswith("6.1.")
    assert "Combined:\t2" in session.run("ethtool -l eth1").stdout
    # root's login shell is /bin/sh in the guest (guestboot's /init), the host's passwd otherwise unchanged
    assert session.run("readlink -f /proc/$$/exe; true").stdout.strip() == os.path.realpath("/bin/sh")
    assert session.run("grep -c : /etc/passwd").stdout.strip() == str(len(Path("/etc/passwd").read_text().splitlines()))
    # The idle ping that keeps receive timestamps on, so that no ping of a test patches the kernel (guestboot).
    commands = session.run("for p in /proc/[0-9]*; do tr '\\0' ' ' <$p/cmdline 2>/dev/null; echo; done").stdout
    assert f"{TIMESTAMP_HOLDER} " in commands.splitlines(), commands
    vm01.vm_state_should_be("vm01", "running")


def test_defining_the_same_vm_twice_is_refused_and_leaves_it_running(lab, vm01):
    with pytest.raises(VmError, match="已经定义过"):
        vm01.create_vm("vm01")
    vm01.vm_state_should_be("vm01", "running")


def test_nic_attached_live_appears_in_the_guest_and_goes_away(lab, vm01):
    ns = lab.builder.hv_ns
    procs.run(["ip", "-n", ns, "tuntap", "add", "dev", "vftest0", "mode", "tap"])
    try:
        name = vm01.attach_nic("vm01", "ethernet", "vftest0", "52:54:00:aa:bb:01", guest_ifname="enp5s0", up=True)
        assert name == "enp5s0"
        (link,) = json.loads(lab.session("vm01").run("ip -j link show dev enp5s0").stdout)
        assert link["address"] == "52:54:00:aa:bb:01" and "UP" in link["flags"]
        with pytest.raises(VmError, match="已有网卡"):
            vm01.attach_nic("vm01", "ethernet", "vftest0", "52:54:00:aa:bb:02")
        vm01.detach_nic("vm01", "52:54:00:aa:bb:01")
        assert "enp5s0" not in lab.session("vm01").run("ip -br link").stdout
    finally:
        procs.run(["ip", "-n", ns, "link", "del", "vftest0"], check=False)


def test_bad_pci_address_is_refused_before_libvirt(lab, vm01):
    with pytest.raises(ValueError, match="PCI 地址 .05:01.1. 不合法"):
        vm01.attach_nic("vm01", "hostdev", "05:01.1", "52:54:00:aa:bb:03")


def test_missing_host_side_is_refused_before_libvirt(lab, vm01):
    with pytest.raises(VmError, match="没有 vhost-user 套接字.*dpdkvhostuser9"):
        vm01.attach_nic("vm01", "vhostuser", "dpdkvhostuser9", "52:54:00:aa:bb:04")
    with pytest.raises(VmError, match="没有 PCI 设备.*0005:01:00.7"):
        vm01.attach_nic("vm01", "hostdev", "0005:01:00.7", "52:54:00:aa:bb:05")
    assert len(VMLibrary().hypervisor.interfaces("nvtv-vm01")) == 2


def test_removed_vm_is_gone(lab, vm01):
    vm02 = VMLibrary()
    with pytest.raises(VmError, match="不存在"):
        vm02.vm_state_should_be("vm02", "running")


def test_qemu_capabilities_probed_for_vm01_are_kept_for_the_next_lab(lab, vm01):
    """libvirtd probed QEMU before starting vm01 (seconds under TCG); the lab keeps that probe when it goes."""
    probed = sorted(p.name for p in (lab.builder.root / "libvirt/cache/qemu/capabilities").glob("*.xml"))
    assert probed, "libvirtd keeps its QEMU probe in /var/cache/libvirt, bind-mounted from the lab's root"
    lab.builder._keep_capabilities()  # what teardown does before the lab's root goes
    kept = lab.builder.caps_cache
    assert all(
        (kept / name).read_bytes() == (lab.builder.root / "libvirt/cache/qemu/capabilities" / name).read_bytes()
        for name in probed
    )


def test_a_guest_on_a_measured_path_is_timed_by_its_management_ping_while_the_load_runs(lab, vm01):
    # PerfLibrary's check that tells a starved guest from a slow path (转发质量应满足判据): the real guest is pinged
    # from Host B over its management NIC while the path's measurer runs one more trial at the point's load.
    class _Measurer:
        def __init__(self):
            self.calls = []

        def measure(self, load_pps, seconds, frame_size):
            self.calls.append((load_pps, seconds, frame_size))
            time.sleep(seconds)

    library = PerfLibrary()
    library._topology = SimpleNamespace(scenario=Scenario.pvp)
    library._measurer = measurer = _Measurer()
    notes: list[str] = []
    assert library._guests_slow(500.0, 1.0, 64, 1e9, notes) == []
    assert measurer.calls == [(500.0, 1.0, 64)]
    assert len(notes) == 1 and notes[0].startswith("vm01 管理网 ping 平均往返 ")
    # No guest answers in a microsecond: named, with its round trip.
    slow = library._guests_slow(500.0, 1.0, 64, 1.0, [])
    assert len(slow) == 1 and slow[0].startswith("vm01 管理网 ping 平均往返 ") and "超过 1 µs" in slow[0]
    # A path without guests is not checked.
    library._topology = SimpleNamespace(scenario=Scenario.p2p)
    assert library._guests_slow(500.0, 1.0, 64, 1.0, []) is None


class _FreezeOnceTrafficFlows(threading.Thread):
    """Stops QEMU ``pid`` for ``seconds`` once OVS port ``port`` has received ``packets`` more frames than when the
    thread started: the freeze lands inside the traffic however long the measurement's start took on a loaded
    machine (a fixed delay from the keyword's call could end before the first datagram). Gives up after
    ``deadline`` s without that traffic; QEMU is always continued."""

    def __init__(self, lab, pid: int, port: str, packets: int = 700, seconds: float = 1.0, deadline: float = 60):
        super().__init__(daemon=True)
        self.lab, self.pid, self.port = lab, pid, port
        self.packets, self.seconds, self.deadline = packets, seconds, deadline
        self.stopped_at: float | None = None
        self.error: Exception | None = None

    def _received(self) -> int:
        dump = self.lab.ovs_command("ovs-ofctl", "dump-ports", "ovsbr0", self.port)
        (port,) = parse_dump_ports(self.lab.session(self.lab.spec.hypervisor).run(dump).stdout)
        return port["rx"]["pkts"]

    def run(self) -> None:
        try:
            self._freeze()
        except Exception as error:  # reported by the test, which cannot see this thread's traceback
            self.error = error

    def _freeze(self) -> None:
        start, until = self._received(), time.monotonic() + self.deadline
        while time.monotonic() < until:
            if self._received() >= start + self.packets:
                os.kill(self.pid, signal.SIGSTOP)
                self.stopped_at = time.monotonic()
                try:
                    time.sleep(self.seconds)
                finally:
                    os.kill(self.pid, signal.SIGCONT)
                return
            time.sleep(0.05)


def test_frames_a_frozen_guest_could_not_take_are_counted_and_make_a_short_rate_inconclusive(lab, vm01):
    """5.4.8.1's ingress direction: UDP from Host A through OVS-DPDK's own ingress policer on dpdkp1 (8 Mbit/s) and
    dpdkvhostuser0 to vm01. Measured as it is, the rate is the policer's. With vm01's QEMU stopped for one second of
    five (a guest starved on a loaded machine), OVS cannot hand the frames to the full ring and counts them in
    dpdkvhostuser0's drop counter: the rate comes out short, the drops make it up, and the check is inconclusive where
    it would otherwise have blamed the policer."""
    ovs, traffic, hosts = OVSLibrary(), TrafficLibrary(), HostLibrary()
    policer = ovs.policer_parameters(8_000_000)
    expected = policer["udp_goodput_bps"]
    udp = {"bitrate": "16M", "length": "1400", "receiver_port": "dpdkvhostuser0"}
    qemu = procs.read_pid(lab.builder.root / "libvirt/run/qemu/nvtv-vm01.pid")
    ovs.add_dpdk_port("ovsbr0", "dpdkp1", LabLibrary().nic_pci("hostb", "enP5p1s0"))
    try:
        hosts.set_address("hosta", "enP5p1s0", "5.5.5.11/24")
        hosts.set_address("vm01", "eth1", "5.5.5.51/24")
        ovs.set_ingress_policing("dpdkp1", policer["ingress_kbps"], policer["burst_kbps"])
        for attempt in range(3):  # as it is, the policer's rate: a PASS, once the machine lets one be judged
            steady = traffic.measure_throughput("hosta", "vm01", "5.5.5.51", Protocol.udp, 5, **udp)
            try:
                traffic.throughput_should_be_close(steady, expected, 10)
                break
            except SkipExecution:
                if attempt == 2:
                    raise

        freeze = _FreezeOnceTrafficFlows(lab, qemu, "dpdkp1")
        freeze.start()
        try:
            frozen = traffic.measure_throughput("hosta", "vm01", "5.5.5.51", Protocol.udp, 5, **udp)
        finally:
            freeze.join()  # QEMU running again, whatever happened
        assert freeze.error is None, freeze.error
        assert freeze.stopped_at is not None, "dpdkp1 received no traffic within 60 s: vm01 was never stopped"
        dropped = frozen["receiver_dropped"]
        assert dropped["port"] == "dpdkvhostuser0" and dropped["port_dropped"] > 200, dropped
        assert dropped["port_counter"] == "ovs_tx_failure_drops", dropped  # OVS 3.1's vhost-user port
        assert frozen["mean_bps"] < 0.9 * expected, frozen["mean_bps"]
        # Inconclusive, never FAIL; the drops are named whenever they make up the shortfall. (On a loaded machine the
        # sender may also have stalled, and its 0.1 s is named too, or alone where the drops fall short of it.)
        with pytest.raises(SkipExecution, match=r"^无法判定：") as skipped:
            traffic.throughput_should_be_close(frozen, expected, 10)
        if close_to(frozen["mean_bps"] + dropped["bps"], expected, 10):
            named = r"接收端丢弃了 \d+ 个数据报（OVS 端口 dpdkvhostuser0 的 ovs_tx_failure_drops \+\d+：客户机来不及收"
            assert re.search(named, str(skipped.value)), skipped.value
        else:
            assert "发送端有 0.1 秒只发出" in str(skipped.value), skipped.value
        print(
            f"\npoliced UDP to vm01: {steady['mean_bps'] / 1e6:.2f} Mbit/s; QEMU stopped 1 s of 5: "
            f"{frozen['mean_bps'] / 1e6:.2f} + {dropped['bps'] / 1e6:.2f} Mbit/s dropped ({dropped['datagrams']})"
        )
    finally:
        ovs.set_ingress_policing("dpdkp1", 0, 0)
        ovs.delete_port("dpdkp1")
        hosts.flush_addresses("hosta", "enP5p1s0")
        hosts.flush_addresses("vm01", "eth1")


def test_a_frozen_then_lost_guest_is_named_with_its_monitor_and_qemu_log(lab, vm01):
    """A TCG guest lost mid-chapter (its QEMU gone, or running with the guest silent) left nothing to read once the
    lab was torn down: the survey of a failed test now says whether QEMU's monitor answers (a QEMU blocked in its
    main loop does not) and quotes libvirt's QEMU log. Last in this module: vm01's QEMU is stopped, then killed."""
    from netvirt import health

    log = lab.qemu_log_path(lab.spec.vm("vm01"))
    assert log.endswith("/libvirt/log/qemu/nvtv-vm01.log") and "-name" in Path(log).read_text()
    pid = procs.read_pid(lab.builder.root / "libvirt/run/qemu/nvtv-vm01.pid")
    assert pid and "qemu-system" in Path(f"/proc/{pid}/cmdline").read_text()
    os.kill(pid, signal.SIGSTOP)  # QEMU frozen: the domain still "running", the guest and the monitor silent
    try:
        found = health.problems(lab)
    finally:
        os.kill(pid, signal.SIGKILL)
    assert found is not None and "vm01 的 sshd：SSH 不通" in found, found
    assert f"QEMU 监视器 {health.MONITOR_TIMEOUT:g} 秒内没有回应" in found and f"{log} 最后" in found, found
    # A frozen QEMU answers no ping either; the guest's console (the boot's NETVIRT-STAGE lines) is quoted.
    assert f"管理地址 {lab.spec.vm('vm01').mgmt} 也 ping 不通" in found and "串口控制台最后" in found, found
    deadline = time.monotonic() + 20
    while vm01.hypervisor.is_active("nvtv-vm01") and time.monotonic() < deadline:
        time.sleep(0.2)
    found = health.problems(lab)
    assert found is not None and "虚拟机 vm01：域状态" in found, found
    assert f"{log} 最后 {health.QEMU_LOG_LINES} 行：" in found, found
    assert "hostb 的" not in found  # only the guest is named
    # Waiting for a guest whose QEMU is gone fails at once, quoting why QEMU ended where libvirt logged it.
    with pytest.raises(VmError, match="没有在运行") as failed:
        vm01.wait_until_vm_ready("vm01", timeout=5)
    assert f"QEMU 日志 {log} 最后 {health.QEMU_LOG_LINES} 行：" in str(failed.value)


def test_a_guest_whose_qemu_crashes_before_it_is_first_ready_is_started_again_only_where_the_lab_says(
    lab, vm01, monkeypatch, caplog
):
    """Debian's QEMU 7.2 under TCG crashes now and then while a guest boots (README): the embedded lab allows one
    restart (``boot_crash_restarts``), with a warning quoting QEMU's log; a second crash before the guest is ready
    fails, and so does the first on a lab that allows none (a real lab). A crash once the guest was ready is not
    retried (the frozen-guest test above). After that test: vm01 is created anew here."""
    pidfile = lab.builder.root / "libvirt/run/qemu/nvtv-vm01.pid"

    def crash(pid: int) -> None:
        os.kill(pid, signal.SIGSEGV)
        deadline = time.monotonic() + 20
        while vm01.hypervisor.is_active("nvtv-vm01") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert vm01.hypervisor.crashed("nvtv-vm01")

    def started() -> int:
        vm01.remove_vm("vm01")
        vm01.create_vm("vm01")
        return procs.read_pid(pidfile)

    monkeypatch.setattr(lab, "boot_crash_restarts", lambda: 0)
    crash(started())
    with pytest.raises(VmError, match="没有在运行"):
        vm01.wait_until_vm_ready("vm01", timeout=5)
    monkeypatch.undo()

    # Crashed twice before it was ready: restarted once, then the second crash fails.
    first = started()
    crash(first)
    waited: dict[str, BaseException] = {}

    def wait() -> None:
        try:
            vm01.wait_until_vm_ready("vm01", timeout=60)
        except BaseException as err:  # noqa: BLE001 - examined below
            waited["error"] = err

    waiter = threading.Thread(target=wait)
    waiter.start()
    deadline = time.monotonic() + 30
    while procs.read_pid(pidfile) in (None, first) and time.monotonic() < deadline:
        time.sleep(0.05)
    second = procs.read_pid(pidfile)
    assert second not in (None, first), "the crashed guest was not started again"
    while vm01.hypervisor.state("nvtv-vm01") != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # libvirt's start call returns in the waiting thread
    crash(second)
    waiter.join(90)
    assert isinstance(waited.get("error"), VmError) and "没有在运行" in str(waited["error"]), waited
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]  # Robot's WARN
    assert "nvtv-vm01 的 QEMU 在客户机就绪前崩溃" in warning
    assert "reason=crashed" in warning  # QEMU's log quoted

    # Crashed once: started again, and ready.
    crash(started())
    vm01.wait_until_vm_ready("vm01", timeout=120)
    vm01.vm_state_should_be("vm01", "running")


def test_a_test_that_starts_after_a_guest_went_silent_restarts_it_first(lab, vm01, caplog, tmp_path, monkeypatch):
    """A guest that stopped answering (a TCG kernel lock-up, a test that failed half way) made every later test of the
    chapter fail on it: the VM library, as a listener, restarts such a guest when a test starts, with a warning saying
    what was found; guests that answer are left alone."""
    monkeypatch.setattr("netvirt.evidence.output_dir", lambda: tmp_path)
    if vm01.hypervisor.exists("nvtv-vm01") and vm01.hypervisor.state("nvtv-vm01") != "running":
        vm01.remove_vm("vm01")  # as the tests above left it (run alone: the frozen guest's test killed its QEMU)
    if not vm01.hypervisor.exists("nvtv-vm01"):
        vm01.create_vm("vm01")
    vm01.wait_until_vm_ready("vm01", timeout=120)
    caplog.clear()
    pidfile = lab.builder.root / "libvirt/run/qemu/nvtv-vm01.pid"
    running = procs.read_pid(pidfile)
    vm01.start_test(None, None)
    assert procs.read_pid(pidfile) == running and not [r for r in caplog.records if r.levelname == "WARNING"]

    os.kill(running, signal.SIGSTOP)  # the domain still "running", the guest silent
    # The test it happened in fails naming the guest, tagged so that run-chapter.sh runs the failed cases again.
    failed = robot_result.TestCase("5.4.1.1 OVS采用DPDK", status="FAIL", message="丢包 100%")
    LabLibrary().end_test(None, failed)
    assert "guest-silent" in failed.tags and "vm01 的 sshd：SSH 不通" in failed.message, failed.message
    vm01.start_test(None, None)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning.startswith("用例开始前，虚拟机 vm01 没有在运行或不应答（发生在上一个用例或更早），先重启"), warning
    assert "vm01 的 sshd：SSH 不通" in warning and "QEMU 监视器" in warning, warning
    assert procs.read_pid(pidfile) not in (None, running)
    assert lab.session("vm01").run("true", timeout=15).ok

    # A domain that is defined but not running (destroyed, say, by a test that failed before starting it again).
    caplog.clear()
    vm01.hypervisor.destroy("nvtv-vm01")
    vm01.start_test(None, None)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "虚拟机 vm01：域状态" in warning and "（不在运行）" in warning, warning
    vm01.vm_state_should_be("vm01", "running")
    assert lab.session("vm01").run("true", timeout=15).ok
