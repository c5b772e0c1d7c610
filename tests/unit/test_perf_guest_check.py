"""PerfLibrary's check of the guests on a measured path (转发质量应满足判据), with the lab's parts stood in and ping's
own outputs (tests/fixtures/generated, iputils on this machine): a guest that answers late is a finding, one that
answers no ping at all is not (a real lab's hypervisor may have no route to its guests' management addresses).
The check against a real guest runs in tests/integration/test_vm.py."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import embedded_lab
from netvirt import seam
from netvirt.labspec import load_lab
from netvirt.perf.topology import Scenario
from netvirt.ssh import CommandResult
from PerfLibrary import PerfLibrary

GENERATED = Path(__file__).resolve().parents[1] / "fixtures" / "generated"


class _Hypervisor:
    def __init__(self, output: str, rc: int):
        self.output, self.rc = output, rc

    def run(self, command: str, timeout: float = 120) -> CommandResult:
        return CommandResult("hostb", command, self.rc, self.output, "", 1.0)


class _Lab:
    def __init__(self, output: str, rc: int):
        self.spec = load_lab(embedded_lab.description("nvut"))
        self.hypervisor = _Hypervisor(output, rc)

    def session(self, host: str) -> _Hypervisor:
        return self.hypervisor


def _library() -> PerfLibrary:
    library = PerfLibrary()
    library._topology = SimpleNamespace(scenario=Scenario.pvp)
    library._measurer = SimpleNamespace(measure=lambda load, seconds, size: None)
    return library


def test_a_guest_that_answers_no_ping_is_noted_not_counted():
    seam.use(_Lab((GENERATED / "ping-total-loss.txt").read_text(), 1))
    try:
        notes: list[str] = []
        assert _library()._guests_slow(500.0, 1.0, 64, 2000.0, notes) == []
        assert notes and notes[0].startswith("vm01 的管理网 ping 没有应答，无法检查")
    finally:
        seam.use(None)


def test_a_guest_that_answers_is_judged_by_its_average_round_trip():
    seam.use(_Lab((GENERATED / "ping-veth-ok.txt").read_text(), 0))
    try:
        notes: list[str] = []
        assert _library()._guests_slow(500.0, 1.0, 64, 2000.0, notes) == []
        assert notes[0].startswith("vm01 管理网 ping 平均往返 ") and "判据 2000 µs" in notes[0]
        slow = _library()._guests_slow(500.0, 1.0, 64, 0.001, [])
        assert len(slow) == 1 and "超过 0.001 µs" in slow[0]
    finally:
        seam.use(None)
