"""查看流表 on an OVS without ``ovs-ofctl --names`` (before 2.8): read without it, ports named from OVSDB.

The OVS 2.7 dump is the record's 5.4.8.1 flows as OVS 2.7 prints them (tests/fixtures/versions/README.md);
the refusal is getopt's, as ``ovs-ofctl`` at v2.7.0 has no ``names`` option.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from netvirt import seam
from netvirt.ovs import OvsError
from netvirt.parsers.ovs import name_flow_ports, parse_dump_flows
from netvirt.ssh import CommandResult
from OVSLibrary import OVSLibrary

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OVS_2_7_FLOWS = (FIXTURES / "versions/ovs/dump-flows-ovs2.7-from-record.txt").read_text()
RECORD_FLOWS = (FIXTURES / "record/dump-flows-5.4.8.1.txt").read_text()


class Hypervisor:
    def __init__(self, answers: dict[str, tuple[int, str, str]]):
        self.answers, self.ran = answers, []

    def run(self, command: str, timeout: float = 60) -> CommandResult:
        self.ran.append(command)
        return CommandResult("hostb", command, *self.answers[command], 0.01)


class Ovs:
    remote = "tcp:hostb:6640"
    ofports = {"ovsbr0": 65534, "dpdkvhostuser0": 2, "dpdkvhostuser1": 3}

    def ports(self, bridge):
        return [*self.ofports, "bond0"]

    def interface(self, name):
        if name not in self.ofports:
            raise OvsError(f"接口 {name} 不存在")
        return {"type": "dpdkvhostuser", "ofport": self.ofports[name]}


@pytest.fixture
def library():
    def use(answers):
        hv = Hypervisor(answers)
        lab = SimpleNamespace(
            spec=SimpleNamespace(hypervisor="hostb", params={}),
            ovsdb_remote=Ovs.remote,
            session=lambda host: hv,
            ovs_command=lambda *argv: " ".join(argv),
        )
        seam.use(lab)
        lib = OVSLibrary()
        lib._ovs = Ovs()
        return lib, hv

    yield use
    seam.use(None)


def test_ovs_2_7_flows_are_read_without_names_and_match_by_port_name(library):
    lib, hv = library(
        {
            "ovs-ofctl --names dump-flows ovsbr0": (1, "", "ovs-ofctl: unrecognized option '--names'\n"),
            "ovs-ofctl dump-flows ovsbr0": (0, OVS_2_7_FLOWS, ""),
        }
    )
    flows = lib.dump_flows("ovsbr0")
    assert hv.ran == ["ovs-ofctl --names dump-flows ovsbr0", "ovs-ofctl dump-flows ovsbr0"]
    assert [f["match"] for f in flows] == [f["match"] for f in parse_dump_flows(RECORD_FLOWS)]
    assert [f["actions"] for f in flows] == ["output:3", "output:2", "NORMAL"]
    assert (flows[2]["priority"], flows[2]["n_packets"], flows[2]["idle_age"]) == (0, 262755553, 0)
    with pytest.raises(AssertionError, match="匹配 in_port=dpdkvhostuser0 的流没有命中任何报文"):
        lib.flow_should_have_packets(flows, "in_port=dpdkvhostuser0")


def test_an_ovs_with_names_is_read_once(library):
    lib, hv = library({"ovs-ofctl --names dump-flows ovsbr0": (0, RECORD_FLOWS, "")})
    assert lib.dump_flows("ovsbr0") == parse_dump_flows(RECORD_FLOWS)
    assert hv.ran == ["ovs-ofctl --names dump-flows ovsbr0"]


def test_another_failure_is_not_taken_for_an_old_ovs(library):
    lib, _ = library(
        {"ovs-ofctl --names dump-flows ovsbr0": (1, "", "ovs-ofctl: ovsbr0 is not a bridge or a socket\n")}
    )
    with pytest.raises(OvsError, match="is not a bridge or a socket"):
        lib.dump_flows("ovsbr0")


def test_name_flow_ports_leaves_unknown_numbers_and_longer_fields():
    (flow,) = parse_dump_flows(" cookie=0x0, table=0, n_packets=0, n_bytes=0, in_port=21,dl_vlan=2 actions=drop")
    assert name_flow_ports([flow], {2: "p2"})[0]["match"] == "in_port=21,dl_vlan=2"
    assert name_flow_ports([flow], {21: "p21"})[0]["match"] == "in_port=p21,dl_vlan=2"
