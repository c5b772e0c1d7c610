"""ibdev2netdev as the OFED script prints it beyond the record's all-ACTIVE ports.

Fixtures are in ``tests/fixtures/versions/ibdev2netdev``; its README names the source.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netvirt.parsers import net

VERSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "versions"


def test_ibdev2netdev_verbose_padded_port_state_comes_back_unpadded():
    ports = net.parse_ibdev2netdev((VERSIONS / "ibdev2netdev/verbose-port-down-ofed4.txt").read_text())
    assert [(p["ibdev"], p["port_state"], p["link"]) for p in ports] == [
        ("mlx5_0", "ACTIVE", "Up"),
        ("mlx5_1", "DOWN", "Down"),
        ("mlx5_2", "DOWN", "Down"),
        ("mlx5_3", "INIT", "Up"),
    ]
    assert ports[1]["serial"] == "MT1738K12253" and ports[2]["serial"] is None
    assert ports[1]["description"] == "CX413A - ConnectX-4 QSFP28" and ports[2]["description"] == ""


def test_ibdev2netdev_padded_part_number_is_stripped():
    # printf "%-11s" pads a part number shorter than 11 characters (a line composed in that layout).
    (port,) = net.parse_ibdev2netdev(
        "0000:03:00.0 mlx5_0 (MT4117 - MCX4121A   ) CX4121A - ConnectX-4 LX SFP28 fw 14.20.1010 "
        "port 1 (ACTIVE) ==> ens1f0 (Up)\n"
    )
    assert (port["serial"], port["hca_type"], port["netdev"]) == ("MCX4121A", "MT4117", "ens1f0")


def test_ibdev2netdev_short_form_through_column_t():
    # The record's ports as "ibdev2netdev | column -t" lays them out.
    ports = net.parse_ibdev2netdev("mlx5_0  port  1  ==>  enP4p1s0    (Up)\nmlx5_2  port  1  ==>  enP5p1s0f1  (Down)\n")
    assert [(p["ibdev"], p["port"], p["netdev"], p["link"]) for p in ports] == [
        ("mlx5_0", 1, "enP4p1s0", "Up"),
        ("mlx5_2", 1, "enP5p1s0f1", "Down"),
    ]
    assert ports[0]["port_state"] is None  # only -v prints it


def test_ibdev2netdev_old_style_has_no_link_state():
    (port,) = net.parse_ibdev2netdev("mlx4_0 port 1 <===> eth2\n")
    assert (port["ibdev"], port["port"], port["netdev"], port["link"]) == ("mlx4_0", 1, "eth2", None)


def test_ibdev2netdev_unknown_line_names_the_tool_and_the_line():
    with pytest.raises(ValueError, match="ibdev2netdev line 2: expected 'ibdev port N ==> netdev"):
        net.parse_ibdev2netdev("mlx4_0 port 1 <===> eth2\nmlx4_0 port 1 --> eth2\n")


# ---------------------------------------------------------------- ip link VF lines, iproute2 5.3 on


def test_ip_link_vfs_of_both_iproute2_layouts_read_alike():
    old = net.parse_ip_links((VERSIONS.parent / "record/ip-link-vf-5.4.8.2.txt").read_text())
    new = net.parse_ip_links((VERSIONS / "iproute2/ip-link-vf-5.4.8.2-iproute2-6.1.txt").read_text())
    assert [dev["vfs"] for dev in new] == [dev["vfs"] for dev in old]
    vf1 = new[1]["vfs"][1]
    assert (vf1["tx_rate"], vf1["max_tx_rate"], vf1["min_tx_rate"]) == (40000, 40000, 35000)


def test_ip_link_vf_qinq_protocol_in_the_new_layout():
    pf = net.parse_ip_link_vfs((VERSIONS / "iproute2/ip-link-vf-qinq-iproute2-6.1.txt").read_text())
    assert [(vf["vlan"], vf["qos"], vf["vlan_protocol"]) for vf in pf["vfs"]] == [
        (100, 3, "802.1ad"),
        (101, None, None),
    ]
    assert "PROMISC" in pf["flags"]


def test_ip_link_vf_with_nothing_after_its_address():
    pf = net.parse_ip_link_vfs(
        "6: ens2f0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n"
        "    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n"
        "    vf 0     link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff\n"
        "    vf 1 MAC 00:00:00:00:00:00\n"
    )
    assert [(vf["vf"], vf["mac"], vf["spoofchk"], vf["link_state"]) for vf in pf["vfs"]] == [
        (0, "00:00:00:00:00:00", None, None),
        (1, "00:00:00:00:00:00", None, None),
    ]


def test_ip_link_infiniband_vf_guids():
    # Layout of print_vfinfo() at iproute2 v6.1.0 for an IPoIB PF (20-byte addresses, NODE_GUID/PORT_GUID).
    address = "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00"
    pf = net.parse_ip_link_vfs(
        "7: ibp75s0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 4092 qdisc mq state UP mode DEFAULT group default qlen 256\n"
        "    link/infiniband 00:00:10:29:fe:80:00:00:00:00:00:00:b8:59:9f:03:00:aa:bb:cc "
        "brd 00:ff:ff:ff:ff:12:40:1b:ff:ff:00:00:00:00:00:00:ff:ff:ff:ff\n"
        f"    vf 0     link/infiniband {address} brd 00:ff:ff:ff:ff:12:40:1b:ff:ff:00:00:00:00:00:00:ff:ff:ff:ff, "
        "spoof checking off, NODE_GUID 11:22:33:44:55:66:77:88, PORT_GUID 11:22:33:44:55:66:77:89, "
        "link-state disable, trust off, query_rss off\n"
    )
    (vf,) = pf["vfs"]
    assert (vf["mac"], vf["node_guid"], vf["port_guid"], vf["link_state"]) == (
        address,
        "11:22:33:44:55:66:77:88",
        "11:22:33:44:55:66:77:89",
        "disable",
    )
    assert pf["link_type"] == "infiniband"
