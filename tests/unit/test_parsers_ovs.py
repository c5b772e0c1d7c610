"""Unit tests for netvirt.parsers.ovs, on outputs copied from the test record.

``tests/fixtures/record`` holds outputs from 网络虚拟化用例记录.md (OVS 2.8.4);
``tests/fixtures/generated`` holds outputs captured from OVS 3.1.0 on a development machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netvirt.parsers import ovs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# ---------------------------------------------------------------- ovs-vsctl show


def test_vsctl_show_5_4_1_1_lists_bridge_ports_and_interface_types():
    show = ovs.parse_vsctl_show(fixture("record/ovs-vsctl-show-5.4.1.1.txt"))
    assert show["uuid"] == "f81a1c52-91c1-40a2-b993-6dfeea09317e"
    assert show["ovs_version"] == "2.8.4"
    ports = show["bridges"]["ovsbr0"]["ports"]
    assert list(ports) == ["dpdkvhostuser0", "ovsbr0", "dpdkvhostuser1"]
    assert ports["dpdkvhostuser0"]["interfaces"]["dpdkvhostuser0"] == {"type": "dpdkvhostuser", "options": {}}
    assert ports["ovsbr0"]["interfaces"]["ovsbr0"]["type"] == "internal"


def test_vsctl_show_5_4_2_2_system_port_has_empty_type_and_vhost_options_are_a_map():
    ports = ovs.parse_vsctl_show(fixture("record/ovs-vsctl-show-5.4.2.2.txt"))["bridges"]["ovsbr0"]["ports"]
    assert ports["enP5p1s0"]["interfaces"]["enP5p1s0"] == {"type": "", "options": {}}
    assert ports["dpdkvhostuser1"]["interfaces"]["dpdkvhostuser1"]["options"] == {"n_rxq": "2"}


def test_vsctl_show_dpdk_port_options_keep_the_pci_address():
    for name in ("record/ovs-vsctl-show-5.4.2.2-dpdk.txt", "record/ovs-vsctl-show-5.4.6.1.txt"):
        dpdkp1 = ovs.parse_vsctl_show(fixture(name))["bridges"]["ovsbr0"]["ports"]["dpdkp1"]
        assert dpdkp1["interfaces"]["dpdkp1"] == {
            "type": "dpdk",
            "options": {"dpdk-devargs": "0005:01:00.0", "n_rxq": "2"},
        }


def test_vsctl_show_ovs_3_1_unquoted_names_bridge_attribute_and_no_version():
    show = ovs.parse_vsctl_show(fixture("generated/ovs-vsctl-show-ovs3.1.txt"))
    bridge = show["bridges"]["ovsbr0"]
    assert bridge["datapath_type"] == "netdev"
    assert set(bridge["ports"]) == {"dpdkvhostuser0", "dpdkvhostuser1", "ovsbr0"}
    assert show["ovs_version"] is None


def test_vsctl_show_managers_controllers_tags_lists_and_errors():
    # Composed in the ovs-vsctl show layout to cover records the lab has not printed yet.
    show = ovs.parse_vsctl_show(
        "0b6a7c3e-5d0e-4a8b-9f1e-2c3d4e5f6a7b\n"
        '    Manager "ptcp:6640"\n'
        "        is_connected: true\n"
        "    Bridge br-int\n"
        '        Controller "tcp:127.0.0.1:6653"\n'
        "            is_connected: false\n"
        "        fail_mode: secure\n"
        "        Port dpdk0\n"
        "            tag: 100\n"
        "            trunks: [10, 20]\n"
        "            Interface dpdk0\n"
        "                type: dpdk\n"
        '                error: "could not open network device dpdk0 (No such device)"\n'
        '    ovs_version: "3.1.0"\n'
    )
    assert show["managers"] == {"ptcp:6640": {"is_connected": True}}
    bridge = show["bridges"]["br-int"]
    assert bridge["controllers"]["tcp:127.0.0.1:6653"] == {"is_connected": False}
    assert bridge["fail_mode"] == "secure"
    port = bridge["ports"]["dpdk0"]
    assert port["tag"] == 100
    assert port["trunks"] == [10, 20]
    assert port["interfaces"]["dpdk0"]["error"] == "could not open network device dpdk0 (No such device)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "UUID"),
        ('    Bridge "ovsbr0"\n', "UUID"),
        ('f81a1c52-91c1-40a2-b993-6dfeea09317e\n    Interface "eth0"\n', "cannot appear under a root"),
        ('f81a1c52-91c1-40a2-b993-6dfeea09317e\n    Bridge "br0"\n        ??? what\n', "line 3"),
        ("f81a1c52-91c1-40a2-b993-6dfeea09317e\n    Bridge br0\n        other: {a=b\n", "OVSDB map"),
    ],
)
def test_vsctl_show_rejects_malformed_text(text, message):
    with pytest.raises(ValueError, match=message):
        ovs.parse_vsctl_show(text)


# ---------------------------------------------------------------- dpif/show


def test_dpif_show_5_4_4_vhost_ports_have_two_queues():
    (datapath,) = ovs.parse_dpif_show(fixture("record/dpif-show-5.4.4.txt"))
    assert (datapath["name"], datapath["hit"], datapath["missed"]) == ("netdev@ovs-netdev", 458, 71)
    ports = {port["name"]: port for port in datapath["bridges"]["ovsbr0"]}
    vhost0 = ports["dpdkvhostuser0"]
    assert (vhost0["ofport"], vhost0["dp_port"], vhost0["type"]) == (2, 3, "dpdkvhostuser")
    assert vhost0["config"]["configured_rx_queues"] == 2
    assert vhost0["config"]["mtu"] == 1500
    assert ports["ovsbr0"] == {
        "name": "ovsbr0",
        "ofport": 65534,
        "dp_port": 1,
        "type": "tap",
        "config": {},
        "error": None,
    }


def test_dpif_show_5_4_5_1_second_bridge_has_a_single_queue_port():
    (datapath,) = ovs.parse_dpif_show(fixture("record/dpif-show-5.4.5.1.txt"))
    assert list(datapath["bridges"]) == ["ovsbr0", "ovsbr1"]
    vhost2 = datapath["bridges"]["ovsbr1"][0]
    assert vhost2["name"] == "dpdkvhostuser2"
    assert vhost2["config"]["configured_rx_queues"] == 1


def test_dpif_show_ovs_3_1_two_space_indent():
    (datapath,) = ovs.parse_dpif_show(fixture("generated/dpif-show-ovs3.1.txt"))
    assert [port["name"] for port in datapath["bridges"]["ovsbr0"]] == ["dpdkvhostuser0", "ovsbr0"]


def test_dpif_show_patch_port_without_datapath_port():
    # Lines from the OVS documentation's ovn-k8s troubleshooting example.
    (datapath,) = ovs.parse_dpif_show(
        "system@ovs-system: hit:0 missed:0\n"
        "  breth0:\n"
        "    breth0 65534/100: (dummy-internal)\n"
        "    patch-breth0_ovn-worker-to-br-int 2/none: (patch: peer=patch-br-int-to-breth0_ovn-worker)\n"
    )
    patch = datapath["bridges"]["breth0"][1]
    assert patch["dp_port"] is None
    assert patch["config"] == {"peer": "patch-br-int-to-breth0_ovn-worker"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "at least one datapath"),
        ("netdev@ovs-netdev: hit:1 missed:x\n", "line 1"),
        ("netdev@ovs-netdev: hit:1 missed:2\n    ovsbr0 65534/1: (tap)\n", "line 2"),
        ("netdev@ovs-netdev: hit:1 missed:2\n  br0:\n    p1 1/2: (dpdk: n_rxq)\n", "key=value"),
    ],
)
def test_dpif_show_rejects_malformed_text(text, message):
    with pytest.raises(ValueError, match=message):
        ovs.parse_dpif_show(text)


# ---------------------------------------------------------------- dpctl/show


def test_dpctl_show_5_4_6_1_dpdk_port_has_nine_tx_queues():
    (datapath,) = ovs.parse_dpctl_show(fixture("record/dpctl-show-5.4.6.1.txt"))
    assert datapath["lookups"] == {"hit": 8, "missed": 17, "lost": 4}
    assert datapath["flows"] == 0
    dpdkp1 = datapath["ports"][4]
    assert (dpdkp1["number"], dpdkp1["name"], dpdkp1["type"]) == (4, "dpdkp1", "dpdk")
    assert dpdkp1["config"]["configured_tx_queues"] == 9
    assert dpdkp1["config"]["configured_rx_queues"] == 2
    assert dpdkp1["config"]["lsc_interrupt_mode"] is False
    assert dpdkp1["config"]["rx_csum_offload"] is True
    assert datapath["ports"][0] == {
        "number": 0,
        "name": "ovs-netdev",
        "type": "tap",
        "config": {},
        "error": None,
    }


def test_dpctl_show_ovs_3_1():
    (datapath,) = ovs.parse_dpctl_show(fixture("generated/dpctl-show-ovs3.1.txt"))
    assert [port["name"] for port in datapath["ports"]] == ["ovs-netdev", "ovsbr0", "dpdkvhostuser0"]
    assert datapath["ports"][2]["config"]["mtu"] == 0


def test_dpctl_show_system_ports_masks_and_open_failures():
    # Lines in the formats printed by lib/dpctl.c show_dpif().
    (datapath,) = ovs.parse_dpctl_show(
        "system@ovs-system:\n"
        "  lookups: hit:10 missed:2 lost:0\n"
        "  flows: 3\n"
        "  masks: hit:24 total:2 hit/pkt:2.00\n"
        "  port 1: eth0\n"
        "  port 2: dpdk0 (dpdk: open failed (No such device))\n"
    )
    assert datapath["masks"] == {"hit": 24, "total": 2, "hit/pkt": 2.0}
    assert datapath["ports"][0]["type"] == "system"
    assert datapath["ports"][1]["error"] == "No such device"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "at least one datapath"),
        ("  flows: 0\n", "datapath header"),
        ("netdev@ovs-netdev:\n  port x: ovsbr0 (tap)\n", "line 2"),
    ],
)
def test_dpctl_show_rejects_malformed_text(text, message):
    with pytest.raises(ValueError, match=message):
        ovs.parse_dpctl_show(text)


# ---------------------------------------------------------------- dump-flows


def test_dump_flows_5_4_8_1_default_priority_and_normal_flow():
    flows = ovs.parse_dump_flows(fixture("record/dump-flows-5.4.8.1.txt"))
    assert len(flows) == 3
    first, _, normal = flows
    assert first["match_fields"] == {"in_port": "dpdkvhostuser0"}
    assert first["match"] == "in_port=dpdkvhostuser0"
    assert first["actions"] == "output:dpdkvhostuser1"
    assert first["priority"] == ovs.OFP_DEFAULT_PRIORITY == 32768
    assert first["duration"] == pytest.approx(525.681)
    assert normal["priority"] == 0
    assert normal["match"] == ""
    assert normal["actions"] == "NORMAL"
    assert (normal["n_packets"], normal["n_bytes"]) == (262755553, 364138797710)
    assert normal["duration"] == pytest.approx(64912.051)


def test_dump_flows_ovs_3_1_skips_reply_header_and_keeps_idle_age():
    (flow,) = ovs.parse_dump_flows(fixture("generated/dump-flows-ovs3.1.txt"))
    assert flow["idle_age"] == 191
    assert flow["priority"] == 0


def test_dump_flows_bare_protocol_flags_and_empty_match():
    (ip_flow, catch_all) = ovs.parse_dump_flows(
        " cookie=0x1f, duration=2.5s, table=1, n_packets=4, n_bytes=392, send_flow_rem check_overlap "
        "priority=100,ip,nw_dst=192.168.1.0/24 actions=mod_vlan_vid:100,output:2\n"
        " cookie=0x0, duration=1.0s, table=0, n_packets=0, n_bytes=0, actions=drop\n"
    )
    assert ip_flow["cookie"] == 0x1F
    assert ip_flow["table"] == 1
    assert ip_flow["flags"] == ["send_flow_rem", "check_overlap"]
    assert ip_flow["match_fields"] == {"ip": None, "nw_dst": "192.168.1.0/24"}
    assert ip_flow["actions"] == "mod_vlan_vid:100,output:2"
    assert catch_all["match"] == ""
    assert catch_all["priority"] == 32768


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (" cookie=0x0, duration=1.0s, table=0, n_packets=0, n_bytes=0, priority=0\n", "actions="),
        (" cookie=0x0, duration=1.0s, table=0, n_packets=many, n_bytes=0, actions=drop\n", "n_packets"),
        (" cookie=0x0, duration=soon, table=0, actions=drop\n", "duration"),
    ],
)
def test_dump_flows_rejects_malformed_lines(text, message):
    with pytest.raises(ValueError, match=message):
        ovs.parse_dump_flows(text)


# ---------------------------------------------------------------- OVSDB maps


def test_other_config_5_4_1_2():
    assert ovs.parse_ovsdb_map(fixture("record/other-config-5.4.1.2.txt")) == {
        "dpdk-init": "true",
        "dpdk-socket-mem": "4096",
        "pmd-cpu-mask": "FF00000000",
    }


def test_other_config_ovs_3_1_value_with_spaces_and_bare_map():
    config = ovs.parse_ovsdb_map(fixture("generated/other-config-ovs3.1.txt"))
    assert config["dpdk-extra"] == "--no-huge --legacy-mem -m 1024 --no-pci --file-prefix=nv1"
    assert config["pmd-cpu-mask"] == "0x2"
    assert ovs.parse_ovsdb_map("{}") == {}
    assert ovs.parse_ovsdb_map('{a="x, y", "b c"="\\"q\\""}') == {"a": "x, y", "b c": '"q"'}


@pytest.mark.parametrize(
    "text", ["dpdk-init=true", "other_config : [a, b]", '{dpdk-init="true"', "{novalue}", '{a="x}']
)
def test_ovsdb_map_rejects_malformed_text(text):
    with pytest.raises(ValueError, match="OVSDB map|key=value|unbalanced"):
        ovs.parse_ovsdb_map(text)


# ---------------------------------------------------------------- crash lines


def test_crash_log_from_the_record_has_one_segfault():
    (crash,) = ovs.parse_vswitchd_crashes(fixture("record/ovs-crash-log.txt"))
    assert crash["pid"] == 44572
    assert crash["signal"] == "Segmentation fault"
    assert crash["core_dumped"] is True
    assert crash["crash_count"] == 1
    assert crash["timestamp"] == "2018-09-07T05:20:08.275Z"
    assert crash["exit_status"] is None


def test_crash_lines_without_timestamp_or_core_and_other_monitor_errors():
    crashes = ovs.parse_vswitchd_crashes(
        "ovs-vswitchd: ovs|00003|daemon_unix(monitor)|ERR|"
        "2 crashes: pid 812 died, killed (Aborted), restarting\n"
        "2018-09-07T05:20:09Z|00004|daemon_unix(monitor)|ERR|"
        "fork child died before signaling startup (killed)\n"
        "2018-09-07T05:20:10.000Z|00005|daemon_unix(monitor)|ERR|"
        "3 crashes: pid 813 died, exit status 1, restarting\n"
    )
    assert [(c["pid"], c["signal"], c["exit_status"], c["core_dumped"]) for c in crashes] == [
        (812, "Aborted", None, False),
        (813, None, 1, False),
    ]
    assert crashes[0]["timestamp"] is None
    assert ovs.parse_vswitchd_crashes(fixture("record/ovs-vsctl-show-5.4.1.1.txt")) == []


def test_truncated_crash_line_is_rejected():
    with pytest.raises(ValueError, match="line 1: expected 'N crashes"):
        ovs.parse_vswitchd_crashes("2018-09-07T05:20:08.275Z|00002|daemon_unix(monitor)|ERR|1 crashes: pid 44572 died")


def test_dump_ports_of_a_vhost_user_port_with_and_without_openflow_1_4_custom_statistics():
    """OVS 3.1.0 (Debian 12) on the embedded lab, vm01's dpdkvhostuser0 on ovsbr0: ``ovs-ofctl -O
    OpenFlow10,...,OpenFlow14 dump-ports ovsbr0 dpdkvhostuser0`` before and after 2000 pings from ovsbr0's own
    port while vm01's QEMU was stopped (its virtio ring full), and plain ``dump-ports`` (OpenFlow 1.0) after.
    The vhost-user port reports no standard counter (``?``); OpenFlow 1.4 adds DPDK's custom ones."""
    from netvirt.traffic.receiver import port_tx_drops

    (before,) = ovs.parse_dump_ports(fixture("generated/dump-ports-of14-vhost-ovs3.1-before.txt"))
    (after,) = ovs.parse_dump_ports(fixture("generated/dump-ports-of14-vhost-ovs3.1-after.txt"))
    (of10,) = ovs.parse_dump_ports(fixture("generated/dump-ports-of10-vhost-ovs3.1.txt"))
    assert after["port"] == "1" and set(after["rx"].values()) == {None} and after["tx"]["drop"] is None
    assert before["custom"]["ovs_tx_failure_drops"] == 0 and after["custom"]["ovs_tx_failure_drops"] == 1757
    assert set(after["custom"]) == {
        *("ovs_tx_retries", "ovs_tx_failure_drops", "ovs_tx_mtu_exceeded_drops", "ovs_tx_qos_drops"),
        *("ovs_rx_qos_drops", "ovs_tx_invalid_hwol_drops"),
    }
    assert of10["custom"] == {} and of10["tx"] == {
        "pkts": None,
        "bytes": None,
        "drop": None,
        "errs": None,
        "coll": None,
    }
    assert port_tx_drops(after) == ("ovs_tx_failure_drops", 1757) and port_tx_drops(of10) is None
    # A port that counts its own drops (OVS 2.x vhost-user, a kernel port) is read from its tx line.
    (counted,) = ovs.parse_dump_ports('  port  "eth1": rx pkts=10, bytes=900, drop=0\n           tx pkts=7, drop=3\n')
    assert counted["port"] == "eth1" and port_tx_drops(counted) == ("tx drop", 3)


def test_dump_ports_of_an_ovs_2_8_vhost_user_port_counts_its_own_drops_beside_rfc2819_frame_sizes():
    """The record's OVS 2.8.4 answers ``-O OpenFlow10,...,OpenFlow15`` with OpenFlow 1.4 (its default versions);
    its vhost-user port counts ``tx drop`` itself and adds an ``rx rfc2819`` line (reconstructed fixture, see
    tests/fixtures/versions/README.md): the drop counter is read from the tx line, not mistaken for a second one."""
    from netvirt.traffic.receiver import port_tx_drops

    (port,) = ovs.parse_dump_ports(fixture("versions/ovs/dump-ports-of14-vhost-ovs2.8.4.txt"))
    assert port["port"] == "3" and port["tx"]["drop"] == 1204 and port["tx"]["errs"] is None
    assert port["rfc2819"]["rx"]["65_to_127_packets"] == 401 and len(port["rfc2819"]["rx"]) == 7
    assert port["rfc2819"]["tx"] == {} and port["custom"] == {}
    assert port_tx_drops(port) == ("tx drop", 1204)
    # Both frame-size lines, as a DPDK NIC with extended statistics prints them; the tx one must not replace tx.
    (nic,) = ovs.parse_dump_ports(
        "  port  1: rx pkts=9, bytes=?, drop=0\n           tx pkts=7, drop=2\n"
        "           rx rfc2819 1_to_64_packets=9, broadcast_packets=1, \n"
        "           tx rfc2819 1_to_64_packets=7, multicast_packets=0, \n"
    )
    assert nic["tx"] == {"pkts": 7, "drop": 2} and nic["rfc2819"]["tx"] == {
        "1_to_64_packets": 7,
        "multicast_packets": 0,
    }


def test_dump_ports_that_is_not_names_the_line():
    with pytest.raises(ValueError, match="dump-ports line 1: expected 'port N: rx ...'"):
        ovs.parse_dump_ports("  tx pkts=1\n")
    with pytest.raises(ValueError, match="dump-ports line 2: expected 'name=number' or 'name=\\?', got 'drop=x'"):
        ovs.parse_dump_ports("  port  1: rx pkts=1\n           tx drop=x\n")
    with pytest.raises(ValueError, match="dump-ports line 2: expected a 'tx ...' line"):
        ovs.parse_dump_ports("  port  1: rx pkts=1\nsomething else\n")
