"""5.4.1.2 (NUMA locality of PMD threads) and 5.4.4 (queue counts): the judging logic on real outputs.

Sources of the fixtures:
- ``record/``: 网络虚拟化用例记录.md, OVS 2.8.4 on the record's single-socket ARM servers (other_config of
  5.4.1.2, the ovs-vswitchd log of the crash case with its ``vHost Device ... numa node 0`` line,
  dpif/show of 5.4.4);
- ``upstream/``: expected outputs of OVS's own test suite at release tags (see upstream/SOURCES.md);
- ``generated/*-ovs3.1*``: captured from the embedded lab (lab id nvh1, OVS 3.1.0 / DPDK 22.11, one
  NUMA node) after 测试前准备 and 添加业务物理口: pmd-rxq-show, ``ovs-vsctl --columns=name,type,status
  list Interface``, and the ``numa`` lines of its ovs-vswitchd.log.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netvirt.ovs import (
    PortNuma,
    judge_pmd_numa,
    parse_node_list,
    parse_socket_mem,
    port_numa,
    queue_counts,
)
from netvirt.parsers.ovs import parse_dpif_show, parse_ovsdb_map, parse_pmd_rxq_show, parse_vhost_numa_log

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def interface_records(text: str) -> dict[str, dict]:
    """``ovs-vsctl --columns=name,type,status list Interface`` -> {name: {type, status}}."""
    records = {}
    for block in text.strip().split("\n\n"):
        fields = {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in block.splitlines())}
        records[fields["name"]] = {"type": fields["type"], "status": parse_ovsdb_map(fields["status"])}
    return records


def lab_ports() -> dict[str, PortNuma]:
    """The PMD-polled ports of the embedded lab, their nodes as OVS 3.1 reports them."""
    records = interface_records(fixture("generated/interface-status-ovs3.1.txt"))
    return {
        name: port_numa(name, rec["type"], rec["status"])
        for name, rec in records.items()
        if rec["type"] in ("dpdk", "dpdkvhostuser")
    }


# ------------------------------------------------------------------ parsing the sources


def test_record_log_gives_the_vhost_socket_node():
    assert parse_vhost_numa_log(fixture("record/ovs-crash-log.txt")) == {
        "/usr/local/var/run/openvswitch/dpdkvhostuser0": 0
    }


def test_lab_log_gives_both_vhost_sockets_on_node_0():
    nodes = parse_vhost_numa_log(fixture("generated/ovs-vswitchd-numa-ovs3.1.log"))
    assert nodes == {
        "/var/lib/netvirt-robot/nvh1/ovs/dpdkvhostuser0": 0,
        "/var/lib/netvirt-robot/nvh1/ovs/dpdkvhostuser1": 0,
    }


def test_record_socket_mem_is_4096_mb_on_node_0():
    config = parse_ovsdb_map(fixture("record/other-config-5.4.1.2.txt"))
    assert parse_socket_mem(config["dpdk-socket-mem"]) == {0: 4096}


@pytest.mark.parametrize(
    "text, nodes",
    [("0\n", [0]), ("0-1", [0, 1]), ("0-1,3", [0, 1, 3]), ("2", [2])],
)
def test_node_list(text, nodes):
    assert parse_node_list(text) == nodes


@pytest.mark.parametrize("bad", ["", "0-", "a", "1024 1024"])
def test_bad_node_list_and_socket_mem_are_refused(bad):
    with pytest.raises(ValueError, match="无法解析"):
        parse_node_list(bad)
    with pytest.raises(ValueError, match="dpdk-socket-mem"):
        parse_socket_mem(bad)


@pytest.mark.parametrize(
    "name, queues",
    [
        ("upstream/pmd-rxq-show-ovs2.8.4-pmd.at.txt", list(range(8))),
        ("upstream/pmd-rxq-show-ovs2.9.0-pmd.at.txt", list(range(8))),
        ("upstream/pmd-rxq-show-ovs2.11.0-pmd.at.txt", [0]),
    ],
)
def test_pmd_rxq_show_of_old_releases_lists_every_queue(name, queues):
    (pmd,) = parse_pmd_rxq_show(fixture(name))
    assert (pmd["numa_id"], pmd["isolated"]) == (0, False)
    assert [(q["port"], q["queue_id"]) for q in pmd["queues"]] == [("p0", q) for q in queues]


# ------------------------------------------------------------------ where a port's node comes from


def test_port_node_from_ovs_3_1_status():
    ports = lab_ports()
    assert ports["dpdkp1"].numa == 0 and "status:numa_id" in ports["dpdkp1"].source
    assert ports["dpdkvhostuser0"].numa == 0 and "status:numa " in ports["dpdkvhostuser0"].source


def test_pci_nic_node_from_sysfs_wins_and_minus_one_means_no_information():
    path = "/sys/bus/pci/devices/0005:01:00.0/numa_node"
    assert port_numa("dpdkp1", "dpdk", {"numa_id": "0"}, sysfs=(path, "1\n")).numa == 1
    fallback = port_numa("dpdkp1", "dpdk", {"numa_id": "0"}, sysfs=(path, "-1\n"))
    assert fallback.numa == 0 and "无 NUMA 信息" in fallback.source and "status:numa_id" in fallback.source
    unknown = port_numa("dpdkp1", "dpdk", {"numa_id": "-1"}, sysfs=(path, "-1\n"))
    assert unknown.numa is None


def test_ovs_2_8_vhost_port_node_from_the_log():
    # OVS 2.8.4 has no status for vhost-user ports (netdev_dpdk_vhost_user_get_status came in 2.9).
    logged = parse_vhost_numa_log(fixture("record/ovs-crash-log.txt"))
    socket = "/usr/local/var/run/openvswitch/dpdkvhostuser0"
    found = port_numa("dpdkvhostuser0", "dpdkvhostuser", {}, logged=logged, socket=socket)
    assert found.numa == 0 and "ovs-vswitchd.log" in found.source
    missing = port_numa("dpdkvhostuser1", "dpdkvhostuser", {}, logged=logged, socket=socket.replace("0", "1"))
    assert missing.numa is None and "dpdkvhostuser1" in missing.source


def test_disconnected_vhost_port_has_no_node():
    # What lib/netdev-dpdk.c (2.9 to 3.7) reports for a vhost-user port without a guest.
    found = port_numa("dpdkvhostuser0", "dpdkvhostuser", {"mode": "server", "status": "disconnected"})
    assert found.numa is None and "disconnected" in found.source


# ------------------------------------------------------------------ judging


def test_embedded_lab_single_node_passes_and_says_so():
    pmds = parse_pmd_rxq_show(fixture("generated/pmd-rxq-show-ovs3.1.txt"))
    verdict = judge_pmd_numa(pmds, lab_ports(), parse_node_list("0\n"))
    assert verdict.failures == [] and verdict.unchecked == []
    assert len(verdict.rows) == 5 and {row[-1] for row in verdict.rows} == {"PASS"}
    assert verdict.single_node
    summary = verdict.summary()
    assert summary.startswith("PMD 与端口在同一 NUMA 节点")
    assert "只有一个 NUMA 节点" in summary and "dpdk-socket-mem 未设置" in summary
    assert "dpdkp1 ← OVSDB Interface status:numa_id = 0" in summary  # the af_packet vdev: OVS's own view


def test_port_on_another_node_than_its_pmd_fails_naming_port_and_nodes():
    pmds = parse_pmd_rxq_show(fixture("generated/pmd-rxq-show-ovs3.1.txt"))
    ports = lab_ports() | {"dpdkvhostuser1": PortNuma("dpdkvhostuser1", "dpdkvhostuser", 1, "status:numa = 1")}
    verdict = judge_pmd_numa(pmds, ports, [0, 1])
    assert verdict.failures == [
        "端口 dpdkvhostuser1 在 NUMA 节点 1，其接收队列 0 却由 NUMA 节点 0 上的 PMD（core 1）轮询",
        "端口 dpdkvhostuser1 在 NUMA 节点 1，其接收队列 1 却由 NUMA 节点 0 上的 PMD（core 1）轮询",
    ]
    assert verdict.summary().startswith("NUMA 不一致：端口 dpdkvhostuser1 在 NUMA 节点 1")


def test_ovs_3_3_dual_numa_port_on_node_1_polled_on_node_1():
    pmds = parse_pmd_rxq_show(fixture("upstream/pmd-rxq-show-ovs3.3.0-dual-numa-pmd.at.txt"))
    (datapath,) = parse_dpif_show(fixture("upstream/dpif-show-ovs3.3.0-dummy-numa1-pmd.at.txt"))
    p0 = next(p for p in datapath["bridges"]["br0"] if p["name"] == "p0")
    ports = {"p0": PortNuma("p0", p0["type"], p0["config"]["numa_id"], "dpif/show numa_id")}
    ok = judge_pmd_numa(pmds, ports, [0, 1], parse_socket_mem("1024,1024"), "1024,1024")
    assert ok.failures == [] and not ok.single_node and len(ok.rows) == 8
    # The same output judged for a port on node 0 (the cross-NUMA case the test then forces): 8 failures.
    wrong = judge_pmd_numa(pmds, {"p0": PortNuma("p0", "dummy-pmd", 0, "given")}, [0, 1])
    assert len(wrong.failures) == 8 and "由 NUMA 节点 1 上的 PMD（core 1）轮询" in wrong.failures[0]


def test_socket_mem_must_give_memory_to_the_node_of_the_pmds():
    pmds = parse_pmd_rxq_show(fixture("upstream/pmd-rxq-show-ovs3.3.0-dual-numa-pmd.at.txt"))
    ports = {"p0": PortNuma("p0", "dummy-pmd", 1, "given")}
    verdict = judge_pmd_numa(pmds, ports, [0, 1], parse_socket_mem("4096"), "4096")
    assert verdict.failures == ["NUMA 节点 1 上有 PMD 或端口，但 dpdk-socket-mem=4096 没有给该节点分配内存"]


def test_record_lab_single_socket_with_4096_mb_passes():
    # The record's lab: 1 NUMA node (its log: "Discovered 1 NUMA nodes and 46 CPU cores"), OVS 2.8.4,
    # dpdk-socket-mem=4096; the queue lines in 2.8.4's format, the vhost node from its log.
    assert "Discovered 1 NUMA nodes" in fixture("record/ovs-crash-log.txt")
    pmds = parse_pmd_rxq_show(
        "pmd thread numa_id 0 core_id 32:\n\tisolated : false\n\tport: dpdkvhostuser0\tqueue-id: 0 1\n"
    )
    logged = parse_vhost_numa_log(fixture("record/ovs-crash-log.txt"))
    socket = "/usr/local/var/run/openvswitch/dpdkvhostuser0"
    ports = {"dpdkvhostuser0": port_numa("dpdkvhostuser0", "dpdkvhostuser", {}, logged=logged, socket=socket)}
    verdict = judge_pmd_numa(pmds, ports, [0], parse_socket_mem("4096"), "4096")
    assert verdict.failures == [] and len(verdict.rows) == 2
    assert "dpdk-socket-mem=4096（节点 0: 4096 MB）" in verdict.summary()


def test_unpolled_port_fails_and_unknown_node_on_two_nodes_is_unchecked():
    pmds = parse_pmd_rxq_show(fixture("generated/pmd-rxq-show-ovs3.1.txt"))
    ports = lab_ports() | {"dpdkvhostuser2": PortNuma("dpdkvhostuser2", "dpdkvhostuser", 0, "status:numa = 0")}
    verdict = judge_pmd_numa(pmds, ports, [0])
    assert verdict.failures == [
        "端口 dpdkvhostuser2（NUMA 节点 0）的接收队列没有任何 PMD 轮询（该节点上没有可用的 PMD？见 pmd-cpu-mask）"
    ]
    unknown = lab_ports() | {"dpdkp1": PortNuma("dpdkp1", "dpdk", None, "status:numa_id = -1（无 NUMA 信息）")}
    two = judge_pmd_numa(pmds, unknown, [0, 1])
    assert two.failures == [] and two.unchecked == [
        "端口 dpdkp1 的 NUMA 节点未知（status:numa_id = -1（无 NUMA 信息））"
    ]
    one = judge_pmd_numa(pmds, unknown, [0])
    assert one.unchecked == [] and one.rows[0][2] == 0 and one.rows[0][3].startswith("单 NUMA 节点 0")


def test_pmd_on_a_node_the_host_does_not_have_fails():
    pmds = parse_pmd_rxq_show(fixture("upstream/pmd-rxq-show-ovs3.3.0-dual-numa-pmd.at.txt"))
    verdict = judge_pmd_numa(pmds, {"p0": PortNuma("p0", "dummy-pmd", 1, "given")}, [0])
    assert verdict.failures == [
        "PMD（core 1）报告 NUMA 节点 1，而 Hypervisor 的 NUMA 节点只有 0",
        "端口 p0 报告 NUMA 节点 1（given），而 Hypervisor 的 NUMA 节点只有 0",
    ]


# ------------------------------------------------------------------ 5.4.4 queue counts


def test_queue_counts_from_the_record_dpif_show():
    (datapath,) = parse_dpif_show(fixture("record/dpif-show-5.4.4.txt"))
    port = next(p for p in datapath["bridges"]["ovsbr0"] if p["name"] == "dpdkvhostuser0")
    assert queue_counts({}, port["config"]) == (2, 2, "ovs-appctl dpif/show configured_rx_queues/configured_tx_queues")


def test_queue_counts_prefer_status_of_ovs_3_3():
    # lib/netdev-dpdk.c of v3.3.0, netdev_dpdk_vhost_user_get_status: n_rxq/n_txq after the vrings;
    # dpif/show there prints no configured_rx_queues for vhost-user ports.
    status = {"mode": "server", "status": "connected", "numa": "0", "n_rxq": "2", "n_txq": "2"}
    assert queue_counts(status, {}) == (2, 2, "OVSDB Interface status n_rxq/n_txq")


def test_queue_counts_of_ovs_3_1_fall_back_to_dpif_show():
    # OVS 3.1's vhost-user status has numa but no n_rxq: the count comes from dpif/show.
    status = interface_records(fixture("generated/interface-status-ovs3.1.txt"))["dpdkvhostuser0"]["status"]
    (datapath,) = parse_dpif_show(fixture("generated/dpif-show-vhost-ovs3.1.txt"))
    config = {p["name"]: p["config"] for p in datapath["bridges"]["ovsbr0"]}
    assert queue_counts(status, config["dpdkvhostuser0"])[:2] == (2, 2)
    # dpdkp1 asked for 2 queues, the af_packet PMD gives 1: the configured count is read, not the request.
    assert queue_counts({}, config["dpdkp1"])[:2] == (1, 1)
    assert queue_counts(status, {}) == (None, None, "OVSDB status 没有 n_rxq，dpif/show 没有 configured_rx_queues")
