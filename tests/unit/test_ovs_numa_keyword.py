"""The 5.4.1.2 keyword end to end on a fake hypervisor that answers as the record's lab would.

The record's lab (网络虚拟化用例记录.md): OVS 2.8.4 built from source, one NUMA node (its log: "Discovered
1 NUMA nodes and 46 CPU cores"), dpdk-socket-mem=4096, vhost-user ports whose node only the log tells
(OVS 2.8 has no status column for them). The outputs are the record's (log, other_config) and OVS 2.8.4's
pmd-rxq-show format (tests/fixtures/upstream/SOURCES.md); the two-node variant changes only the sysfs
answers, to show the FAIL message.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from robot.api import SkipExecution

from netvirt import seam
from netvirt.ssh import CommandResult
from OVSLibrary import OVSLibrary

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PMD_RXQ_SHOW_2_8 = (
    "pmd thread numa_id 0 core_id 32:\n\tisolated : false\n\tport: dpdkp1\tqueue-id: 0\n"
    "\tport: dpdkvhostuser0\tqueue-id: 0 1\n"
    "pmd thread numa_id 0 core_id 33:\n\tisolated : false\n\tport: dpdkp1\tqueue-id: 1\n"
    "\tport: dpdkvhostuser1\tqueue-id: 0 1\n"
)
LOG = "/usr/local/var/log/openvswitch/ovs-vswitchd.log"


class Hypervisor:
    def __init__(self, answers: dict[str, str]):
        self.answers = answers

    def run(self, command: str, timeout: float = 60) -> CommandResult:
        for key, out in self.answers.items():
            if key in command:
                return CommandResult("hostb", command, 0, out, "", 0.01)
        return CommandResult("hostb", command, 1, "", "No such file or directory", 0.01)


class RecordOvs:
    remote = "tcp:hostb:6640"

    def other_config(self):
        return {"dpdk-init": "true", "dpdk-socket-mem": "4096", "pmd-cpu-mask": "FF00000000"}

    def interfaces_of_type(self, *types):
        return ["dpdkp1", "dpdkvhostuser0", "dpdkvhostuser1"]

    def interface(self, name):
        if name == "dpdkp1":
            return {"type": "dpdk", "options": {"dpdk-devargs": "0005:01:00.0", "n_rxq": "2"}}
        return {"type": "dpdkvhostuser", "options": {"n_rxq": "2"}}

    def interface_status(self, name):
        # OVS 2.8.4: dpdk ports report numa_id (rte_eth_dev_socket_id); vhost-user ports nothing.
        return {"numa_id": "0", "driver_name": "net_mlx5"} if name == "dpdkp1" else {}


def record_log() -> str:
    # The record's log names dpdkvhostuser0; a second line in the same format for dpdkvhostuser1.
    text = (FIXTURES / "record/ovs-crash-log.txt").read_text()
    return text + text.replace("dpdkvhostuser0", "dpdkvhostuser1")


@pytest.fixture
def library():
    def use(answers):
        spec = SimpleNamespace(hypervisor="hostb", params={})
        hv = Hypervisor(answers)
        lab = SimpleNamespace(
            spec=spec,
            ovsdb_remote=RecordOvs.remote,
            ovs_log_path=LOG,
            session=lambda host: hv,
            ovs_command=lambda *argv: " ".join(argv),
            vhost_socket_path=lambda name: f"/usr/local/var/run/openvswitch/{name}",
        )
        seam.use(lab)
        lib = OVSLibrary()
        lib._ovs = RecordOvs()
        return lib

    yield use
    seam.use(None)


def test_record_lab_passes_and_says_it_has_one_node(library):
    lib = library(
        {
            "pmd-rxq-show": PMD_RXQ_SHOW_2_8,
            "node/online": "0\n",
            "0005:01:00.0/numa_node": "-1\n",  # the record's ARM server gives no NUMA information
            "tail": record_log(),
        }
    )
    summary = lib.pmd_numa_should_match()
    assert summary.startswith("PMD 与端口在同一 NUMA 节点。已检查 6 个接收队列")
    assert "dpdk-socket-mem=4096（节点 0: 4096 MB）" in summary and "只有一个 NUMA 节点（node 0）" in summary
    assert (
        "dpdkp1 ← /sys/bus/pci/devices/0005:01:00.0/numa_node = -1（无 NUMA 信息）；OVSDB Interface status:numa_id = 0"
        in summary
    )
    assert "dpdkvhostuser1 ← 单 NUMA 节点 0" not in summary and "dpdkvhostuser1 ← ovs-vswitchd.log" in summary


def test_nic_on_node_1_polled_on_node_0_fails_naming_both(library):
    lib = library(
        {
            "pmd-rxq-show": PMD_RXQ_SHOW_2_8,
            "node/online": "0-1\n",
            "0005:01:00.0/numa_node": "1\n",
            "tail": record_log(),
        }
    )
    with pytest.raises(AssertionError) as failed:
        lib.pmd_numa_should_match()
    message = str(failed.value)
    assert message.startswith(
        "NUMA 不一致：端口 dpdkp1 在 NUMA 节点 1，其接收队列 0 却由 NUMA 节点 0 上的 PMD（core 32）轮询"
    )
    assert "NUMA 节点 1 上有 PMD 或端口，但 dpdk-socket-mem=4096 没有给该节点分配内存" in message


def test_two_nodes_and_no_log_skips_for_the_vhost_ports(library):
    lib = library({"pmd-rxq-show": PMD_RXQ_SHOW_2_8, "node/online": "0-1\n", "0005:01:00.0/numa_node": "0\n"})
    with pytest.raises(SkipExecution) as skipped:
        lib.pmd_numa_should_match()
    assert "无法判断：端口 dpdkvhostuser0 的 NUMA 节点未知" in str(skipped.value)
    assert f"读不到 ovs-vswitchd 日志 {LOG}" in str(skipped.value)
