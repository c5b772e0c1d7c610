"""The record's verdict table (netvirt.verdicts): what each case should end as on a given lab."""

import pytest
from robot_runs import run

from netvirt import verdicts
from netvirt.verdicts import expected, lookup

RECORD_NIC = {"cx4-ofed4.3"}
CONFORMANT = {"spec-conformant"}
RECORD_LAB = {"msix_interrupts", "sriov_passthrough"}


def test_the_records_two_fails_follow_the_nic_model():
    link_down = lookup("5.4.2.1 SR-IOV链路状态感知测试 测试link down")
    qinq = lookup("5.4.7.2 SR-IOV 支持VLAN透传")
    assert expected(link_down, RECORD_NIC, RECORD_LAB) == {"FAIL"}
    assert expected(qinq, RECORD_NIC, set()) == {"FAIL"}
    assert expected(link_down, CONFORMANT, set()) == {"PASS"}
    assert expected(qinq, CONFORMANT, RECORD_LAB) == {"PASS"}
    assert expected(link_down, RECORD_NIC | CONFORMANT, set()) == {"PASS", "FAIL"}


def test_a_case_the_lab_cannot_judge_is_expected_to_skip():
    crash = lookup("待解决问题 VM同时添加sriov和vhost-user导致OVS崩溃重启")
    assert expected(crash, RECORD_NIC, set()) == {"SKIP"}
    assert expected(crash, RECORD_NIC, RECORD_LAB) == {"PASS"}


def test_measured_criteria_may_end_inconclusive_but_never_pass_for_a_fail():
    assert expected(lookup("5.4.8.2 SR-IOV 支持带宽分配比例设定"), RECORD_NIC, set()) == {"PASS", "SKIP"}
    assert expected(lookup("5.4.7.1 OVS 支持VLAN透传"), RECORD_NIC, set()) == {"PASS"}


def test_a_finding_about_the_records_servers_performance_is_not_predicted_on_the_embedded_lab():
    netperf = lookup("待解决问题 netperf over OVS-DPDK性能差")
    assert expected(netperf, RECORD_NIC, RECORD_LAB, "real") == {"FAIL", "SKIP"}
    assert expected(netperf, RECORD_NIC, set(), "embedded") == {"PASS", "FAIL", "SKIP"}
    assert expected(lookup("5.4.7.2 SR-IOV 支持VLAN透传"), RECORD_NIC, set(), "embedded") == {"FAIL"}


def test_the_longest_matching_row_wins_and_unknown_tests_have_none():
    assert lookup("5.4.8.1 OVS 支持带宽分配比例设定（流表方式）").name.endswith("（流表方式）")
    assert lookup("5.4.8.1 OVS 支持带宽分配比例设定").name == "5.4.8.1 OVS 支持带宽分配比例设定"
    assert lookup("5.4.2.1 SR-IOV链路状态感知测试 测试link up").record == "PASS"
    assert lookup("9.9.9 没有的用例") is None


def test_rows_name_only_known_behaviours_and_capabilities():
    for row in verdicts.RECORD:
        if row.nic_behaviour:
            assert all(hasattr(model, row.nic_behaviour) for model in verdicts.NIC_MODELS.values())
        if row.needs:
            assert row.needs in verdicts.CAPABILITIES


def test_a_run_is_checked_against_the_table(tmp_path, capsys):
    """A run on the record's NIC where 5.4.7.2 passed: the checker names it and exits 1."""
    output = run(
        tmp_path,
        {
            "5.4.7.1 OVS 支持VLAN透传": "No Operation",
            "5.4.7.2 SR-IOV 支持VLAN透传": "No Operation",
            "5.4.2.1 SR-IOV链路状态感知测试 测试link down": "Fail    VF 没有跟随 PF 断开",
            "9.9 新用例": "No Operation",
        },
    )
    assert verdicts.main([output]) == 1
    printed = capsys.readouterr().out
    assert "不符合  PASS（期望 FAIL，记录 FAIL）  5.4.7.2 SR-IOV 支持VLAN透传" in printed
    assert "符合  FAIL（期望 FAIL，记录 FAIL）  5.4.2.1" in printed
    assert "未知  9.9 新用例" in printed
    assert "1 个用例的结果与记录的结果表不符：5.4.7.2 SR-IOV 支持VLAN透传" in printed


def test_a_run_without_the_labs_metadata_is_refused(tmp_path, capsys):
    output = run(tmp_path, {"5.4.7.2 SR-IOV 支持VLAN透传": "No Operation"}, settings="")
    assert verdicts.main([output]) == 2
    assert "不知道这次运行的实验环境" in capsys.readouterr().err


@pytest.mark.parametrize("content", ["not xml", ""])
def test_an_unreadable_output_is_named(tmp_path, capsys, content):
    bad = tmp_path / "output.xml"
    bad.write_text(content, encoding="utf-8")
    assert verdicts.main([str(bad)]) == 2
    assert "读不了" in capsys.readouterr().err


def test_a_whole_chapter_run_must_have_every_case_of_the_table(tmp_path, capsys):
    """With --complete, a case of the chapter that the run left out is named; other chapters are not asked for."""
    output = run(tmp_path, {"5.4.7.1 OVS 支持VLAN透传": "No Operation"})
    assert verdicts.main([output]) == 0
    assert verdicts.main([output, "--complete"]) == 1
    printed = capsys.readouterr().out
    assert "缺少  5.4.7.2 SR-IOV 支持VLAN透传" in printed
    assert "缺少  Troubleshooting OVS异常重启导致vhostuser不通" in printed
    assert "7.3.5.1" not in printed


def test_a_rerun_decides_the_cases_it_ran_even_when_inconclusive(tmp_path, capsys):
    """--rerun: the rerun's status replaces the first run's for the tests it ran, a SKIP too (rebot --merge
    would keep the first FAIL); tests it did not run keep theirs."""
    first = run(
        tmp_path / "first",
        {
            "5.4.7.1 OVS 支持VLAN透传": "Fail    主机 vm01 没有应答",
            "5.4.8.2 SR-IOV 支持带宽分配比例设定": "Fail    主机 vm01 没有应答",
            "5.4.9.1 OVS支持正确转发组播包": "Fail    主机 vm01 没有应答",
        },
    )
    rerun = run(
        tmp_path / "rerun",
        {
            "5.4.7.1 OVS 支持VLAN透传": "No Operation",
            "5.4.8.2 SR-IOV 支持带宽分配比例设定": "Skip    无法判定：机器繁忙",
        },
    )
    assert verdicts.main([first]) == 1
    assert verdicts.main([first, "--rerun", rerun]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert "符合  PASS（期望 PASS，记录 PASS）  5.4.7.1 OVS 支持VLAN透传" in printed
    assert "符合  SKIP（期望 PASS/SKIP，记录 PASS）  5.4.8.2 SR-IOV 支持带宽分配比例设定" in printed
    assert "不符合  FAIL（期望 PASS，记录 PASS）  5.4.9.1 OVS支持正确转发组播包" in printed


def test_an_expected_status_for_another_reason_departs(tmp_path, capsys):
    """The record's FAIL must be for the record's reason, a SKIP for a missing capability must name it, and
    a verdict on emulated behaviour (tag emulated-...) must say so: otherwise the status alone does not count."""
    output = run(
        tmp_path,
        {
            "5.4.2.1 SR-IOV链路状态感知测试 测试link down": "Fail    主机 vm01 没有应答",
            "5.4.7.2 SR-IOV 支持VLAN透传": "Fail    网卡的表现：不支持 QinQ",
            "5.4.4 支持vNIC多队列": "Skip    无法判定：机器繁忙",
            "待解决问题 VM同时添加sriov和vhost-user导致OVS崩溃重启": "Skip    （实验环境不具备 sriov_passthrough）",
            "5.4.3 SR-IOV网卡的桥接功能": "Set Tags    emulated-nic",
        },
    )
    assert verdicts.main([output]) == 1
    printed = capsys.readouterr().out
    assert (
        "不符合  FAIL（期望 FAIL，记录 FAIL）  5.4.2.1 SR-IOV链路状态感知测试 测试link down：FAIL 的原因不是记录的"
        in printed
    )
    assert "\n符合  FAIL（期望 FAIL，记录 FAIL）  5.4.7.2" in printed
    assert (
        "不符合  SKIP（期望 SKIP，记录 PASS）  5.4.4 支持vNIC多队列：SKIP 的原因不是缺少能力 msix_interrupts" in printed
    )
    assert "\n符合  SKIP（期望 SKIP，记录 PASS）  待解决问题 VM同时添加sriov" in printed
    assert (
        "不符合  PASS（期望 PASS，记录 PASS）  5.4.3 SR-IOV网卡的桥接功能：判定依赖模拟行为（标签 emulated-nic）"
        in printed
    )
    assert "3 个用例的结果与记录的结果表不符" in printed
