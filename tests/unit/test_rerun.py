"""A chapter's failed cases run once more when the lab lost a guest (netvirt.rerun): when, and the two runs made one.

The runs are real Robot runs of small suites named as the record's cases (``robot_runs``); the
tag ``guest-silent`` is what LabLibrary gives a failed test whose survey found a VM not answering."""

from pathlib import Path

from robot.api import ExecutionResult
from robot_runs import run

from netvirt import health, rerun

LOST = f"[Tags]    {health.GUEST_SILENT}\n    Fail    实验环境状态：vm01 的 sshd：SSH 不通"


FIRST = {
    "5.4.1.1 OVS采用DPDK": LOST,
    "5.4.7.2 SR-IOV 支持VLAN透传": "Fail    QinQ 帧没有到达：VST 的 VF 不支持 QinQ",
    "5.4.8.2 SR-IOV 支持带宽分配比例设定": "Fail    主机 vm01 没有应答",
    "5.4.9.1 OVS支持正确转发组播包": "No Operation",
}


def test_a_rerun_is_wanted_only_for_a_departed_run_that_lost_a_guest(tmp_path):
    first = run(tmp_path / "first", FIRST)
    reason = rerun.wanted(Path(first))
    assert reason is not None and "5.4.1.1 OVS采用DPDK" in reason and health.GUEST_SILENT in reason, reason
    # Departed, but no guest was lost: a product failure is not run again until it passes.
    plain = run(tmp_path / "plain", {**FIRST, "5.4.1.1 OVS采用DPDK": "Fail    丢包 100%"})
    assert rerun.wanted(Path(plain)) is None
    # A guest was lost in one of the record's FAILs, and the run is as the table: nothing to run again.
    as_table = run(
        tmp_path / "as_table",
        {"5.4.7.2 SR-IOV 支持VLAN透传": f"[Tags]    {health.GUEST_SILENT}\n    Fail    VST 的 VF 不支持 QinQ"},
    )
    assert rerun.wanted(Path(as_table)) is None
    assert rerun.main(["wanted", str(as_table)]) == 1


def test_the_rerun_replaces_the_tests_it_ran_saying_so_a_skip_too(tmp_path, capsys):
    first = run(tmp_path / "first", FIRST)
    again = run(
        tmp_path / "rerun",
        {
            "5.4.1.1 OVS采用DPDK": "No Operation",
            "5.4.7.2 SR-IOV 支持VLAN透传": "Fail    QinQ 帧没有到达：VST 的 VF 不支持 QinQ",
            "5.4.8.2 SR-IOV 支持带宽分配比例设定": "Skip    无法判定：机器繁忙",
        },
    )
    assert rerun.main(["merge", str(first), str(again)]) == 0
    assert "3 个用例按重跑的结果写入" in capsys.readouterr().out
    tests = {t.name: t for t in ExecutionResult(str(first)).suite.all_tests}
    assert [t.status for t in tests.values()] == ["PASS", "FAIL", "SKIP", "PASS"]  # the first run's order
    dpdk = tests["5.4.1.1 OVS采用DPDK"]
    assert rerun.TAG in dpdk.tags and health.GUEST_SILENT not in dpdk.tags
    assert dpdk.message.startswith(f"{rerun.MARK}第一次运行 FAIL，"), dpdk.message
    assert dpdk.message.endswith("第一次运行的消息：实验环境状态：vm01 的 sshd：SSH 不通")
    busy = tests["5.4.8.2 SR-IOV 支持带宽分配比例设定"]
    assert busy.message.splitlines()[0] == "无法判定：机器繁忙"  # the rerun's own message first
    assert rerun.TAG not in tests["5.4.9.1 OVS支持正确转发组播包"].tags
    assert ExecutionResult(str(first)).statistics.total.failed == 1


def test_a_rerun_of_another_run_is_refused_and_changes_nothing(tmp_path, capsys):
    first = run(tmp_path / "first", FIRST)
    before = Path(first).read_bytes()
    other = run(tmp_path / "other", {"5.4.4 支持vNIC多队列": "No Operation"})
    assert rerun.main(["merge", str(first), str(other)]) == 2
    err = capsys.readouterr().err
    assert "没有的用例" in err and "5.4.4 支持vNIC多队列" in err, err
    assert Path(first).read_bytes() == before
