"""The real-lab side of the seam, without a lab: the record's source-built OVS, host keys, OVSDB over SSH."""

from __future__ import annotations

import dataclasses

import pytest

import record_lab
from netvirt.labspec import LabDescriptionError, load_lab
from netvirt.reallab import RealLab


def test_record_lab_names_the_source_built_ovs(record):
    lab = RealLab(record, progress=lambda m: None)
    assert record.ovs_rundir == "/usr/local/var/run/openvswitch"
    assert lab.ovs_ctl_path == "/usr/local/share/openvswitch/scripts/ovs-ctl"
    assert lab.ovs_log_path == "/usr/local/var/log/openvswitch/ovs-vswitchd.log"
    assert lab.vhost_socket_path("dpdkvhostuser0") == "/usr/local/var/run/openvswitch/dpdkvhostuser0"
    assert record.params["dpdk_version_header"] == "/usr/local/include/dpdk/rte_version.h"


def test_paths_follow_the_run_directory_when_the_description_names_none(record):
    def lab(rundir: str) -> RealLab:
        params = {k: v for k, v in record.params.items() if k not in ("ovs_ctl", "ovs_log")}
        return RealLab(dataclasses.replace(record, ovs_rundir=rundir, params=params), progress=lambda m: None)

    packaged = lab("/var/run/openvswitch")
    assert packaged.ovs_ctl_path == "/usr/share/openvswitch/scripts/ovs-ctl"
    assert packaged.ovs_log_path == "/var/log/openvswitch/ovs-vswitchd.log"
    assert lab("/run/openvswitch").ovs_log_path == "/var/log/openvswitch/ovs-vswitchd.log"
    built = lab("/opt/ovs/var/run/openvswitch")
    assert built.ovs_ctl_path == "/opt/ovs/share/openvswitch/scripts/ovs-ctl"
    assert built.ovs_log_path == "/opt/ovs/var/log/openvswitch/ovs-vswitchd.log"


def test_record_lab_checks_host_keys_and_reaches_ovsdb_over_ssh(record, monkeypatch):
    import record_lab
    from netvirt.labspec import load_lab

    hostb = record.host("hostb")
    assert (hostb.ssh.known_hosts, hostb.ssh.trust_on_first_use) == ("~/.ssh/known_hosts", False)
    assert record.ovsdb == "unix:/usr/local/var/run/openvswitch/db.sock" and record.ovsdb_over_ssh
    monkeypatch.setenv("NETVIRT_KNOWN_HOSTS", "/etc/netvirt/known_hosts")
    monkeypatch.setenv("NETVIRT_SSH_TRUST_ON_FIRST_USE", "1")
    asked = load_lab(record_lab.description()).host("vm01").ssh  # guests: the hypervisor's credentials
    assert (asked.known_hosts, asked.trust_on_first_use) == ("/etc/netvirt/known_hosts", True)


def test_trust_on_first_use_needs_a_file_to_record_keys_in(record):
    desc = record_lab.description()
    for host in desc["hosts"]:
        host["ssh"] = dict(host["ssh"], known_hosts=None, trust_on_first_use=True)
    with pytest.raises(LabDescriptionError, match=r"hosts\[0\].ssh.trust_on_first_use: needs known_hosts"):
        load_lab(desc)


def test_guest_boot_and_dpdk_devargs_come_from_the_description(record):
    params = dict(
        record.params,
        vm_boot={"vm01": {"kernel": "/boot/vmlinuz-guest", "cmdline": "console=ttyAMA0", "domain_type": "qemu"}},
        dpdk_devargs={"0005:01:00.0": "net_virtio_user0,path=/run/vhu.sock"},
    )
    lab = RealLab(dataclasses.replace(record, params=params), progress=lambda m: None)
    vm01, vm02 = (lab.domain_profile(record.vm(name)) for name in ("vm01", "vm02"))
    assert (vm01.kernel, vm01.cmdline, vm01.domain_type) == ("/boot/vmlinuz-guest", "console=ttyAMA0", "qemu")
    assert vm01.disk == "/var/lib/libvirt/images/hxt-centos7.5-01.qcow2" and vm01.machine == "virt"
    assert vm02.kernel is None and vm02.domain_type == "kvm"
    assert lab.dpdk_devargs("enP5p1s0") == "net_virtio_user0,path=/run/vhu.sock"
    assert lab.dpdk_devargs("0004:01:00.0") == "0004:01:00.0"
    bad = RealLab(dataclasses.replace(record, params=dict(params, vm_boot={"vm01": {"kernal": "x"}})))
    with pytest.raises(LabDescriptionError, match=r"lab.params.vm_boot.vm01: kernal 不是 DomainProfile 的字段"):
        bad.domain_profile(record.vm("vm01"))
