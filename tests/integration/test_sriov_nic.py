"""The emulated SR-IOV NIC on a bare embedded lab (no VMs), checked with real frames.

VF netdevs appear in Host B; two of them are moved into namespaces of this test (as if two
guests had them) so that VF-to-VF traffic crosses the eswitch instead of Host B's stack.
Host A (5.5.5.11) is the peer on the cable. Each test sets what it needs and puts it back.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time

import pytest

import embedded_lab
from netvirt import seam
from netvirt.embedded import procs
from netvirt.labspec import load_lab
from netvirt.remote import script
from netvirt.rtnl import NetlinkError
from netvirt.sriov import LinkState, SriovError, VfChange
from netvirt.sriov_netlink import NetlinkNic
from netvirt.validate import InvalidValue
from SriovLibrary import SriovLibrary

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the embedded lab needs root")
LAB_ID = os.environ.get("NETVIRT_TEST_SRIOV_LAB", "nvsi")
PF = "enP5p1s0"
PEER, VF0, VF1 = "5.5.5.11", "5.5.5.33", "5.5.5.34"


@pytest.fixture(scope="module")
def lab():
    # The NIC as the kernel documents it (auto follows the PF, VST adds a tag to guest-tagged frames); the
    # record's ConnectX-4, the default model, is what tests/integration/test_verdict_table.py runs.
    lab = seam.from_spec(load_lab(embedded_lab.description(LAB_ID, "spec-conformant")), progress=lambda m: None)
    lab.setup()
    seam.use(lab)
    guests = [f"{LAB_ID}-t0", f"{LAB_ID}-t1"]
    try:
        nic = lab.sriov_nic("hostb", PF)
        nic.set_num_vfs(2)
        hosta, hostb = lab.builder.ns("hosta"), lab.builder.ns("hostb")
        procs.run(["ip", "-n", hosta, "addr", "add", f"{PEER}/24", "dev", PF])
        for index, (guest, address) in enumerate(zip(guests, (VF0, VF1), strict=True)):
            procs.run(["ip", "netns", "add", guest])
            netdev = nic.vf_device(index).netdev
            procs.run(["ip", "-n", hostb, "link", "set", netdev, "netns", guest])
            procs.run(["ip", "-n", guest, "addr", "add", f"{address}/24", "dev", netdev])
            procs.run(["ip", "-n", guest, "link", "set", netdev, "up"])
        yield lab
    finally:
        seam.use(None)
        for guest in guests:
            procs.run(["ip", "netns", "del", guest], check=False)
        lab.teardown()
        assert lab.builder.leftovers() == []


@pytest.fixture
def nic(lab):
    return lab.sriov_nic("hostb", PF)


@pytest.fixture
def library(lab):
    library = SriovLibrary()
    yield library
    library.restore()


def ns(lab, name: str) -> str:
    return lab.builder.ns(name) if name in ("hosta", "hostb") else f"{LAB_ID}-{name}"


def pings(lab, source: str, address: str, count: int = 2) -> bool:
    procs.run(["ip", "neigh", "flush", "all"], ns=ns(lab, source), check=False)
    result = procs.run(["ping", "-c", str(count), "-i", "0.2", "-W", "1", address], ns=ns(lab, source), check=False)
    return result.returncode == 0


def capture(lab, where: str, dev: str, bpf: str, action, settle: float = 0.5) -> str:
    """tcpdump's text for frames on ``dev`` of ``where`` while ``action`` runs: the action starts once tcpdump
    says it is listening (a fixed wait lost the frames on a loaded machine) and tcpdump stops ``settle`` s after."""
    argv = ["ip", "netns", "exec", ns(lab, where), "timeout", "60", "tcpdump", "-l", "-nn", "-e", "-i", dev, bpf]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as dump:
        said = []
        while not (said and said[-1].startswith("listening on")):
            line = dump.stderr.readline()
            assert line, f"tcpdump ended before listening: {''.join(said)}"
            said.append(line)
        action()
        time.sleep(settle)
        dump.terminate()
        out, _ = dump.communicate(timeout=30)
    return out


def wait_listening(lab, where: str, port: int, timeout: float = 30) -> None:
    """Until a TCP socket listens on ``port`` in ``where`` (a server started in the background)."""
    deadline = time.monotonic() + timeout
    while not procs.run(["ss", "-Hltn", f"sport = :{port}"], ns=ns(lab, where)).stdout.strip():
        assert time.monotonic() < deadline, f"nothing listens on port {port} in {where} after {timeout} s"
        time.sleep(0.1)


def send(lab, where: str, dev: str, *args: str) -> None:
    helper = ["python3", "-c", script("framesend.py").decode(), "--interface", dev, "--src-ip", "5.5.5.1"]
    helper += ["--count", "3", "--rate", "50"]
    procs.run([*helper, *args], ns=ns(lab, where))


def carrier(lab, where: str, dev: str) -> bool:
    link = json.loads(procs.run(["ip", "-n", ns(lab, where), "-j", "link", "show", "dev", dev]).stdout)[0]
    return "LOWER_UP" in link["flags"]


def test_vfs_are_netdevs_with_the_records_names_and_pci_addresses(lab, nic):
    assert [nic.vf_device(i).pci for i in (0, 1)] == ["0005:01:00.1", "0005:01:00.2"]
    link = nic.link()
    assert (link.num_vfs, link.up, [vf.link_state for vf in link.vfs]) == (2, True, [LinkState.auto] * 2)
    text = nic.ip_link_show().stdout
    assert "vf 1     link/ether 00:00:00:00:00:00" in text and "link-state auto" in text
    assert carrier(lab, "t0", "enP5p1s0f1")


def test_vfs_reach_each_other_and_the_wire(lab):
    assert pings(lab, "t0", VF1)
    assert pings(lab, "hosta", VF0)


def test_vlans_isolate_vfs_and_tag_the_wire(lab, library):
    library.set_vf(PF, 0, vlan=100)
    library.set_vf(PF, 1, vlan=101)
    assert not pings(lab, "t0", VF1)
    library.set_vf(PF, 1, vlan=100)
    assert pings(lab, "t0", VF1)
    assert not pings(lab, "hosta", VF0, count=1)  # Host A is untagged
    seen = capture(lab, "hosta", PF, "arp", lambda: pings(lab, "t0", "5.5.5.99", count=1))
    assert re.search(r"802\.1Q.*vlan 100, p 0, ethertype ARP.*who-has 5\.5\.5\.99", seen), seen


def test_guest_tagged_frames_get_a_second_tag(lab, library):
    library.set_vf(PF, 0, vlan=100, vlan_protocol="802.1ad")
    frame = ["--dst-mac", "ff:ff:ff:ff:ff:ff", "--dst-ip", "5.5.10.99", "--vlan", "10"]
    seen = capture(lab, "hosta", PF, "ether broadcast", lambda: send(lab, "t0", "enP5p1s0f1", *frame))
    assert re.search(r"802\.1Q-QinQ.*vlan 100, p 0, ethertype 802\.1Q \(0x8100\), vlan 10", seen), seen


def test_link_state_disable_enable_and_auto_following_the_pf(lab, library):
    library.set_vf(PF, 0, link_state=LinkState.disable)
    assert not carrier(lab, "t0", "enP5p1s0f1") and not pings(lab, "hosta", VF0, count=1)
    library.set_vf(PF, 0, link_state=LinkState.enable)
    assert carrier(lab, "t0", "enP5p1s0f1")
    library.set_pf_link(PF, "down")
    assert carrier(lab, "t0", "enP5p1s0f1"), "enable keeps the VF up whatever the PF"
    assert not carrier(lab, "t1", "enP5p1s0f2"), "auto follows the PF down"
    library.set_pf_link(PF, "up")
    assert carrier(lab, "t1", "enP5p1s0f2")


def test_unknown_multicast_reaches_a_vf_only_when_trusted(lab, library, nic):
    def multicast(group: str, mac: str):
        return lambda: send(lab, "hosta", PF, "--dst-mac", mac, "--dst-ip", group)

    before = nic.counters()[0]["rx_vport_multicast_packets"]
    untrusted = capture(lab, "t0", "enP5p1s0f1", "udp", multicast("225.0.0.2", "01:00:5e:00:00:02"))
    all_hosts = capture(lab, "t0", "enP5p1s0f1", "udp", multicast("224.0.0.1", "01:00:5e:00:00:01"))
    library.set_vf(PF, 0, trust=True)
    trusted = capture(lab, "t0", "enP5p1s0f1", "udp", multicast("225.0.0.2", "01:00:5e:00:00:02"))
    assert "225.0.0.2" not in untrusted
    assert all_hosts.count("224.0.0.1.5678") == 3
    assert trusted.count("225.0.0.2.5678") == 3
    assert nic.counters()[0]["rx_vport_multicast_packets"] - before >= 9


def test_spoof_check_drops_frames_with_another_source_mac(lab, library):
    vf_mac = json.loads(procs.run(["ip", "-n", ns(lab, "t0"), "-j", "link", "show", "enP5p1s0f1"]).stdout)[0]
    library.set_vf(PF, 0, spoofchk=True)
    assert pings(lab, "t0", VF1)
    procs.run(["ip", "-n", ns(lab, "t0"), "link", "set", "enP5p1s0f1", "address", "02:aa:bb:cc:dd:ee"])
    try:
        assert not pings(lab, "t0", VF1, count=1)
    finally:
        procs.run(["ip", "-n", ns(lab, "t0"), "link", "set", "enP5p1s0f1", "address", vf_mac["address"]])


def test_max_tx_rate_limits_what_a_vf_sends(lab, library):
    library.set_vf(PF, 0, max_tx_rate=20, min_tx_rate=10)
    server = subprocess.Popen(
        ["ip", "netns", "exec", ns(lab, "hosta"), "iperf3", "-s", "-1", "-B", PEER],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening(lab, "hosta", 5201)
        client = procs.run(
            ["iperf3", "-c", PEER, "-u", "-b", "60M", "-t", "3", "-J"], ns=ns(lab, "t0"), check=False, timeout=30
        )
    finally:
        server.wait(timeout=10)
    received = json.loads(client.stdout)["end"]["sum"]["bits_per_second"] * (
        1 - json.loads(client.stdout)["end"]["sum"]["lost_percent"] / 100
    )
    assert 16e6 < received < 23e6, received


def test_bad_input_is_refused_and_changes_nothing(lab, library, nic):
    before = nic.link()
    for settings, message in (
        ({"vf": 2, "vlan": 100}, "VF 2 不存在"),
        ({"vf": 0, "vlan": 4095}, "VLAN 4095 超出范围"),
        ({"vf": 0, "max_tx_rate": 20000}, "超过 hostb:enP5p1s0 的线速 10000 Mbps"),
        ({"vf": 0, "max_tx_rate": -1}, "不能为负"),
    ):
        with pytest.raises((SriovError, InvalidValue), match=message):
            library.set_vf(PF, **settings)
    with pytest.raises(Exception, match="没有网卡 enP9p1s0"):
        library.set_vf("enP9p1s0", 0, vlan=100)
    with pytest.raises(SriovError, match="最多 8 个 VF"):
        library.set_vf_count(PF, 9)
    after = nic.link()
    assert (after.vfs, after.num_vfs, after.mtu, after.up) == (before.vfs, before.num_vfs, before.mtu, before.up)


def test_the_netlink_path_reports_the_kernels_answers_for_a_nic_without_sr_iov(lab):
    """The production backend on a plain veth: real RTM_GETLINK/SETLINK through the relay."""
    real = NetlinkNic(lab.session, "hostb", lab.spec.host("hostb").nic("enP4p1s0"))
    link = real.link()
    assert (link.name, link.num_vfs, link.vfs, link.up) == ("enP4p1s0", 0, [], True)
    with pytest.raises(NetlinkError, match=r"errno 95 \w+（Operation not supported）") as refused:
        real.set_vf(0, VfChange(trust=True))
    assert "ip link set dev enP4p1s0 vf 0 trust on" in str(refused.value)
    with pytest.raises(SriovError, match="读不到 sriov_totalvfs"):
        real.total_vfs()
    real.set_pf_mtu(4000)
    assert real.link().mtu == 4000
    real.set_pf_mtu(1500)
