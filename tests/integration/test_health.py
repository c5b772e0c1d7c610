"""When a test fails, the lab's parts are asked which still answer (netvirt.health), on a real embedded lab.

Lab ``nvth`` without guests: every part answers; then ovs-vswitchd is killed by its pid (as the fault
injection of issue 19 did) and the survey names it, with the last lines of its log, instead of leaving
a failed ping to say only "丢包 100%".
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

import embedded_lab
from netvirt import health, seam
from netvirt.embedded import procs
from netvirt.labspec import load_lab


@pytest.fixture(scope="module")
def lab():
    description = embedded_lab.description("nvth")
    description["vms"] = []  # no guests: the survey of hosts and OVS is what is tested here
    lab = seam.from_spec(load_lab(description), progress=lambda m: None)
    lab.setup()
    try:
        yield lab
    finally:
        lab.teardown()
        assert lab.builder.leftovers() == []


def test_a_healthy_lab_has_no_problems(lab):
    parts = {p.name: p for p in health.survey(lab)}
    assert set(parts) == {"hosta 的 sshd", "hostb 的 sshd", "hostb 的 ovs-vswitchd", "hostb 的 ovsdb-server"}
    assert all(p.ok for p in parts.values()), parts
    assert "Open vSwitch" in parts["hostb 的 ovs-vswitchd"].detail
    assert health.problems(lab) is None


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs: a killed child of this process stays a zombie (state Z) until it is reaped,
    and its /proc entry with it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_dead_vswitchd_is_named_with_its_last_log_lines(lab):
    pidfile = Path(lab.spec.ovs_rundir) / "ovs-vswitchd.pid"
    pid = procs.read_pid(pidfile)
    assert pid and "ovs-vswitchd" in Path(f"/proc/{pid}/cmdline").read_text()
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid)
    found = health.problems(lab)
    assert found is not None and found.startswith("实验环境状态：hostb 的 ovs-vswitchd：没有回应")
    assert "ovs-vswitchd.log 最后 5 行" in found
    assert "ovsdb-server" not in found and "sshd" not in found  # only what is dead is named
