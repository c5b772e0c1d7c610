"""添加VLAN子接口 on a host whose kernel has no 8021q (issue 18): a Chinese error naming the module.

The ip tool's own words come from this machine (Debian 12, iproute2 6.1.0, a kernel without 8021q):
``ip link add link lo name lo.10 type vlan id 10`` in a fresh network namespace printed
``Error: Unknown device type.`` on stderr and returned 2 (2026-12-03).
"""

from __future__ import annotations

import pytest

import embedded_lab
from HostLibrary import HostLibrary
from netvirt import seam
from netvirt.labspec import load_lab
from netvirt.ssh import CommandResult

UNKNOWN_TYPE = "Error: Unknown device type.\n"


class _Session:
    def __init__(self, host: str, rc: int, stderr: str):
        self.host, self.rc, self.stderr, self.commands = host, rc, stderr, []

    def run(self, command: str, timeout: float = 120) -> CommandResult:
        self.commands.append(command)
        return CommandResult(self.host, command, self.rc, "", self.stderr, 0.01)


class _Lab:
    def __init__(self, description: dict, session: _Session):
        self.spec = load_lab(description)
        self._session = session

    def session(self, host: str) -> _Session:
        return self._session


@pytest.fixture
def use_lab():
    def use(capabilities: list[str], rc: int = 0, stderr: str = "") -> _Session:
        description = embedded_lab.description("nvut")
        description["capabilities"] = capabilities
        session = _Session("hosta", rc, stderr)
        seam.use(_Lab(description, session))
        return session

    yield use
    seam.use(None)


def test_a_host_without_the_capability_is_refused_before_ip_runs(use_lab):
    session = use_lab([])
    with pytest.raises(AssertionError) as failure:
        HostLibrary().add_vlan("hosta", "enP5p1s0", 10, "192.168.10.1/24")
    message = str(failure.value)
    assert "hosta 上不能建 VLAN 子接口 enP5p1s0.10" in message and "8021q" in message and "host_vlan" in message
    assert "Unknown device type" not in message
    assert session.commands == []


def test_a_kernel_without_8021q_is_named_when_ip_says_unknown_device_type(use_lab):
    session = use_lab(["host_vlan"], rc=2, stderr=UNKNOWN_TYPE)
    with pytest.raises(AssertionError, match=r"hosta 上不能建 VLAN 子接口 enP5p1s0\.10：内核没有 8021q 模块"):
        HostLibrary().add_vlan("hosta", "enP5p1s0", 10)
    assert session.commands == ["ip link add link enP5p1s0 name enP5p1s0.10 type vlan id 10"]


def test_a_vm_needs_no_capability(use_lab):
    session = use_lab([])
    assert HostLibrary().add_vlan("vm01", "eth1", 10) == "eth1.10"
    assert session.commands == ["ip link add link eth1 name eth1.10 type vlan id 10"]
