"""Faults a run meets in practice: a second run on a lab id in use, a run killed during bring-up.

The first run of a pair must go on untouched (its daemons, namespaces and SSH logins), the second
must say whose lab it is and change nothing, its suite teardown included; a killed bring-up's
leftovers are removed by the next one. Lab ids ``nvti`` and ``nvtk`` are these tests' own.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from robot.api import ExecutionResult

import embedded_lab
from netvirt.embedded import procs
from netvirt.embedded.lab import EmbeddedLab
from netvirt.labspec import load_lab

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the embedded lab needs root")
ROOT = Path(__file__).resolve().parents[2]

HOLDER = """\
import sys; sys.path[:0] = ['libraries', 'variables']
import embedded_lab
from netvirt.embedded.lab import EmbeddedLab
lab = EmbeddedLab(embedded_lab.get_variables(sys.argv[1])['LAB'], progress=lambda m: print(m, flush=True))
lab.up()
print('UP', flush=True)
sys.stdin.read()  # until the test closes stdin
lab.down()
"""


def start_holder(lab_id: str, until: str = "UP") -> subprocess.Popen:
    """A process that builds lab ``lab_id`` and holds it; returns once it printed a line starting ``until``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, lab_id], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    for line in proc.stdout:
        if line.startswith(until):
            return proc
    raise AssertionError(f"lab {lab_id} holder ended before {until!r} (rc={proc.wait()})")


def lab_daemons(lab: EmbeddedLab) -> dict[str, int]:
    return {p.stem: procs.read_pid(p) for p in (lab.root / "pids").glob("*.pid")}


def test_a_second_robot_run_on_a_lab_in_use_changes_nothing(tmp_path):
    spec = load_lab(embedded_lab.description("nvti"))
    lab = EmbeddedLab(spec, progress=lambda m: None)
    holder = start_holder("nvti")
    try:
        daemons = lab_daemons(lab)
        before = lab.leftovers()
        second = subprocess.run(
            [
                str(Path(sys.executable).parent / "robot"),
                "-V",
                "variables/embedded_lab.py:nvti",
                "--test",
                "5.1.1*",
                "--outputdir",
                str(tmp_path),
                "--log",
                "NONE",
                "--report",
                "NONE",
                "suites/5.4_网络虚拟化",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode != 0, second.stdout
        assert f"实验环境 nvti 正被进程 {holder.pid} 使用" in second.stdout, second.stdout
        # Its suite teardown took the branch that changes nothing: no VM deleted, no teardown.
        owned, not_owned = ExecutionResult(str(tmp_path / "output.xml")).suite.teardown.body[0].body
        assert [step.name for step in owned.body] == [
            "Run Keyword And Ignore Error",  # 删除所有VM
            "Run Keyword And Ignore Error",  # 撤销OVS配置
            "断开OVSDB",
            "拆除实验环境",
        ]
        assert owned.body[0].args == ("删除所有VM",)
        assert (owned.status, not_owned.status) == ("NOT RUN", "PASS")
        # The first run's lab is as it was: same daemons alive, same namespaces, hosts answering.
        assert lab_daemons(lab) == daemons
        assert all(procs.pid_alive(pid) for pid in daemons.values()), daemons
        assert lab.leftovers() == before
        for host in spec.hosts:
            lab.wait_ssh(host.mgmt, host.name, timeout=10)
    finally:
        holder.stdin.close()
        holder.wait(60)
    assert lab.leftovers() == []


def test_bring_up_after_a_run_killed_during_bring_up_is_clean():
    """Killed once its sshd and Open vSwitch run, before libvirtd: the next bring-up removes it all."""
    spec = load_lab(embedded_lab.description("nvtk"))
    holder = start_holder("nvtk", until="启动实验环境自己的 libvirtd")
    holder.send_signal(signal.SIGKILL)
    holder.wait(10)
    lab = EmbeddedLab(spec, progress=lambda m: None)
    try:
        left = lab.leftovers()
        assert any(item.startswith("namespace nvtk-") for item in left), left
        assert any("sshd" in item for item in left), left
        lab.up()
        for host in spec.hosts:
            lab.wait_ssh(host.mgmt, host.name, timeout=10)
    finally:
        lab.down()
    assert lab.leftovers() == []
