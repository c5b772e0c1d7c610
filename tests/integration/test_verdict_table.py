"""The record's verdict table stays executable: the NIC-dependent SR-IOV cases on both NIC models.

Runs robot on the chapter's 5.4.2.1 (both tests) and 5.4.7.2 twice, each time on an embedded lab of
its own: with the record's ConnectX-4 (``cx4-ofed4.3``, the default) they reproduce the record's two
FAILs, with messages that name the setting, what the NIC did and what ``ip link``/the capture showed;
with a ``spec-conformant`` NIC they pass. Every verdict rests on the emulated NIC and says so.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from robot.api import ExecutionResult

from netvirt import verdicts

ROOT = Path(__file__).resolve().parents[2]
CASES = ["5.4.2.1*", "5.4.7.2*"]


def run_chapter_cases(lab: str, outdir: Path) -> Path:
    argv = [sys.executable, "-m", "robot", "-V", f"variables/embedded_lab.py:{lab}", "-d", str(outdir)]
    for case in CASES:
        argv += ["--test", case]
    argv += ["--console", "dotted", "suites/5.4_网络虚拟化"]
    subprocess.run(argv, cwd=ROOT, timeout=1200, check=False)
    return outdir / "output.xml"


@pytest.mark.parametrize(
    ("lab", "model", "failing"),
    [
        ("nvtn:cx4-ofed4.3", "cx4-ofed4.3", {"测试link down", "5.4.7.2"}),
        ("nvts:spec-conformant", "spec-conformant", set()),
    ],
)
def test_sriov_cases_give_the_records_verdicts_for_the_nic_model(lab, model, failing, tmp_path):
    output = run_chapter_cases(lab, tmp_path)
    outcomes, unknown, models, _ = verdicts.check(output)
    assert models == {model}
    assert not unknown
    assert len(outcomes) == 3, [o.name for o in outcomes]
    assert [o.name for o in outcomes if not o.as_expected] == []
    tests = {t.name: t for t in ExecutionResult(str(output)).suite.all_tests}
    failed = {name for name, t in tests.items() if t.status == "FAIL"}
    assert failed == {name for name in tests if any(key in name for key in failing)}
    for test in tests.values():  # every verdict rests on the emulated NIC, and says which model
        assert "emulated-nic" in test.tags
        assert "【模拟】本判定依赖本机模拟的行为" in test.message and model in test.message
    if failing:
        link_down = next(t for name, t in tests.items() if "测试link down" in name)
        for words in ("link-state 为 auto", "VF 没有跟随 PF 断开", "仍为 UP", "ConnectX-4", "网卡型号 cx4-ofed4.3"):
            assert words in link_down.message
        vlan = next(t for name, t in tests.items() if name.startswith("5.4.7.2"))
        for words in ("vlan 100（VST）", "ping 不通", "抓包中没有涉及 5.5.10.101 的帧", "不支持 QinQ", "OFED 4.4"):
            assert words in vlan.message
