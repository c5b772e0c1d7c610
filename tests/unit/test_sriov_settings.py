"""VF settings: validation against the NIC (bad input refused, naming the value), the record's
command and ``ip link`` text, restoring changes, and the emulated eswitch's rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from netvirt.embedded import nicemu
from netvirt.labspec import Host, Nic
from netvirt.parsers.net import parse_ip_link_vfs
from netvirt.sriov import (
    LinkState,
    SriovError,
    VfChange,
    VfState,
    apply_change,
    check_change,
    describe_driver,
    format_vf_line,
    ip_link_set_command,
    parse_ethtool_driver,
    restoring_change,
)
from netvirt.validate import InvalidValue

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NIC = Nic("enP5p1s0", "0005:01:00.0", "hosta:enP5p1s0", sriov=True, max_vfs=8, speed_mbps=56000)
FRESH = VfState(vf=0)


def check(vf: int = 0, num_vfs: int = 2, current: VfState = FRESH, **settings) -> VfChange:
    return check_change(NIC, "hostb", num_vfs, vf, VfChange(**settings), current)


# -- refused before anything changes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vf", "num_vfs", "message"),
    [(2, 2, r"VF 2 不存在：hostb:enP5p1s0 只有 2 个 VF（0\.\.1）"), (0, 0, "还没有 VF"), (-1, 2, "不合法")],
)
def test_vf_index_beyond_the_count(vf, num_vfs, message):
    with pytest.raises(SriovError, match=message):
        check(vf=vf, num_vfs=num_vfs, vlan=100)


@pytest.mark.parametrize("vlan", [4095, 5000, -1])
def test_vlan_out_of_range(vlan):
    with pytest.raises(InvalidValue, match=f"VLAN {vlan} 超出范围 0..4094"):
        check(vlan=vlan)


def test_qos_and_protocol():
    with pytest.raises(SriovError, match="qos 8 超出范围 0..7"):
        check(vlan=100, qos=8)
    with pytest.raises(SriovError, match="VLAN 协议 '802.1x' 不支持"):
        check(vlan=100, vlan_protocol="802.1x")
    with pytest.raises(SriovError, match="VLAN 为 0"):
        check(qos=3)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_tx_rate": -1}, "max_tx_rate -1 Mbps 不能为负"),
        ({"min_tx_rate": -5}, "min_tx_rate -5 Mbps 不能为负"),
        ({"max_tx_rate": 60000}, "max_tx_rate 60000 Mbps 超过 hostb:enP5p1s0 的线速 56000 Mbps"),
        ({"max_tx_rate": 30000, "min_tx_rate": 35000}, "min_tx_rate 35000 Mbps 大于 max_tx_rate 30000 Mbps"),
    ],
)
def test_rates(settings, message):
    with pytest.raises(SriovError, match=message):
        check(**settings)


def test_min_rate_is_checked_against_the_max_already_set():
    with pytest.raises(SriovError, match="大于 max_tx_rate 30000"):
        check(current=VfState(vf=0, max_tx_rate=30000), min_tx_rate=35000)


def test_mac():
    with pytest.raises(InvalidValue, match="VF 的 MAC 地址 '00:11:22:33:44' 不合法"):
        check(mac="00:11:22:33:44")
    with pytest.raises(InvalidValue, match="VF 的 MAC 地址 01:00:5e:00:00:01 是组播地址"):
        check(mac="01:00:5e:00:00:01")
    assert check(mac="AA:BB:CC:00:11:22").mac == "aa:bb:cc:00:11:22"


def test_nothing_to_set():
    with pytest.raises(SriovError, match="没有给出要设置的 VF 参数"):
        check()


# -- completed like iproute2 ---------------------------------------------------------------------------


def test_one_rate_keeps_the_other():
    current = VfState(vf=0, max_tx_rate=30000, min_tx_rate=25000)
    change = check(current=current, max_tx_rate=40000)
    assert (change.max_tx_rate, change.min_tx_rate) == (40000, 25000)


def test_qos_keeps_the_vlan():
    change = check(current=VfState(vf=0, vlan=100), qos=5)
    assert (change.vlan, change.qos, change.vlan_protocol) == (100, 5, "802.1Q")


def test_the_records_commands():
    assert ip_link_set_command("enP5p1s0", 0, check(vlan=100)) == "ip link set dev enP5p1s0 vf 0 vlan 100"
    change = check(max_tx_rate=30000, min_tx_rate=25000)
    assert ip_link_set_command("enP4p1s0", 0, change) == (
        "ip link set dev enP4p1s0 vf 0 max_tx_rate 30000 min_tx_rate 25000"
    )
    assert ip_link_set_command("enP5p1s0", 0, check(link_state=LinkState.disable)) == (
        "ip link set dev enP5p1s0 vf 0 state disable"
    )
    assert ip_link_set_command("enP5p1s0", 1, check(vf=1, trust=True)) == "ip link set dev enP5p1s0 vf 1 trust on"
    assert ip_link_set_command("enP5p1s0", 0, check(vlan=100, qos=2, vlan_protocol="802.1ad")) == (
        "ip link set dev enP5p1s0 vf 0 vlan 100 qos 2 proto 802.1ad"
    )


def test_restoring_puts_back_only_what_changed():
    before = VfState(vf=0)
    after = apply_change(before, check(vlan=100, trust=True, max_tx_rate=100))
    back = restoring_change(before, after)
    assert back.items() == {
        "vlan": 0,
        "qos": 0,
        "vlan_protocol": "802.1Q",
        "max_tx_rate": 0,
        "min_tx_rate": 0,
        "trust": False,
    }
    assert apply_change(after, back) == before
    assert restoring_change(before, before).items() == {}


# -- the record's text -----------------------------------------------------------------------------------


def test_vf_lines_read_back_like_the_records():
    header = "10: enP5p1s0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT\n"
    header += "    link/ether ec:0d:9a:89:4a:e6 brd ff:ff:ff:ff:ff:ff\n"
    states = [
        VfState(vf=0, max_tx_rate=30000, min_tx_rate=25000),
        VfState(vf=1, vlan=100, qos=3, vlan_protocol="802.1ad", link_state=LinkState.disable, trust=True),
    ]
    vf0, vf1 = parse_ip_link_vfs(header + "\n".join(format_vf_line(s) for s in states))["vfs"]
    record = parse_ip_link_vfs((FIXTURES / "record/ip-link-vf-5.4.8.2.txt").read_text().split("\n10:")[0])["vfs"][0]
    assert vf0 == record
    assert (vf1["vlan"], vf1["qos"], vf1["vlan_protocol"], vf1["link_state"], vf1["trust"]) == (
        100,
        3,
        "802.1ad",
        "disable",
        True,
    )


def test_driver_info():
    info = parse_ethtool_driver("driver: mlx5_core\nversion: 4.3-3.0.2\nfirmware-version: 12.22.1002 (MT_2150110033)\n")
    assert describe_driver(info) == "mlx5_core 4.3-3.0.2, firmware 12.22.1002 (MT_2150110033)"
    assert describe_driver(parse_ethtool_driver("driver: veth\nversion: 1.0\nfirmware-version: \n")) == "veth 1.0"
    with pytest.raises(ValueError, match="line 1"):
        parse_ethtool_driver("garbage")


# -- the emulated eswitch ----------------------------------------------------------------------------------


def port(vf: int, **kw) -> nicemu.VfPort:
    return nicemu.VfPort(vf=vf, port=f"e11-vf{vf}", mac=f"02:00:00:00:00:0{vf}", **kw)


def rules(*vfs: nicemu.VfPort, uplink: str | None = "e11-up") -> list[str]:
    return nicemu.esw_flows(uplink, "e11-pf", "ec:0d:9a:89:4a:e6", list(vfs))


def rule(flows: list[str], *parts: str) -> str:
    found = [f for f in flows if all(p in f for p in parts)]
    assert len(found) == 1, (parts, found)
    return found[0]


def test_vst_pushes_on_ingress_and_pops_for_the_vf():
    flows = rules(port(0, vlan=100, qos=3, tpid=0x88A8), port(1, vlan=100))
    assert rule(flows, "in_port=e11-vf0").endswith(
        "actions=push_vlan:0x88a8,set_field:4196->vlan_vid,set_field:3->vlan_pcp,goto_table:1"
    )
    assert rule(flows, "dl_dst=02:00:00:00:00:01,dl_vlan=100").endswith("actions=pop_vlan,output:e11-vf1")


def test_vlans_isolate_broadcast():
    flows = rules(port(0, vlan=100), port(1, vlan=101))
    in_100 = rule(flows, "dl_dst=ff:ff:ff:ff:ff:ff,dl_vlan=100")
    assert "e11-vf0" in in_100 and "e11-vf1" not in in_100
    untagged = [f for f in flows if f.startswith("table=1,priority=40,")][0]
    assert "e11-vf0" not in untagged and "e11-vf1" not in untagged


def test_unknown_multicast_only_to_trusted_vfs_but_all_hosts_to_all():
    flows = rules(port(0, trust=True), port(1))
    unknown = rule(flows, "priority=30,", "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00")
    assert "output:e11-vf0" in unknown and "e11-vf1" not in unknown
    all_hosts = rule(flows, "priority=35,", "dl_dst=01:00:5e:00:00:01")
    assert "output:e11-vf0" in all_hosts and "output:e11-vf1" in all_hosts


def test_unknown_unicast_goes_to_the_uplink_or_from_it_to_the_pf():
    flows = rules(port(0))
    assert rule(flows, "priority=10,in_port=e11-up").endswith("actions=output:e11-pf")
    assert rule(flows, "priority=0,").endswith("actions=output:e11-up")
    assert rule(rules(port(0), uplink=None), "priority=0,").endswith("actions=drop")


def test_link_down_spoof_check_and_meter():
    flows = rules(port(0, up=False), port(1, spoofchk=True, meter=2))
    assert rule(flows, "in_port=e11-vf0").endswith("actions=drop")
    assert not [f for f in flows if "output:e11-vf0" in f]
    assert rule(flows, "in_port=e11-vf1,dl_src=02:00:00:00:00:01").endswith("actions=meter:2,goto_table:1")
    assert rule(flows, "priority=80,in_port=e11-vf1").endswith("actions=drop")


def test_meter_burst_is_100ms_of_the_rate():
    assert nicemu.meter_spec(1, 30) == "meter=1,kbps,burst,band=type=drop,rate=30000,burst_size=3000"


def test_counters_from_flow_stats():
    dump = (
        " cookie=0x12, duration=1.0s, table=0, n_packets=20, n_bytes=1280, priority=15,in_port=1 actions=goto_table:1\n"
        " cookie=0x0, duration=1.0s, table=0, n_packets=7, n_bytes=700, priority=80,in_port=3 actions=goto_table:1\n"
    )
    counters = nicemu.parse_counters(dump)
    assert counters["rx_vport_multicast_packets"] == 20 and counters["rx_vport_multicast_bytes"] == 1280
    assert counters["tx_vport_unicast_packets"] == 0


def test_vf_names_and_pci_addresses_like_the_records_ibdev2netdev():
    esw = nicemu.Esw(Host("hostb", "hypervisor", "198.18.0.20", None), NIC, "e11", "nv1-hostb")
    assert [esw.vf_netdev(i) for i in (0, 1)] == ["enP5p1s0f1", "enP5p1s0f2"]
    assert [esw.vf_pci(i) for i in (0, 1, 7)] == ["0005:01:00.1", "0005:01:00.2", "0005:01:01.0"]


def test_a_nic_without_qinq_drops_guest_tagged_frames_on_a_vst_vf():
    flows = rules(port(0, vlan=100, qinq=False), port(1, qinq=False))
    assert rule(flows, "in_port=e11-vf0,vlan_tci=0x1000/0x1000").endswith("actions=drop")
    assert not [f for f in flows if "in_port=e11-vf1,vlan_tci" in f]
