"""OVS library on a real ovsdb-server and ovs-vswitchd (DPDK) of an embedded lab: the record's
configuration steps, and bad input that must fail naming the problem and leave OVSDB as it was."""

import os
import threading
import time

import pytest

import embedded_lab
from netvirt import seam
from netvirt.embedded import procs
from netvirt.labspec import load_lab
from netvirt.ovs import Ovs, OvsError, PortType, VlanMode
from netvirt.validate import InvalidValue
from netvirt.waiting import wait_until
from OVSLibrary import OVSLibrary

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the embedded lab needs root")


@pytest.fixture(scope="module")
def lab():
    lab = seam.from_spec(load_lab(embedded_lab.description("nvto")), progress=lambda m: None)
    lab.setup()
    seam.use(lab)
    try:
        yield lab
    finally:
        seam.use(None)
        lab.teardown()


@pytest.fixture(scope="module")
def ovs(lab):
    """The record's 启动并配置OVS, through OVSDB transactions."""
    ovs = Ovs(lab.ovsdb_remote)
    ovs.set_other_config({"dpdk-init": "true", "pmd-cpu-mask": "0x2"})
    ovs.add_bridge("ovsbr0")
    for port in ("dpdkvhostuser0", "dpdkvhostuser1"):
        ovs.add_port("ovsbr0", port, PortType.dpdkvhostuser)
        ovs.set_interface(port, {"n_rxq": "2"})
    ovs.add_port("ovsbr0", "dpdkp1", PortType.dpdk, {"dpdk-devargs": lab.dpdk_devargs("0005:01:00.0")})
    yield ovs
    ovs.close()


def test_record_configuration_is_what_ovs_vsctl_show_prints(lab, ovs):
    from netvirt.parsers.ovs import parse_vsctl_show

    show = parse_vsctl_show(lab.session("hostb").run(lab.ovs_command("ovs-vsctl", "show")).stdout)
    ports = show["bridges"]["ovsbr0"]["ports"]
    assert ports["dpdkvhostuser0"]["interfaces"]["dpdkvhostuser0"]["type"] == "dpdkvhostuser"
    assert ports["dpdkvhostuser1"]["interfaces"]["dpdkvhostuser1"]["options"] == {"n_rxq": "2"}
    assert ports["dpdkp1"]["interfaces"]["dpdkp1"]["type"] == "dpdk"
    assert ovs.other_config()["dpdk-init"] == "true"
    assert ovs.interface("dpdkp1")["ofport"] > 0


def test_vsctl_rendering_of_each_step(ovs):
    ovs.set_port_vlan("dpdkvhostuser0", VlanMode.dot1q_tunnel, tag=100, cvlans=[0, 10], qinq_ethtype="802.1q")
    assert ovs.last_command == (
        "ovs-vsctl set port dpdkvhostuser0 vlan_mode=dot1q-tunnel tag=100 cvlans=0,10 other-config:qinq-ethtype=802.1q"
    )
    port = ovs.port("dpdkvhostuser0")
    assert (port["vlan_mode"], port["tag"], port["cvlans"]) == ("dot1q-tunnel", 100, [0, 10])
    ovs.clear_port_vlan("dpdkvhostuser0")
    assert ovs.port("dpdkvhostuser0")["vlan_mode"] is None


def test_egress_policer_and_ingress_policing(ovs):
    ovs.set_egress_policer("dpdkp1", 625000000, 2048)
    assert ovs.qos("dpdkp1") == {"type": "egress-policer", "other_config": {"cir": "625000000", "cbs": "2048"}}
    ovs.set_ingress_policing("dpdkp1", 5000000, 500000)
    assert ovs.interface("dpdkp1")["ingress_policing_rate"] == 5000000
    ovs.clear_qos("dpdkp1")
    ovs.set_ingress_policing("dpdkp1", 0, 0)
    assert ovs.qos("dpdkp1") == {} and ovs.snapshot()["qos"] == 0


def test_mtu_request_reaches_the_dpdk_port(ovs):
    ovs.set_mtu_request("dpdkp1", 4000)
    assert ovs.interface("dpdkp1")["mtu"] == 4000
    ovs.set_mtu_request("dpdkp1", 1500)


@pytest.mark.parametrize(
    "operation, message",
    [
        (lambda o: o.add_port("ovsbr9", "p9"), "网桥 ovsbr9 不存在（现有：ovsbr0）"),
        (lambda o: o.delete_port("nosuchport"), "端口 nosuchport 不存在"),
        (lambda o: o.add_bridge("br;rm -rf /"), "不合法"),
        (lambda o: o.add_port("ovsbr0", "p$(reboot)"), "不合法"),
        (lambda o: o.set_port_vlan("dpdkvhostuser1", VlanMode.access, tag=0), "tag 0 超出范围"),
        (lambda o: o.set_port_vlan("dpdkvhostuser1", VlanMode.access, tag=4095), "tag 4095 超出范围"),
        (lambda o: o.set_port_vlan("dpdkvhostuser1", VlanMode.trunk, trunks=[10, 5000]), "5000 超出范围"),
        (lambda o: o.set_port_vlan("dpdkvhostuser1", VlanMode.access), "需要 tag"),
        (lambda o: o.set_mtu_request("dpdkvhostuser1", 100000), "mtu_request 100000 超出范围 68..9702"),
        (lambda o: o.set_mtu_request("dpdkvhostuser1", 9703), "mtu_request 9703 超出范围 68..9702（OVS-DPDK"),
        (lambda o: o.set_interface("dpdkvhostuser1", {"n_rxq": "2; reboot"}), "不允许的字符"),
        (lambda o: o.set_egress_policer("dpdkp1", -1, 2048), "cir=-1"),
        (lambda o: o.add_port("ovsbr0", "dpdkbad", PortType.dpdk, {"dpdk-devargs": "0000:00:00.0"}), "已撤销"),
        (lambda o: o.add_bridge("ovsbr0"), "网桥 ovsbr0 已经存在"),
    ],
)
def test_bad_input_names_the_problem_and_changes_nothing(ovs, operation, message):
    before = ovs.snapshot()
    # A value the rule refuses (netvirt.validate) fails before OVSDB is asked; OVS's own refusals are OvsError.
    with pytest.raises(
        (OvsError, InvalidValue), match=message.replace("(", r"\(").replace(")", r"\)").replace("$", r"\$")
    ):
        operation(ovs)
    assert ovs.snapshot() == before


def test_unknown_port_type_is_refused_by_robot_conversion():
    from robot.api import TypeInfo

    info = TypeInfo.from_type_hint(PortType)
    assert info.convert("dpdkvhostuserclient") is PortType.dpdkvhostuserclient
    with pytest.raises(ValueError, match="type.*vhost.*dpdkvhostuser"):
        info.convert("vhost", "type")


def test_a_long_name_for_a_kernel_backed_port_is_refused(ovs):
    """OVSDB would keep 17 characters while the kernel's netdev is cut to 15 (issue 19)."""
    with pytest.raises(InvalidValue, match="端口名 internalport12345 有 17 个字符.*最多 15 个字符"):
        ovs.add_port("ovsbr0", "internalport12345", PortType.internal)
    assert "internalport12345" not in ovs.ports("ovsbr0")


def test_a_policer_above_the_link_speed_is_refused(lab, ovs):
    """800 Gbit/s on a 10 Gbit/s NIC limits nothing (issue 19): the keyword knows the NIC's speed from the lab
    description where OVS reports no link_speed (this lab's DPDK port)."""
    library = OVSLibrary()
    library.add_dpdk_port("ovsbr0", "dpdkp0", "0004:01:00.0")
    try:
        before = ovs.interface("dpdkp0")
        with pytest.raises(OvsError, match=r"超过端口 dpdkp0 的链路速率 10 Gbit/s"):
            library.set_egress_policer("dpdkp0", 100_000_000_000, 2048)  # 800 Gbit/s
        with pytest.raises(OvsError, match=r"超过端口 dpdkp0 的链路速率 10 Gbit/s"):
            library.set_ingress_policing("dpdkp0", 800_000_000)  # kbps: 800 Gbit/s
        assert ovs.qos("dpdkp0") == {}
        assert ovs.interface("dpdkp0")["ingress_policing_rate"] == before["ingress_policing_rate"]
        library.set_egress_policer("dpdkp0", 625_000_000, 2048)  # the record's 5 Gbit/s is below it
        assert ovs.qos("dpdkp0")["type"] == "egress-policer"
    finally:
        library.delete_port("dpdkp0")


def test_a_vswitchd_that_keeps_answering_passes_its_observation_window(lab, ovs):
    library = OVSLibrary()
    start = time.monotonic()
    library.vswitchd_should_keep_running(library.vswitchd_pid(), 1)
    assert time.monotonic() - start >= 1


def test_a_vswitchd_restarted_in_the_window_fails_at_once_with_its_new_pid(lab, ovs):
    """The crash regression case's check: a new process (as the monitor's restart after a crash) ends the
    window early and the message names the old and the new pid."""
    library = OVSLibrary()
    pid = library.vswitchd_pid()
    restart = threading.Timer(0.5, lab.restart_vswitchd)
    restart.start()
    start = time.monotonic()
    try:
        with pytest.raises(AssertionError, match=rf"ovs-vswitchd（pid {pid}）在观察期的第 [\d.]+ 秒不再应答") as failed:
            library.vswitchd_should_keep_running(pid, 60)
    finally:
        restart.join()
    assert time.monotonic() - start < 30
    wait_until(lambda: library.vswitchd_pid() != pid, timeout=30, retry_on=(OvsError,), what="新的 ovs-vswitchd")
    assert "现在 pidfile 中的进程号" in str(failed.value)
    library.disconnect()


@pytest.mark.parametrize(
    ("pid", "seconds", "message"),
    [("abc", 1, "ovs-vswitchd 进程号 'abc' 不是整数"), (0, 1, "超出范围"), (1, 0, "观察期 0 秒不在 0.5..600 之间")],
)
def test_bad_observation_window_input_names_the_problem(lab, pid, seconds, message):
    with pytest.raises(ValueError, match=message):
        OVSLibrary().vswitchd_should_keep_running(pid, seconds)


def test_the_vswitchd_log_lines_of_a_port_are_logged(lab, ovs):
    library = OVSLibrary()
    found = library.log_port_lines("dpdkvhostuser0", 5)
    assert 0 < len(found) <= 5 and all("dpdkvhostuser0" in line for line in found), found
    assert library.log_port_lines("nosuchport") == []
    with pytest.raises(InvalidValue, match="端口"):
        library.log_port_lines("x; reboot")
    with pytest.raises(InvalidValue, match="行数 0 超出范围 1..1000"):
        library.log_port_lines("dpdkvhostuser0", 0)


def test_keyword_refuses_to_change_ovsdb_when_vswitchd_is_down(lab, ovs):
    library = OVSLibrary()
    pidfile = lab.builder.root / "pids" / "ovs-vswitchd.pid"
    before = ovs.snapshot()
    procs.stop_pid(procs.read_pid(pidfile), str(lab.builder.root))
    with pytest.raises(OvsError, match="ovs-vswitchd 没有运行"):
        library.add_bridge("ovsbr1")
    assert ovs.snapshot() == before
    library.disconnect()
