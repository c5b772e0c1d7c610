"""5.1.1's OVS and DPDK versions on the record's OVS 2.8.4 (no dpdk_version column) and on newer OVS.

The hypervisor is a fake that answers with the outputs in tests/fixtures/versions (their README names
each source): OVS 2.8.4's ``ovs-vswitchd --version`` (no DPDK line), OVS 2.9's ``Using DPDK`` log line,
EAL's ``RTE Version`` line under OVS 2.8 with ``dpdk-extra=-v``, DPDK 17.08's version defines, and OVS
3.1's ``--version`` of a DPDK build captured here. OVSDB answers as ``Ovs.system()`` does on each schema
(tests/integration/test_ovs_schemas.py runs that against OVS's own schemas).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from robot.api import SkipExecution

from netvirt import seam
from netvirt.parsers.versions import (
    dpdk_version_from_header,
    dpdk_version_from_log,
    dpdk_version_from_vswitchd,
    version_at_least,
)
from netvirt.ssh import CommandResult
from OVSLibrary import OVSLibrary

VERSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "versions"
RUNDIR = "/usr/local/var/run/openvswitch"
LOG = "/usr/local/var/log/openvswitch/ovs-vswitchd.log"
HEADER = "/usr/local/include/dpdk/rte_version.h"


def fixture(name: str) -> str:
    return (VERSIONS / name).read_text()


def test_parsers_on_each_source():
    assert dpdk_version_from_vswitchd(fixture("ovs/ovs-vswitchd-version-ovs2.8.4.txt")) is None
    assert dpdk_version_from_vswitchd(fixture("ovs/ovs-vswitchd-version-dpdk-ovs3.1.txt")) == "DPDK 22.11.11"
    assert dpdk_version_from_log(fixture("dpdk/vswitchd-log-ovs2.9.txt")) == "DPDK 17.11.0"
    assert dpdk_version_from_log(fixture("dpdk/vswitchd-log-eal-v-ovs2.8.txt")) == "DPDK 17.08.0"
    assert dpdk_version_from_log("2018-09-07T05:12:03.318Z|00007|dpdk|INFO|DPDK Enabled - initializing...") is None
    assert dpdk_version_from_header(fixture("dpdk/rte_version-17.08.h")) == "DPDK 17.08.0"
    rc = fixture("dpdk/rte_version-17.08.h").replace('SUFFIX ""', 'SUFFIX "-rc"').replace("RELEASE 16", "RELEASE 2")
    assert dpdk_version_from_header(rc) == "DPDK 17.08.0-rc2"
    assert dpdk_version_from_header("#define RTE_VER_YEAR 17\n") is None
    assert version_at_least("DPDK 17.08.0", "16.11.0") and not version_at_least("DPDK 16.07.2", "16.11.0")


class Hypervisor:
    """Answers commands whose text contains a key; anything else fails as a missing file would."""

    def __init__(self, answers: dict[str, str]):
        self.answers = answers
        self.commands: list[str] = []

    def run(self, command: str, timeout: float = 60) -> CommandResult:
        self.commands.append(command)
        for key, out in self.answers.items():
            if key in command:
                return CommandResult("hostb", command, 0, out, "", 0.01)
        return CommandResult("hostb", command, 1, "", "No such file or directory", 0.01)


class Ovsdb:
    """``Ovs.system()`` as it answers on a schema with or without the DPDK columns."""

    remote = "unix:/tmp/fake-db.sock"

    def __init__(self, schema: str, ovs_version: str | None, dpdk_version: str | None):
        self.columns = schema != "7.15.0"
        self.answer = {
            "ovs_version": ovs_version,
            "dpdk_version": dpdk_version,
            "dpdk_initialized": "true" if self.columns else None,
            "schema": schema,
        }

    def system(self):
        return dict(self.answer)

    def has_column(self, table, column):
        return self.columns


@pytest.fixture
def library():
    def use(ovsdb: Ovsdb, answers: dict[str, str], params: dict | None = None):
        hv = Hypervisor(answers)
        lab = SimpleNamespace(
            spec=SimpleNamespace(hypervisor="hostb", params=params or {}, ovs_rundir=RUNDIR),
            ovsdb_remote=ovsdb.remote,
            ovs_log_path=LOG,
            session=lambda host: hv,
            ovs_command=lambda *argv: " ".join(argv),
        )
        seam.use(lab)
        lib = OVSLibrary()
        lib._ovs = ovsdb
        return lib, hv

    yield use
    seam.use(None)


RECORD_HV = {  # the record's Host B: OVS 2.8.4 from source, running from /usr/local/sbin
    f"cat {RUNDIR}/ovs-vswitchd.pid": "1234\n",
    "readlink /proc/1234/exe": "/usr/local/sbin/ovs-vswitchd\n",
    "/usr/local/sbin/ovs-vswitchd --version": fixture("ovs/ovs-vswitchd-version-ovs2.8.4.txt"),
}


def test_record_ovs_2_8_reads_dpdk_from_the_header_the_lab_names(library):
    lib, hv = library(
        Ovsdb("7.15.0", "2.8.4", None),
        {**RECORD_HV, f"cat {HEADER}": fixture("dpdk/rte_version-17.08.h")},
        {"dpdk_version_header": HEADER},
    )
    versions = lib.ovs_version()
    assert versions["ovs_version"] == "2.8.4" and versions["ovs_version_source"] == "OVSDB Open_vSwitch ovs_version"
    assert versions["dpdk_version"] == "DPDK 17.08.0"
    assert versions["dpdk_version_source"].startswith(HEADER)
    assert lib.dpdk_version(versions) == "DPDK 17.08.0"
    # the running binary was asked, not whatever ovs-vswitchd is first on PATH
    assert "/usr/local/sbin/ovs-vswitchd --version" in hv.commands


def test_record_ovs_2_8_with_eal_v_reads_dpdk_from_the_log(library):
    lib, _ = library(Ovsdb("7.15.0", "2.8.4", None), {**RECORD_HV, "grep -a -o -E": "RTE Version: 'DPDK 17.08.0'\n"})
    versions = lib.ovs_version()
    assert (versions["dpdk_version"], versions["dpdk_version_source"]) == ("DPDK 17.08.0", LOG)


def test_record_ovs_2_8_without_a_source_skips_saying_what_was_tried(library):
    lib, _ = library(Ovsdb("7.15.0", "2.8.4", None), RECORD_HV)
    versions = lib.ovs_version()
    assert versions["dpdk_version"] == ""
    with pytest.raises(SkipExecution) as skipped:
        lib.dpdk_version(versions)
    message = str(skipped.value)
    assert "OVSDB 模式 7.15.0 没有 dpdk_version 列（OVS 2.10 起才有）" in message
    assert "/usr/local/sbin/ovs-vswitchd --version 没有 DPDK 行" in message
    assert LOG in message and "dpdk_version_header" in message


def test_ovs_2_9_reads_dpdk_from_its_version_output(library):
    printed = "ovs-vswitchd (Open vSwitch) 2.9.0\nDPDK 17.11.0\n"  # print_dpdk_version() from v2.9.0
    answers = {**RECORD_HV, "/usr/local/sbin/ovs-vswitchd --version": printed}
    lib, _ = library(Ovsdb("7.15.0", None, None), answers)
    versions = lib.ovs_version()
    assert versions["ovs_version"] == "2.9.0" and versions["ovs_version_source"].endswith("--version")
    assert versions["dpdk_version"] == "DPDK 17.11.0"


def test_current_ovs_reads_both_from_ovsdb_and_runs_nothing(library):
    lib, hv = library(Ovsdb("8.3.1", "3.1.0", "DPDK 22.11.11"), {})
    versions = lib.ovs_version()
    assert (versions["ovs_version"], versions["dpdk_version"]) == ("3.1.0", "DPDK 22.11.11")
    assert versions["dpdk_version_source"] == "OVSDB Open_vSwitch dpdk_version"
    assert versions["dpdk_initialized"] == "true" and hv.commands == []
