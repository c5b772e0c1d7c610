"""The embedded lab's physical DPDK ports carry jumbo frames (issue 18), on a lab of its own (id ``nvj2``,
bare: OVS, no VMs): dpdkp1 (the record's 0005:01:00.0) is virtio-user into a vhost-user port of the
emulated NIC's switch. Host B's ovsbr0 pings Host A through dpdkp1 at the DF boundary of each MTU, and
``设置接口MTU请求`` fails within seconds, naming the port and ovs-vswitchd's log line, on an MTU the port
cannot take."""

from __future__ import annotations

import json
import os
import re
import shlex
import time

import pytest

import embedded_lab
from netvirt import seam
from netvirt.labspec import load_lab
from netvirt.ovs import Ovs, OvsError, PortType
from netvirt.perf import topology
from netvirt.validate import InvalidValue
from OVSLibrary import OVSLibrary

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the embedded lab needs root")

LAB_ID = "nvj2"
HOST_B_ADDR, HOST_A_ADDR = "198.19.18.2", "198.19.18.1"  # RFC 2544's range, on the lab's own cables


@pytest.fixture(scope="module")
def lab():
    description = embedded_lab.description(LAB_ID)
    description["vms"] = []
    lab = seam.from_spec(load_lab(description), progress=lambda m: None)
    lab.setup()
    seam.use(lab)
    ovs = Ovs(lab.ovsdb_remote)
    try:
        ovs.set_other_config({"dpdk-init": "true", "pmd-cpu-mask": "0x2"})
        ovs.add_bridge("ovsbr0")
        devargs = lab.dpdk_devargs("0005:01:00.0")
        ovs.add_port("ovsbr0", "dpdkp1", PortType.dpdk, {"dpdk-devargs": devargs, "n_rxq": "2"})
        for host, dev, addr in (("hostb", "ovsbr0", HOST_B_ADDR), ("hosta", "enP5p1s0", HOST_A_ADDR)):
            run(lab, host, ["ip", "addr", "add", f"{addr}/24", "dev", dev])
            run(lab, host, ["ip", "link", "set", "dev", dev, "mtu", "9000", "up"])
        yield lab, ovs, devargs
    finally:
        ovs.close()
        seam.use(None)
        lab.teardown()
        assert lab.builder.leftovers() == []


def run(lab, host: str, argv: list[str]):
    result = lab.session(host).run(shlex.join(argv), timeout=60)
    assert result.ok, f"{argv}: {result.stderr}"
    return result


def df_ping(lab, size: int) -> bool:
    """Whether a DF ping of ``size`` payload bytes from Host B's ovsbr0 to Host A is answered (2 of 3 tries)."""
    argv = ["ping", "-n", "-c", "3", "-i", "0.3", "-W", "2", "-M", "do", "-s", str(size), HOST_A_ADDR]
    result = lab.session("hostb").run(shlex.join(argv), timeout=30)
    received = re.search(r"(\d+) received", result.stdout)
    return bool(received) and int(received.group(1)) >= 2


def test_dpdkp1_is_virtio_user_into_the_emulated_nic(lab):
    lab, ovs, devargs = lab
    socket = f"{lab.builder.root}/nic/e11-pfd"
    assert devargs == f"net_virtio_user1,path={socket},queues=2,mrg_rxbuf=1"
    iface = ovs.interface("dpdkp1")
    assert iface["error"] is None and iface["link_state"] == "up"
    # The NIC's switch has the PF's DPDK port beside the kernel netdev's: both in its flows.
    nicemu = lab.builder.nicemu
    assert {"e11-pf", "e11-pfd"} <= set(nicemu.vsctl("list-ports", "e11").split())
    flows = nicemu.ofctl("dump-flows", "--names", "--no-stats", "e11")
    # Unknown unicast from the wire goes to both PF ports.
    assert 'priority=10,in_port="e11-up" actions=output:"e11-pf",output:"e11-pfd"' in flows, flows
    # Host B's netdev stays (a bifurcated PMD), without addresses.
    link = json.loads(run(lab, "hostb", ["ip", "-j", "addr", "show", "dev", "enP5p1s0"]).stdout)[0]
    assert link["addr_info"] == [] and "LOWER_UP" in link["flags"]


def test_jumbo_frames_cross_dpdkp1_at_the_requested_mtu(lab):
    lab, ovs, _ = lab
    ovs.set_mtu_requests(["ovsbr0", "dpdkp1"], 9000)  # one transaction, both watched side by side
    assert ovs.interface("ovsbr0")["mtu"] == 9000 and ovs.interface("dpdkp1")["mtu"] == 9000
    assert df_ping(lab, 56)
    assert df_ping(lab, 8972)
    assert not df_ping(lab, 8973)  # Host B's MTU 9000 refuses it ("message too long")
    # At 4000 OVS is the limit (Host B's side still at 9000): frames up to MTU+18 pass, the next is dropped.
    ovs.set_mtu_request("dpdkp1", 4000)
    drops = ovs.interface("dpdkp1")["statistics"]["ovs_tx_mtu_exceeded_drops"]
    assert df_ping(lab, 3976)
    assert not df_ping(lab, 3977)
    # OVS refreshes the statistics column every few seconds (stats-update-interval, 5 s by default).
    deadline = time.monotonic() + 12
    while ovs.interface("dpdkp1")["statistics"]["ovs_tx_mtu_exceeded_drops"] < drops + 3:
        assert time.monotonic() < deadline, "ovs_tx_mtu_exceeded_drops did not count the dropped frames"
        time.sleep(0.5)
    ovs.set_mtu_request("dpdkp1", 9000)
    assert df_ping(lab, 8972)


def test_mtu_the_port_cannot_take_fails_within_seconds_with_the_log_line(lab):
    lab, ovs, _ = lab
    ovs.set_mtu_request("dpdkp1", 9000)
    library = OVSLibrary()
    try:
        # Above OVS-DPDK's own limit (9702: MTU + 26 bytes of frame within 9728) the keyword refuses at once.
        with pytest.raises(InvalidValue, match=r"接口 dpdkp1 的 mtu_request 9710 超出范围 68\.\.9702（OVS-DPDK"):
            library.set_mtu_request("dpdkp1", 9710)
        start = time.monotonic()
        with pytest.raises(OvsError) as failure:
            library.set_mtu_request("dpdkp1", 9702)  # OVS takes it, the emulated NIC's port (9216) does not
        elapsed = time.monotonic() - start
    finally:
        library.disconnect()
    message = str(failure.value)
    assert elapsed < 15
    # DPDK 22.11's virtio-user takes no MTU above its device's: vswitchd logs "Interface dpdkp1 MTU (9702)
    # setup error: Invalid argument", the port's link goes down or it gets an error, whichever is seen first.
    assert re.search(r"接口 dpdkp1 的 mtu_request=9702 (后链路断开|使端口失效|没有生效)", message), message
    assert "MTU (9702) setup error" in message.split(lab.ovs_log_path, 1)[1]
    # The request is taken back, and the port keeps working at its MTU before.
    assert "已把 dpdkp1 的 mtu_request 恢复为 9000" in message
    assert ovs.interface("dpdkp1")["mtu_request"] == 9000 and ovs.interface("dpdkp1")["mtu"] == 9000
    assert df_ping(lab, 8972)
    # Several at once: when one of them cannot take it, every one gets its request before back.
    bridge_before = ovs.interface("ovsbr0")["mtu_request"]
    library = OVSLibrary()
    try:
        with pytest.raises(OvsError) as failure:
            library.set_mtu_requests(9702, "ovsbr0", "dpdkp1")
    finally:
        library.disconnect()
    problems = str(failure.value).split("ovs-vswitchd 日志")[0]
    assert "接口 dpdkp1 的 mtu_request=9702" in problems and "接口 ovsbr0" not in problems, problems
    assert "已把 dpdkp1 的 mtu_request 恢复为 9000" in problems
    assert ovs.interface("ovsbr0")["mtu_request"] == bridge_before and ovs.interface("dpdkp1")["mtu"] == 9000
    assert df_ping(lab, 8972)


def test_the_7_3_p2p_path_carries_jumbo_frames(lab):
    """7.3's p2p path as perf.resource builds it with the lab's perf_mtu (9000): Host A enP4p1s0 -> dpdkp0 ->
    ovsbr0 -> dpdkp1 -> Host A enP5p1s0 (in a namespace of its own)."""
    lab, ovs, _ = lab
    mtu = lab.spec.params["perf_mtu"]
    assert mtu == 9000 and 9000 in lab.spec.params["perf_frame_sizes"]
    ovs.add_port("ovsbr0", "dpdkp0", PortType.dpdk, {"dpdk-devargs": lab.dpdk_devargs("0004:01:00.0")})
    for port in ("dpdkp0", "dpdkp1"):
        ovs.set_mtu_request(port, mtu)
    topo = topology.build(lab, topology.Scenario.p2p, mtu=mtu)
    try:

        def ping(size: int) -> bool:
            argv = ["ping", "-n", "-c", "3", "-i", "0.3", "-W", "2", "-M", "do", "-s", str(size), topo.rx.address]
            result = lab.session("hosta").run(shlex.join(topo.tx.argv(*argv)), timeout=30)
            received = re.search(r"(\d+) received", result.stdout)
            return bool(received) and int(received.group(1)) >= 2

        assert ping(mtu - 28)  # a 9000-byte IP packet, a 9014-byte frame
        assert not ping(mtu - 27)
    finally:
        assert topology.restore(lab, topo) == []
        ovs.delete_port("dpdkp0")
