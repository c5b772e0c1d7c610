"""VM library against libvirt's test driver (test:///default): define, start, read back, remove;
fast, no lab needed. Live attach/detach needs the qemu driver (tests/integration/test_vm.py)."""

import pytest

from netvirt.domain import DomainProfile
from netvirt.vm import Hypervisor, VmError


@pytest.fixture
def vm01(record):
    return record.vm("vm01"), DomainProfile(vhost_socket_dir=record.ovs_rundir)


@pytest.fixture
def hypervisor():
    hv = Hypervisor("test:///default")
    yield hv
    hv.close()


def test_record_vm_defines_starts_and_goes_away(hypervisor, vm01):
    vm, profile = vm01
    hypervisor.create("VM01-unit", vm, profile)
    try:
        assert hypervisor.state("VM01-unit") == "running"
        nics = hypervisor.interfaces("VM01-unit")
        assert {
            "type": "vhostuser",
            "mac": "00:00:00:00:00:01",
            "source": "/usr/local/var/run/openvswitch/dpdkvhostuser0",
        } in nics
        assert "memAccess='shared'" in hypervisor.xml("VM01-unit")
    finally:
        hypervisor.remove("VM01-unit")
    assert not hypervisor.exists("VM01-unit")


def test_a_name_defined_twice_is_refused(hypervisor, vm01):
    vm, profile = vm01
    hypervisor.create("VM01-twice", vm, profile)
    try:
        with pytest.raises(VmError, match="VM01-twice 已经定义过了"):
            hypervisor.create("VM01-twice", vm, profile)
    finally:
        hypervisor.remove("VM01-twice")


def test_unknown_domain_lists_the_known_ones(hypervisor):
    with pytest.raises(VmError, match="虚拟机 nosuchvm 不存在（现有：.*test"):
        hypervisor.state("nosuchvm")
