"""Unit tests for netvirt.parsers.net, on outputs copied from the test record.

``tests/fixtures/record`` holds outputs from 网络虚拟化用例记录.md; ``tests/fixtures/generated``
holds outputs captured on a development machine inside throwaway network namespaces
(a multi-queue veth pair with mq and htb qdiscs).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netvirt.parsers import net

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# ---------------------------------------------------------------- ip link


def test_ip_link_5_4_8_2_two_pfs_with_rate_limited_vfs():
    enp4, enp5 = net.parse_ip_links(fixture("record/ip-link-vf-5.4.8.2.txt"))
    assert (enp4["index"], enp4["name"], enp4["mac"]) == (9, "enP4p1s0", "ec:0d:9a:89:4c:36")
    assert enp5["name"] == "enP5p1s0"
    for pf in (enp4, enp5):
        vf0, vf1 = pf["vfs"]
        assert (vf0["vf"], vf0["max_tx_rate"], vf0["min_tx_rate"], vf0["tx_rate"]) == (0, 30000, 25000, 30000)
        assert (vf1["vf"], vf1["max_tx_rate"], vf1["min_tx_rate"], vf1["tx_rate"]) == (1, 40000, 35000, 40000)
        assert vf1["vlan"] is None


def test_ip_link_vfs_wants_exactly_one_device():
    with pytest.raises(ValueError, match="exactly one device, got 2"):
        net.parse_ip_link_vfs(fixture("record/ip-link-vf-5.4.8.2.txt"))


def test_ip_link_5_4_2_1_pf_up_with_two_default_vfs():
    pf = net.parse_ip_link_vfs(fixture("record/ip-link-vf-5.4.2.1.txt"))
    assert (pf["name"], pf["mtu"], pf["state"], pf["qdisc"]) == ("enP5p1s0", 1500, "UP", "mq")
    assert pf["flags"] == ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"]
    assert (pf["link_type"], pf["mac"], pf["brd"]) == ("ether", "ec:0d:9a:89:4a:e6", "ff:ff:ff:ff:ff:ff")
    assert pf["attrs"]["qlen"] == "1000"
    assert pf["vfs"][0] == {
        "vf": 0,
        "mac": "00:00:00:00:00:00",
        "vlan": None,
        "qos": None,
        "vlan_protocol": None,
        "tx_rate": None,
        "max_tx_rate": None,
        "min_tx_rate": None,
        "spoofchk": False,
        "link_state": "auto",
        "trust": False,
        "query_rss": False,
        "node_guid": None,
        "port_guid": None,
    }


def test_ip_link_5_4_2_1_pf_down_and_vf_disabled():
    down = net.parse_ip_link_vfs(fixture("record/ip-link-vf-5.4.2.1-pf-down.txt"))
    assert down["state"] == "DOWN"
    assert "UP" not in down["flags"]
    assert [vf["link_state"] for vf in down["vfs"]] == ["auto", "auto"]
    disabled = net.parse_ip_link_vfs(fixture("record/ip-link-vf-5.4.2.1-vf-disable.txt"))
    assert [vf["link_state"] for vf in disabled["vfs"]] == ["disable", "auto"]


def test_ip_link_5_4_5_2_vf_vlans():
    pf = net.parse_ip_link_vfs(fixture("record/ip-link-vf-5.4.5.2.txt"))
    assert "PROMISC" in pf["flags"]
    assert [(vf["vlan"], vf["link_state"]) for vf in pf["vfs"]] == [(100, "enable"), (101, "auto")]


def test_ip_link_vm_side_devices_have_no_vfs():
    vm = net.parse_ip_link_vfs(fixture("record/ip-link-vm-5.4.2.1.txt"))
    assert (vm["index"], vm["name"], vm["state"], vm["vfs"]) == (5, "enp5s0", "UP", [])
    no_carrier = net.parse_ip_link_vfs(fixture("record/ip-link-vm-5.4.2.1-no-carrier.txt"))
    assert no_carrier["flags"][0] == "NO-CARRIER"
    assert no_carrier["state"] == "DOWN"


def test_ip_link_veth_peer_and_trailing_link_attributes():
    veth = net.parse_ip_link_vfs(fixture("generated/ip-link-veth.txt"))
    assert (veth["name"], veth["link"], veth["mtu"]) == ("veth0", "if2", 4000)
    assert veth["attrs"]["link-netns"] == "nvtest-peer"


def test_ip_link_newer_vf_format_altname_and_vlan_qos():
    # The newer iproute2 VF layout (link/ether ... brd ...) and attributes from print_vfinfo().
    pf = net.parse_ip_link_vfs(
        "4: ens1f0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT "
        "group default qlen 1000\n"
        "    link/ether b8:59:9f:aa:bb:cc brd ff:ff:ff:ff:ff:ff\n"
        "    altname enp59s0f0\n"
        "    vf 0     link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff, vlan 100, qos 3, "
        "vlan protocol 802.1ad, spoof checking on, link-state enable, trust on\n"
    )
    assert pf["altnames"] == ["enp59s0f0"]
    vf = pf["vfs"][0]
    assert (vf["mac"], vf["vlan"], vf["qos"], vf["vlan_protocol"]) == ("02:00:00:00:00:01", 100, 3, "802.1ad")
    assert (vf["spoofchk"], vf["trust"], vf["query_rss"]) == (True, True, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("    link/ether ec:0d:9a:89:4a:e6 brd ff:ff:ff:ff:ff:ff\n", "line 1: expected an 'N: name: <FLAGS>"),
        ("10: enP5p1s0: <UP> mtu 1500 state\n", "key value"),
        (
            "10: enP5p1s0: <UP> mtu 1500\n    vf 0 MAC 00:00:00:00:00:00, bandwidth 5\n",
            "unknown VF attribute",
        ),
        ("10: enP5p1s0: <UP> mtu 1500\n    vf 0 00:00:00:00:00:00\n", "line 2: expected 'MAC"),
        ("10: enP5p1s0: <UP> mtu 1500\n    RX: bytes packets\n", "line 2"),
    ],
)
def test_ip_link_rejects_malformed_text(text, message):
    with pytest.raises(ValueError, match=message):
        net.parse_ip_links(text)


# ---------------------------------------------------------------- ibdev2netdev


def test_ibdev2netdev_5_4_2_1_before_and_after_creating_vfs():
    before = net.parse_ibdev2netdev(fixture("record/ibdev2netdev-5.4.2.1.txt"))
    assert before[1] == {
        "pci": "0005:01:00.0",
        "ibdev": "mlx5_1",
        "hca_type": "MT4115",
        "serial": "MT1738K12253",
        "description": "CX413A - ConnectX-4 QSFP28",
        "fw": "12.22.1002",
        "port": 1,
        "port_state": "ACTIVE",
        "netdev": "enP5p1s0",
        "link": "Up",
    }
    after = net.parse_ibdev2netdev(fixture("record/ibdev2netdev-5.4.2.1-vfs.txt"))
    vfs = [port for port in after if port["hca_type"] == "MT4116"]
    assert [(vf["pci"], vf["netdev"], vf["serial"], vf["description"]) for vf in vfs] == [
        ("0005:01:00.1", "enP5p1s0f1", None, ""),
        ("0005:01:00.2", "enP5p1s0f2", None, ""),
    ]


def test_ibdev2netdev_without_verbose_flag():
    (port,) = net.parse_ibdev2netdev("mlx5_0 port 1 ==> enP4p1s0 (Up)\n")
    assert (port["ibdev"], port["port"], port["netdev"], port["link"], port["pci"]) == (
        "mlx5_0",
        1,
        "enP4p1s0",
        "Up",
        None,
    )


def test_ibdev2netdev_rejects_other_text():
    with pytest.raises(ValueError, match="line 2: expected 'ibdev port N ==> netdev"):
        net.parse_ibdev2netdev("mlx5_0 port 1 ==> enP4p1s0 (Up)\nmlx5_1 port one ==> enP5p1s0 (Up)\n")


# ---------------------------------------------------------------- ethtool


def test_ethtool_stats_5_4_9_2_multicast_counters():
    stats = net.parse_ethtool_stats(fixture("record/ethtool-S-5.4.9.2.txt"))
    assert stats["rx_vport_multicast_packets"] == 8981036150
    assert stats["tx_vport_multicast_packets"] == 112483059
    assert stats["rx_vport_rdma_multicast_packets"] == 0


def test_ethtool_stats_with_header_from_veth():
    stats = net.parse_ethtool_stats(fixture("generated/ethtool-S-veth.txt"))
    assert "NIC statistics" not in stats
    assert stats["peer_ifindex"] == 2
    assert stats["tx_queue_1_xdp_xmit_errors"] == 0


def test_ethtool_stats_rejects_non_numeric_counter():
    with pytest.raises(ValueError, match="line 2: expected an integer for counter 'rx_packets'"):
        net.parse_ethtool_stats("NIC statistics:\n     rx_packets: lots\n")


def test_ethtool_channels_5_4_4_two_combined_queues():
    channels = net.parse_ethtool_channels(fixture("record/ethtool-l-5.4.4.txt"))
    assert channels["max"] == {"rx": 0, "tx": 0, "other": 0, "combined": 2}
    assert channels["current"]["combined"] == 2


def test_ethtool_channels_n_a_is_none():
    channels = net.parse_ethtool_channels(fixture("generated/ethtool-l-veth.txt"))
    assert channels["current"] == {"rx": 2, "tx": 2, "other": None, "combined": None}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Channel parameters for eth1:\nRX:\t\t0\n", "line 2: expected 'Pre-set maximums:'"),
        ("Pre-set maximums:\nCombined:\t2\n", "both"),
        ("Pre-set maximums:\nCombined:\ttwo\nCurrent hardware settings:\nCombined:\t2\n", "line 2"),
        ("Pre-set maximums\n", "name: value"),
    ],
)
def test_ethtool_channels_rejects_malformed_text(text, message):
    with pytest.raises(ValueError, match=message):
        net.parse_ethtool_channels(text)


def test_ethtool_features_5_4_8_1_ovs_guest_has_offloads_off():
    ovs_guest = net.parse_ethtool_features(fixture("record/ethtool-k-ovs-5.4.8.1.txt"))
    bridge_guest = net.parse_ethtool_features(fixture("record/ethtool-k-bridge-5.4.8.1.txt"))
    assert len(ovs_guest) == len(bridge_guest) == 52
    assert ovs_guest["generic-segmentation-offload"] == {"on": False, "fixed": False, "requested": True}
    assert ovs_guest["rx-checksumming"] == {"on": True, "fixed": True, "requested": None}
    assert ovs_guest["tx-checksum-ipv4"] == {"on": False, "fixed": True, "requested": None}
    # The record's finding: TSO and checksum offload are on behind a Linux bridge, off behind OVS-DPDK.
    for feature in ("tcp-segmentation-offload", "tx-checksumming", "scatter-gather"):
        assert (ovs_guest[feature]["on"], bridge_guest[feature]["on"]) == (False, True)


def test_ethtool_features_from_veth():
    features = net.parse_ethtool_features(fixture("generated/ethtool-k-veth.txt"))
    assert features["tx-checksum-ip-generic"]["on"] is True


def test_ethtool_features_rejects_unknown_state():
    with pytest.raises(ValueError, match="line 2: expected 'on' or 'off'.*'rx-checksumming'"):
        net.parse_ethtool_features("Features for eth1:\nrx-checksumming: maybe\n")


# ---------------------------------------------------------------- tc


def test_tc_class_5_4_4_both_mq_queues_sent_packets():
    first, second = net.parse_tc_class_stats(fixture("record/tc-class-5.4.4.txt"))
    assert (first["class"], first["kind"], first["parent"]) == (":1", "mq", "root")
    assert (first["sent_bytes"], first["sent_packets"]) == (7706, 79)
    assert (second["class"], second["sent_bytes"], second["sent_packets"]) == (":2", 20222, 183)
    assert (second["dropped"], second["overlimits"], second["requeues"]) == (0, 0, 0)
    assert (second["backlog_bytes"], second["backlog_packets"]) == (0, 0)


def test_tc_class_htb_rates_and_xstats():
    htb = net.parse_tc_class_stats(fixture("generated/tc-class-htb.txt"))
    classes = {entry["class"]: entry for entry in htb}
    assert classes["1:1"]["parent"] == "root"
    assert classes["1:20"]["parent"] == "1:1"
    assert classes["1:20"]["options"] == "prio 0 rate 40Mbit ceil 100Mbit burst 1600b cburst 1600b"
    assert classes["1:20"]["sent_packets"] == 100
    assert classes["1:20"]["extra"] == ["lended: 100 borrowed: 0 giants: 0", "tokens: 4693 ctokens: 1877"]


def test_tc_class_mq_with_leaf():
    classes = net.parse_tc_class_stats(fixture("generated/tc-class-mq.txt"))
    assert [(entry["class"], entry["options"], entry["sent_packets"]) for entry in classes] == [
        ("1:1", "", 7),
        ("1:2", "leaf 8003:", 200),
    ]


def test_tc_qdisc_mq_with_per_queue_children():
    root, *children = net.parse_tc_qdisc_stats(fixture("generated/tc-qdisc-mq.txt"))
    assert (root["kind"], root["handle"], root["parent"], root["sent_packets"]) == ("mq", "1:", "root", 207)
    assert [(child["kind"], child["parent"]) for child in children] == [
        ("pfifo_fast", "1:1"),
        ("pfifo_fast", "1:2"),
    ]
    assert sum(child["sent_packets"] for child in children) == root["sent_packets"]


def test_tc_backlog_in_kb_is_converted_to_bytes():
    # tc prints a backlog of 1 KiB or more rounded, as in "14Kb" (tc_util.c print_size).
    (qdisc,) = net.parse_tc_qdisc_stats(
        "qdisc pfifo_fast 0: parent 1:1 bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1\n"
        " Sent 151400 bytes 100 pkt (dropped 0, overlimits 0 requeues 3)\n"
        " backlog 14Kb 10p requeues 3\n"
    )
    assert (qdisc["backlog_bytes"], qdisc["backlog_packets"], qdisc["extra"]) == (14 * 1024, 10, [])


def test_tc_qdisc_show_for_all_devices_names_the_device():
    lo, veth = net.parse_tc_qdisc_stats(fixture("generated/tc-qdisc-all.txt"))
    assert (lo["dev"], lo["kind"], lo["options"]) == ("lo", "noqueue", "refcnt 2")
    assert (veth["dev"], veth["kind"], veth["sent_bytes"]) == ("veth1", "htb", 9800)


def test_tc_qdisc_mq_with_fq_codel_children():
    # Composed in the iproute2 layout (tc/q_fq_codel.c): this kernel has no fq_codel to capture.
    root, child = net.parse_tc_qdisc_stats(
        "qdisc mq 0: root \n"
        " Sent 1584 bytes 18 pkt (dropped 0, overlimits 0 requeues 0) \n"
        " backlog 0b 0p requeues 0\n"
        "qdisc fq_codel 0: parent :1 limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms "
        "memory_limit 32Mb ecn drop_batch 64 \n"
        " Sent 1584 bytes 18 pkt (dropped 2, overlimits 0 requeues 1) \n"
        " backlog 0b 0p requeues 1\n"
        "  maxpacket 0 drop_overlimit 0 new_flow_count 0 ecn_mark 0\n"
        "  new_flows_len 0 old_flows_len 0\n"
    )
    assert root["parent"] == "root"
    assert (child["kind"], child["parent"], child["dropped"], child["requeues"]) == ("fq_codel", ":1", 2, 1)
    assert child["options"].startswith("limit 10240p flows 1024")
    assert child["extra"] == [
        "maxpacket 0 drop_overlimit 0 new_flow_count 0 ecn_mark 0",
        "new_flows_len 0 old_flows_len 0",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            " Sent 7706 bytes 79 pkt (dropped 0, overlimits 0 requeues 0)\n",
            "line 1: expected a 'class KIND ID",
        ),
        ("class mq :1 root\nSent 7706 bytes 79 pkt\n", "line 2"),
        ("class htb 1:10 parent\n", "expected a value after 'parent'"),
    ],
)
def test_tc_class_rejects_malformed_text(text, message):
    with pytest.raises(ValueError, match=message):
        net.parse_tc_class_stats(text)


def test_tc_qdisc_rejects_class_output():
    with pytest.raises(ValueError, match="line 1: expected a 'qdisc KIND ID"):
        net.parse_tc_qdisc_stats(fixture("record/tc-class-5.4.4.txt"))
