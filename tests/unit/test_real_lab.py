"""The real-lab side of the seam, without a lab: paths of the record's source-built OVS."""

from __future__ import annotations

import dataclasses

from netvirt.seam import RealLab


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
