"""The seam as the libraries see it: the implementation found by the description's kind, no lab knowledge in the
libraries (leftovers, console, VF backend, libvirt connection all asked of the lab), one libvirt connection."""

from __future__ import annotations

import dataclasses

import pytest

import embedded_lab
from netvirt import seam
from netvirt.embedded.adapter import EmbeddedLab
from netvirt.labspec import LabDescriptionError, load_lab
from netvirt.reallab import RealLab
from netvirt.vm import Hypervisor
from SriovLibrary import SriovLibrary
from VMLibrary import VMLibrary


@pytest.fixture
def embedded():
    """An embedded lab's seam object: nothing is built (the builder only computes names until ``up``)."""
    return seam.from_spec(load_lab(embedded_lab.description("nvs1")), progress=lambda m: None)


def test_the_implementation_is_found_by_the_kind(record, embedded):
    assert type(seam.from_spec(record, progress=lambda m: None)) is RealLab
    assert type(embedded) is EmbeddedLab and embedded.domain_name(embedded.spec.vm("vm01")) == "nvs1-vm01"
    with pytest.raises(LabDescriptionError, match="实验环境类型 'cloud' 不支持（可用：real, embedded）"):
        seam.implementation("cloud")
    with pytest.raises(LabDescriptionError, match="is not a lab description"):
        seam.from_spec({"kind": "real"})


def test_a_lab_must_implement_the_whole_interface():
    class Partial(seam.Lab):
        def setup(self) -> None: ...

    with pytest.raises(TypeError, match="abstract"):
        Partial(None)


def test_libraries_share_the_labs_one_libvirt_connection(record):
    lab = RealLab(dataclasses.replace(record, libvirt_uri="test:///default"), progress=lambda m: None)
    seam.use(lab)
    try:
        vms, sriov = VMLibrary(), SriovLibrary()
        assert isinstance(lab.hypervisor, Hypervisor) and lab.hypervisor.uri == "test:///default"
        assert vms.hypervisor is lab.hypervisor is sriov._vms.hypervisor is VMLibrary().hypervisor
        assert vms.hypervisor.exists("test")  # the test driver's own domain
        first = lab.hypervisor
        lab.close_sessions()  # the teardown closes it; the next use opens a new one
        assert lab.hypervisor is not first
        lab.close_sessions()
    finally:
        seam.use(None)


def test_leftovers_and_console_are_asked_of_the_lab(record, embedded, tmp_path):
    real = RealLab(record, progress=lambda m: None)
    assert real.leftovers() == [] and real.console_tail(record.vm("vm01")) is None
    vm01 = embedded.spec.vm("vm01")
    embedded.builder.root = tmp_path
    assert embedded.console_tail(vm01) is None  # no console written yet
    (tmp_path / "vm").mkdir()
    (tmp_path / "vm" / "vm01.console").write_text("".join(f"line {n}\n" for n in range(40)))
    assert embedded.console_tail(vm01, lines=3) == "line 37\nline 38\nline 39"
    assert VMLibrary._console_tail(embedded, vm01).startswith("\n控制台最后几行：\nline 25\n")
    assert VMLibrary._console_tail(real, record.vm("vm01")) == ""


def test_the_vf_backend_says_how_settings_reach_it(record, embedded):
    real = RealLab(record, progress=lambda m: None).sriov_nic("hostb", "enP5p1s0")
    assert (type(real).__name__, real.via, real.backend_state()) == ("NetlinkNic", "rtnetlink/sysfs", None)
    assert real.session is not None and real.host == "hostb"
    emulated = embedded.sriov_nic("hostb", "enP5p1s0")
    assert (type(emulated).__name__, emulated.via) == ("EmulatedNic", "模拟网卡")
    assert type(emulated.pf).__name__ == "NetlinkNic"  # the PF is a real veth, driven as a real PF is


def test_no_library_asks_which_lab_it_is_on():
    """No isinstance/hasattr on a lab and no import of a lab implementation in the keyword libraries."""
    from pathlib import Path

    for path in (Path(__file__).resolve().parents[2] / "libraries").glob("*Library.py"):
        text = path.read_text(encoding="utf-8")
        needles = ("EmbeddedLab", "RealLab", "from netvirt.embedded", "hasattr(lab", "isinstance(lab", ".emulated")
        for needle in needles:
            assert needle not in text, f"{path.name} 含有 {needle}"
