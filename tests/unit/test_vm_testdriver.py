"""VM library against libvirt's test driver (test:///default): define, start, read back, remove;
fast, no lab needed. Live attach/detach needs the qemu driver (tests/integration/test_vm.py)."""

import threading

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


def test_domains_are_destroyed_and_started_together(hypervisor, vm01):
    vm, profile = vm01
    names = ["VM01-a", "VM01-b"]
    for name in names:
        hypervisor.create(name, vm, profile)
    try:
        hypervisor.destroy_all(names)
        assert [hypervisor.state(n) for n in names] == ["shutoff", "shutoff"]
        hypervisor.start_all(names)
        assert [hypervisor.state(n) for n in names] == ["running", "running"]
        # One that fails does not stop the other; its error comes after both ended.
        hypervisor.destroy("VM01-b")
        with pytest.raises(VmError, match="VM01-missing"):
            hypervisor.start_all(["VM01-missing", "VM01-b"])
        assert hypervisor.state("VM01-b") == "running"
    finally:
        for name in names:
            hypervisor.remove(name)


def test_calls_at_once_run_in_threads_of_their_own(hypervisor):
    # Each call waits for the other: run one after the other, the barrier would break after 10 s.
    barrier = threading.Barrier(2, timeout=10)
    seen = []

    def call(name: str) -> None:
        barrier.wait()
        seen.append((name, threading.current_thread().name))

    hypervisor._at_once(call, ["a", "b"])
    assert sorted(n for n, _ in seen) == ["a", "b"] and seen[0][1] != seen[1][1]
