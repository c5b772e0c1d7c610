"""Which chapter 7.3 paths a lab description allows, and the sriov path's required VF names."""

from __future__ import annotations

import copy

import pytest

import embedded_lab
from netvirt.labspec import load_lab
from netvirt.perf import topology


class _Described:
    """Only what ``unavailable_reason`` and ``build``'s checks read: the lab description."""

    def __init__(self, description: dict):
        self.spec = load_lab(description)


@pytest.fixture
def description():
    return embedded_lab.description("nvut")


@pytest.mark.parametrize("scenario", list(topology.Scenario))
def test_the_embedded_lab_allows_every_scenario(description, scenario):
    assert topology.unavailable_reason(_Described(description), scenario) == ""


def test_sriov_needs_two_sriov_nics_on_host_b(description):
    changed = copy.deepcopy(description)
    hostb = next(h for h in changed["hosts"] if h["name"] == "hostb")
    hostb["nics"][1].update(sriov=False, max_vfs=0)
    reason = topology.unavailable_reason(_Described(changed), topology.Scenario.sriov)
    assert "Host B 需要两个支持 SR-IOV 的网卡" in reason and "enP5p1s0" in reason
    assert topology.unavailable_reason(_Described(changed), topology.Scenario.p2p) == ""


def test_sriov_vm2vm_needs_two_vfs_on_host_bs_second_nic(description):
    changed = copy.deepcopy(description)
    hostb = next(h for h in changed["hosts"] if h["name"] == "hostb")
    hostb["nics"][1]["max_vfs"] = 1
    reason = topology.unavailable_reason(_Described(changed), topology.Scenario.sriov_vm2vm)
    assert "至少 2 个 VF" in reason
    assert topology.unavailable_reason(_Described(changed), topology.Scenario.sriov) == ""


def test_vm_scenarios_need_their_vms(description):
    changed = copy.deepcopy(description)
    changed["vms"] = [vm for vm in changed["vms"] if vm["name"] != "vm01"]
    for scenario in set(topology.Scenario) - {topology.Scenario.p2p, topology.Scenario.baseline}:
        assert "没有虚拟机 vm01" in topology.unavailable_reason(_Described(changed), scenario)


def test_record_lab_allows_sriov(record):
    assert topology.unavailable_reason(type("Lab", (), {"spec": record})(), topology.Scenario.sriov) == ""


@pytest.mark.parametrize("names", [None, [], ["enp4s0"]])
@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (topology.Scenario.sriov, "sriov 场景需要VM01 中两个 VF 网卡的名字"),
        (topology.Scenario.sriov_vm2vm, "sriov_vm2vm 场景需要VM01 与 VM02 中各自 VF 网卡的名字"),
    ],
)
def test_sriov_build_without_both_vf_names_is_refused_before_anything_runs(description, names, scenario, message):
    with pytest.raises(ValueError, match=message):
        topology.build(_Described(description), scenario, vm_interfaces=names)
