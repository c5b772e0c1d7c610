"""Unit tests for netvirt.parsers.versions.

Versions come from the record's server table (test 5.1.1 requirements) and from
``--version`` outputs captured on a development machine (``tests/fixtures/generated``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netvirt.parsers.versions import Version, extract_version, version_at_least

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("found", "tool", "required"),
    [
        ("4.14.36-4.hxt.aarch64", "kernel", "3.10.0"),  # Host OS >= 3.10.0
        ("2.12", "qemu", "2.3.0"),  # kvm-qemu >= 2.3.0: numerically 2.12 > 2.3
        ("2.8.4", "ovs", "2.5.0"),  # openvswitch >= 2.5.0
        ("hxt-dev-v17.08", "dpdk", "16.11.0"),  # dpdk >= 16.11.0
    ],
)
def test_record_5_1_1_hypervisor_version_requirements_hold(found, tool, required):
    assert version_at_least(extract_version(found, tool), required)


@pytest.mark.parametrize(
    ("text", "release", "build"),
    [
        ("3.10.0-957.el7.x86_64", (3, 10, 0), (957,)),
        ("4.14.36-4.hxt.aarch64", (4, 14, 36), (4,)),
        ("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)", (7, 2, 22), ()),
        ("ovs-vsctl (Open vSwitch) 3.1.0", (3, 1, 0), ()),
        ("DPDK 22.11.5", (22, 11, 5), ()),
        ("hxt-dev-v17.08", (17, 8), ()),
        ("2.8.4", (2, 8, 4), ()),
    ],
)
def test_version_reads_release_and_build(text, release, build):
    version = Version(text)
    assert (version.release, version.build) == (release, build)


def test_versions_compare_as_numbers_not_text():
    # A string comparison would put "3.10" before "3.9".
    assert Version("3.10") > Version("3.9")
    assert Version("2.12") > Version("2.3.0")
    assert not version_at_least("2.4.1", "2.5.0")
    assert version_at_least("2.5", "2.5.0")


def test_missing_parts_are_zero_and_builds_order_releases():
    assert Version("2.12") == Version("2.12.0") == "2.12.0"
    assert hash(Version("2.12")) == hash(Version("2.12.0"))
    assert Version("3.10.0") < Version("3.10.0-957.el7.x86_64") < Version("3.10.0-1062.el7.x86_64")
    assert version_at_least("3.10.0-957.el7.x86_64", "3.10.0")
    assert str(Version("QEMU emulator version 7.2.22 (Debian)")) == "7.2.22"


@pytest.mark.parametrize(
    ("name", "tool", "expected"),
    [
        ("qemu-version.txt", "qemu", "7.2.22"),
        ("ovs-vsctl-version.txt", "ovs", "3.1.0"),
        ("ovs-vswitchd-version.txt", "ovs", "3.1.0"),
        ("ovs-vswitchd-version.txt", "dpdk", "22.11.11"),
        ("libvirtd-version.txt", "libvirt", "9.0.0"),
        ("uname-r.txt", "kernel", "6.18.44"),
    ],
)
def test_extract_version_from_captured_version_outputs(name, tool, expected):
    assert extract_version(fixture(f"generated/{name}"), tool) == Version(expected)


def test_extract_version_from_record_outputs():
    assert extract_version(fixture("record/ovs-vsctl-show-5.4.1.1.txt"), "ovs") == Version("2.8.4")
    assert extract_version("MLNX_OFED_LINUX-4.3-3.0.2.0:", "ofed") == Version("4.3-3.0.2.0")


@pytest.mark.parametrize(
    ("text", "tool", "message"),
    [
        ("2.8.4", "nginx", "unknown tool 'nginx'"),
        ("QEMU emulator version unknown", "qemu", "no qemu version found"),
        ("ovs-vsctl (Open vSwitch)", "ovs", "no ovs version found"),
    ],
)
def test_extract_version_rejects_unknown_tools_and_missing_versions(text, tool, message):
    with pytest.raises(ValueError, match=message):
        extract_version(text, tool)


def test_version_rejects_text_without_a_number():
    with pytest.raises(ValueError, match="expected a version number"):
        Version("hxt-dev")
    with pytest.raises(ValueError, match="expected version strings"):
        version_at_least(2.8, "2.5.0")  # type: ignore[arg-type]
