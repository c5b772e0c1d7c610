"""The embedded lab for real: bring-up, SSH into each host, traffic through OVS-DPDK, teardown.

These tests build a lab with its own id (``nvt1``), so they never touch a lab a suite runs.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import embedded_lab
from netvirt import hoststate, seam
from netvirt.embedded import procs
from netvirt.embedded.lab import HUGEPAGES, LAB_ROOT
from netvirt.labspec import load_lab
from netvirt.ovs import Ovs, OvsError, PortType

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the embedded lab needs root")
ROOT = Path(__file__).resolve().parents[2]


def other_labs() -> set[str]:
    """Lab ids of other embedded labs on this machine (CI may run beside them)."""
    return {p.name for p in LAB_ROOT.iterdir() if p.is_dir() and p.name != "nvt1"} if LAB_ROOT.is_dir() else set()


@pytest.fixture(scope="module")
def lab():
    alone_before = not other_labs()
    hugepages_before = int(HUGEPAGES.read_text())
    lab = seam.from_spec(load_lab(embedded_lab.description("nvt1")), progress=lambda m: None)
    lab.setup()
    added = int((lab.builder.root / "hugepages.added").read_text())
    assert added == sum(vm.memory_mib // 2 for vm in lab.spec.vms)  # 2 MiB pages for both guests
    yield lab
    lab.teardown()
    assert lab.builder.leftovers() == []
    # The machine-wide count is shared: other labs starting or stopping meanwhile change it too, so
    # it is compared only when this lab was alone on the machine throughout.
    if alone_before and not other_labs():
        assert int(HUGEPAGES.read_text()) == hugepages_before


def test_every_host_answers_over_ssh_in_its_own_namespace(lab):
    for host in lab.spec.hosts:
        result = lab.session(host.name).run("ip -j link show")
        names = {link["ifname"] for link in json.loads(result.stdout)}
        assert {"enP4p1s0", "enP5p1s0", "mgmt0"} <= names, names


def test_commands_leave_no_stdin_file_for_the_garbage_collector(lab):
    """paramiko issue 2685: a ChannelStdinFile finalized on the transport thread deadlocks it (a chapter
    run hung so in 重启虚拟机). ``SshSession.run`` makes none, so none can be finalized there."""
    import gc

    import paramiko

    def stdin_files() -> int:
        gc.collect()
        return sum(isinstance(o, paramiko.channel.ChannelStdinFile) for o in gc.get_objects())

    before = stdin_files()
    session = lab.session("hosta")
    results = [session.run("echo out; echo err >&2; exit 3") for _ in range(20)]
    assert {(r.rc, r.stdout, r.stderr) for r in results} == {(3, "out\n", "err\n")}
    assert session.run("cat", timeout=10).ok, "stdin is at EOF: a command reading it does not wait"
    assert stdin_files() == before


def test_lab_namespaces_have_no_default_route_and_root_only_198_18(lab):
    for host in lab.spec.hosts:
        routes = lab.session(host.name).run("ip -j route show default").stdout
        assert json.loads(routes) == []
    root_addrs = json.loads(procs.run(["ip", "-j", "-4", "addr", "show"]).stdout)
    for link in root_addrs:
        if link["ifname"].startswith("nvt1-"):
            for addr in link["addr_info"]:
                assert addr["local"].startswith("198.18."), addr


def test_teardown_puts_back_what_the_run_changed_on_the_hosts_nics(lab):
    """OVS-DPDK leaves Host B's NIC PROMISC (the record's 5.4.5.2 shows it), a case may leave an MTU or an address."""
    b = lab.session("hostb")
    found = lab.nics_found["hostb"]
    assert found["enP5p1s0"].promisc is False, found
    assert b.run("ip link set dev enP5p1s0 promisc on mtu 9000 && ip addr add 5.5.6.22/24 dev enP5p1s0").ok
    done = hoststate.put_back(b, found)
    assert [line.split("：", 1)[1] for line in done] == [
        "ip link set dev enP5p1s0 promisc off",
        "ip link set dev enP5p1s0 mtu 1500",
        "ip addr del 5.5.6.22/24 dev enP5p1s0",
    ]
    assert hoststate.snapshot(b, list(found)) == found
    assert hoststate.put_back(b, found) == [], "nothing left to put back"


def test_host_b_keeps_its_management_mac_while_guest_taps_come_and_go(lab):
    """A bridge without a MAC of its own takes its lowest port's: the root namespace's neighbour entry for
    Host B went stale whenever a guest's tap joined or left, SSH to Host B stalled after 删除所有VM, and the
    teardown's session outlived the lab. A tap with the lowest MAC there is (RFC 7042's documentation
    range) joins and leaves the management bridge; the bridge's MAC does not move."""
    ns = lab.builder.hv_ns

    def mac() -> str:
        return json.loads(procs.run(["ip", "-j", "-n", ns, "link", "show", "mgmtbr"]).stdout)[0]["address"]

    before = mac()
    procs.run(["ip", "-n", ns, "tuntap", "add", "dev", "lowmac0", "mode", "tap"])
    try:
        procs.run(["ip", "-n", ns, "link", "set", "lowmac0", "address", "00:00:5e:00:53:01", "master", "mgmtbr", "up"])
        assert mac() == before
    finally:
        procs.run(["ip", "-n", ns, "link", "del", "lowmac0"])
    assert mac() == before


def test_cable_carries_frames_between_hosts(lab):
    a, b = lab.session("hosta"), lab.session("hostb")
    assert a.run("ip addr add 5.5.4.11/24 dev enP4p1s0").ok
    assert b.run("ip addr add 5.5.4.22/24 dev enP4p1s0").ok
    try:
        assert a.run("ping -c 2 -W 1 5.5.4.22").ok
    finally:
        a.run("ip addr flush dev enP4p1s0")
        b.run("ip addr flush dev enP4p1s0")


def test_icmp_through_ovs_dpdk_port(lab):
    """Host A -> cable -> a type=dpdk port (net_af_packet) -> ovsbr0 -> its internal port on Host B."""
    ovs = Ovs(lab.ovsdb_remote)
    a, b = lab.session("hosta"), lab.session("hostb")
    try:
        ovs.set_other_config({"dpdk-init": "true", "pmd-cpu-mask": "0x2"})
        ovs.add_bridge("ovsbr0")
        ovs.add_port("ovsbr0", "dpdkp1", PortType.dpdk, {"dpdk-devargs": lab.dpdk_devargs("0005:01:00.0")})
        assert ovs.interface("dpdkp1")["ofport"] > 0
        assert b.run("ip addr add 5.5.5.22/24 dev ovsbr0 && ip link set ovsbr0 up").ok
        assert a.run("ip addr add 5.5.5.11/24 dev enP5p1s0").ok
        ping = a.run("ping -c 3 -i 0.2 -W 2 5.5.5.22")
        assert ping.ok, ping.stdout
        dpif = b.run(lab.ovs_command("ovs-appctl", "dpif/show")).stdout
        assert "dpdkp1" in dpif and "dpdk:" in dpif
    finally:
        a.run("ip addr flush dev enP5p1s0")
        for bridge in ovs.bridges():
            ovs.delete_bridge(bridge)
        ovs.close()


def test_bad_devargs_is_an_error_and_rolled_back(lab):
    ovs = Ovs(lab.ovsdb_remote)
    try:
        ovs.set_other_config({"dpdk-init": "true"})
        ovs.add_bridge("ovsbr9")
        with pytest.raises(OvsError, match="已撤销.*dpdkbad"):
            ovs.add_port("ovsbr9", "dpdkbad", PortType.dpdk, {"dpdk-devargs": "net_af_packet9,iface=nosuchnic"})
        assert ovs.ports("ovsbr9") == ["ovsbr9"]
    finally:
        ovs.delete_bridge("ovsbr9")
        ovs.close()


def test_second_bring_up_after_kill_minus_9_cleans_and_works():
    """A robot killed mid-setup leaves daemons and namespaces; the next bring-up removes them.

    While it still runs, the same lab id is refused to anyone else."""
    script = (
        "import sys; sys.path[:0] = ['libraries', 'variables']\n"
        "import embedded_lab\n"
        "from netvirt.embedded.lab import EmbeddedLab\n"
        "lab = EmbeddedLab(embedded_lab.get_variables('nvt2')['LAB'], progress=print)\n"
        "lab.up()\n"
        "print('UP', flush=True)\n"
        "import time; time.sleep(300)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if line.startswith("UP"):
                break
        spec = load_lab(embedded_lab.description("nvt2"))
        from netvirt.embedded.lab import EmbeddedLab, LabInUseError

        # While its owner lives, another run with the same lab id neither rebuilds nor removes it.
        intruder = EmbeddedLab(spec, progress=lambda m: None)
        before = intruder.leftovers()
        for action in (intruder.up, intruder.down):
            with pytest.raises(LabInUseError, match=rf"实验环境 nvt2 正被进程 {proc.pid} 使用（.*python"):
                action()
        # Nothing of it removed (its owner's daemons may still add to it: DPDK's runtime directory under load).
        assert set(before) <= set(intruder.leftovers())
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        builder = EmbeddedLab(spec, progress=lambda m: None)
        assert builder.leftovers(), "the killed run should have left its lab behind"
        builder.up()
        builder.wait_ssh(spec.host("hosta").mgmt, "hosta")
        builder.down()
        assert builder.leftovers() == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)  # a dying owner holds the lab's lock until it is gone: the cleanup below would be refused
        EmbeddedLab_ = __import__("netvirt.embedded.lab", fromlist=["EmbeddedLab"]).EmbeddedLab
        EmbeddedLab_(load_lab(embedded_lab.description("nvt2")), progress=lambda m: None).down(quiet=True)
        time.sleep(0)
