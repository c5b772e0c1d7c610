"""The generated test record (netvirt.record) against a fixture run and against netvirt.evidence.

The fixture ``tests/fixtures/record-output.xml`` and its evidence file ``record-output.evidence.jsonl``
are the output of the suite in ``tests/fixtures/robot/`` (same structure as the chapter, its evidence
handed to netvirt.evidence as the libraries do, no lab); the command that regenerates them is in that
suite's documentation, and a test below checks they are up to date.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import robot
from robot.result import Keyword
from robot.result import TestCase as RobotTest  # not "Test*": pytest would try to collect it

from netvirt import evidence, evidencefile, record
from netvirt.ssh import CommandResult

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OUTPUT_XML = FIXTURES / "record-output.xml"
FIXTURE_SUITE = FIXTURES / "robot" / "5.4_网络虚拟化"
LISTENER = "netvirt.evidencefile.EvidenceListener"  # robot.toml registers it; robot.run reads no robot.toml


@pytest.fixture(scope="module")
def text() -> str:
    return record.render(OUTPUT_XML)


def timeless(markdown: str) -> str:
    return re.sub(r"开始于 [^，]+，用时 [^；]+|用时 [\d.]+ 秒", "", markdown)


def headings(markdown: str) -> list[str]:
    """Heading lines outside code blocks."""
    found, in_code = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and re.match(r"#{1,6} ", line):
            found.append(line)
    return found


def section(markdown: str, heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = markdown.splitlines()
    start = lines.index(heading) + 1
    end = next(
        (
            i
            for i in range(start, len(lines))
            if re.match(rf"#{{1,{level}}} ", lines[i]) and lines[i] in headings(markdown)
        ),
        len(lines),
    )
    return "\n".join(lines[start:end])


def test_headings_follow_the_records_order(text):
    assert headings(text) == [
        "# 网络虚拟化测试记录",
        "# 测试前准备",
        "## 服务器配置",
        "## 5.1.1\tHypervisor版本要求",
        "### 测试结果 -- PASS",
        "## 测试前准备",
        "### 主机应可登录",
        "### 启动并配置OVS",
        "### 创建并配置VM",
        "# 5.4\t网络虚拟化",
        "## 5.4.1.1\tOVS采用DPDK",
        "### 测试结果 -- PASS",
        "## 5.4.1.2\tOVS支持numa感知",
        "### 测试结果 -- PASS",
        "## 5.4.2\t支持SR-IOV网卡",
        "### 创建VF",
        "## 5.4.2.1\tSR-IOV链路状态感知测试",
        "### 测试结果 -- FAIL",
        "## 5.4.2.3\tSR-IOV与虚拟交换机互通",
        "### 测试结果 -- SKIP",
    ]


def test_front_sums_up_the_run_and_links_every_section(text):
    assert "> 结果：5 个用例，PASS 3，FAIL 1，SKIP 1。" in text
    assert "实验环境：embedded lab nvf1（embedded）" in text
    assert (
        "| 5.4.2.1 | SR-IOV链路状态感知测试 | **FAIL** | VF 的 link-state 为 auto 时，VM 没有感知 PF 的 link down |"
        in text
    )
    # Anchors as the record's own table of contents has them: tab dropped, duplicates numbered.
    assert "- [5.4\t网络虚拟化](#54网络虚拟化)" in text
    assert "    - [测试结果 -- PASS](#测试结果----pass-1)" in text


def test_case_quotes_its_requirement_before_the_result(text):
    case = section(text, "## 5.4.1.1\tOVS采用DPDK")
    assert case.index("要求：VM 经 dpdkvhostuser 端口接入 ovsbr0。\n验证：两个 VM 可以互相 ping 通。") < case.index(
        "### 测试结果 -- PASS"
    )
    assert "标签：`dpdk` `ovs` `vm`" in case


def test_failed_and_skipped_cases_give_the_reason(text):
    failed = section(text, "## 5.4.2.1\tSR-IOV链路状态感知测试")
    assert "> 失败原因：VF 的 link-state 为 auto 时，VM 没有感知 PF 的 link down\n> （ConnectX-4 的已知行为）" in failed
    assert "[hostb]# ip link set dev enP5p1s0 down" in failed
    skipped = section(text, "## 5.4.2.3\tSR-IOV与虚拟交换机互通")
    assert "> 跳过原因：实验环境没有真实的 SR-IOV 网卡" in skipped


def test_server_configuration_is_read_from_the_lab(text):
    config = section(text, "## 服务器配置")
    assert "| 服务器 | Host A | Host B | Note |" in config
    assert "| kernel | 6.1.0-fixture | 6.1.0-fixture | `uname -r` |" in config
    assert "| QEMU version | NA | 7.2.22 | libvirt 报告 |" in config
    assert "| OVS(with DPDK) version | NA | 3.1.0 | OVSDB `ovs_version` |" in config
    assert "enP5p1s0 0005:01:00.0 → hostb:enP5p1s0, SR-IOV 8 VF, 10000 Mb/s" in config
    assert "enP5p1s0 0005:01:00.0 → hosta:enP5p1s0, 无 SR-IOV, 10000 Mb/s" in config
    assert "注: Host A/Host B 为网络命名空间" in config
    assert "| VM | VM01 |" in config and "| vCPU | 2 |" in config
    # Shown once, in 服务器配置, not again with the setup's evidence.
    assert text.count("实验环境：embedded lab nvf1") == 1


def test_commands_and_outputs_are_bash_blocks_without_the_labs_env_wrapper(text):
    case = section(text, "## 5.4.1.1\tOVS采用DPDK")
    assert "```bash\n#显示OVS配置\n[hostb]# ovs-vsctl show\nf81a1c52\n    Bridge ovsbr0\n" in case
    assert "OVS_RUNDIR" not in text
    # A step that is one command given as an argument gets no comment repeating it.
    assert "#记录命令" not in case and "[vm01]# ethtool -l eth1\nCombined:\t2" in case
    assert "#配置业务地址 vm01 eth1 5.5.5.51/24\n[vm01]# ip -4 addr flush dev eth1" in case


def test_configuration_shows_the_commands_then_the_final_state_once(text):
    ovs = section(text, "### 启动并配置OVS")
    assert ovs.count("[hostb]# ovs-vsctl show") == 1
    assert ovs.index("ovs-vsctl add-br ovsbr0") < ovs.index("ovs-vsctl add-port ovsbr0 dpdkvhostuser0")
    assert ovs.index("ovs-vsctl add-port ovsbr0 dpdkvhostuser0") < ovs.index("[hostb]# ovs-vsctl show")
    assert "        Port dpdkvhostuser0" in ovs


def test_teardown_that_restores_the_lab_is_not_evidence(text):
    assert section(text, "## 5.4.1.1\tOVS采用DPDK").count("ip -4 addr flush dev eth1") == 1


def test_ping_matrix_becomes_a_markdown_table_with_marked_cells_bold(text):
    case = section(text, "## 5.4.1.1\tOVS采用DPDK")
    assert "记录连通性：\n\n**连通性**\n\n| ping to | 5.5.5.11 | 5.5.5.44 |\n| --- | --- | --- |" in case
    assert "| 5.5.5.11 | self | **N** |" in case
    assert r"| 5.5.5.44 | Y\|N | self |" in case


def test_one_row_tables_of_one_check_become_one_table(text):
    case = section(text, "## 5.1.1\tHypervisor版本要求")
    assert case.count("| 软件 | 要求 | 实际 | 结果 |") == 1
    assert "| Host OS (kernel) | >= 3.10.0 | 6.1.0 | PASS |\n| openvswitch | >= 2.5.0 | 3.1.0 | PASS |" in case


def test_long_output_is_cut_with_a_pointer_to_the_log(text):
    assert "line 50\n...（省略 30 行，完整输出见 log.html）" in text
    assert "line 51" not in text


def test_xml_gets_its_own_block_and_sub_suite_setup_its_own_section(text):
    assert '虚拟机 nvf1-vm01 的 domain XML\n```xml\n<domain type="qemu">\n  <name>nvf1-vm01</name>' in text
    setup = section(text, "### 创建VF")
    assert "[hostb]# cat /sys/class/net/enP5p1s0/device/sriov_numvfs\n2" in setup


def test_block_titled_with_its_command_reads_as_the_command(text):
    case = section(text, "## 5.4.1.2\tOVS支持numa感知")
    assert '#ovs-vsctl list Open_vSwitch | grep other_config\nother_config : {dpdk-init="true"}' in case
    assert "\n[hosta]# iperf3 -c 5.5.5.51 -J\nrc=0，3.3 秒" in case


def test_warnings_are_kept_and_logging_steps_not_commented(text):
    case = section(text, "## 5.4.1.1\tOVS采用DPDK")
    assert "> WARN：吞吐量图" in case
    assert "#Log" not in text


def test_command_line_writes_record_and_pictures(tmp_path, capsys):
    out = tmp_path / "记录.md"
    assert record.main([str(OUTPUT_XML), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("# 网络虚拟化测试记录\n")
    assert "![吞吐量](img/record-1.png)" in out.read_text(encoding="utf-8")
    assert (tmp_path / "img" / "record-1.png").read_bytes().startswith(b"\x89PNG")
    assert str(out) in capsys.readouterr().out


def test_command_line_default_name_comes_from_the_record_metadata(tmp_path):
    copy = tmp_path / "output.xml"
    copy.write_bytes(OUTPUT_XML.read_bytes())
    shutil.copy(evidencefile.path_for(OUTPUT_XML), evidencefile.path_for(copy))
    assert record.main([str(copy)]) == 0
    assert (tmp_path / "网络虚拟化测试记录.md").exists()


def test_command_line_names_an_unreadable_output(tmp_path, capsys):
    assert record.main([str(tmp_path / "missing.xml")]) == 2
    assert "missing.xml" in capsys.readouterr().err


def test_command_line_refuses_an_output_without_its_evidence_file(tmp_path, capsys):
    """An output.xml of a run before the evidence file (or without the listener) is refused, saying why."""
    copy = tmp_path / "output.xml"
    copy.write_bytes(OUTPUT_XML.read_bytes())
    assert record.main([str(copy)]) == 2
    err = capsys.readouterr().err
    assert f"没有证据文件 {tmp_path / 'output.evidence.jsonl'}" in err and "EvidenceListener" in err
    assert not (tmp_path / "网络虚拟化测试记录.md").exists()
    evidencefile.path_for(copy).write_text('{"format": "something else"}\n', encoding="utf-8")
    assert record.main([str(copy)]) == 2
    assert "不是 netvirt 证据文件" in capsys.readouterr().err


def test_fixture_output_is_that_of_the_fixture_suite(tmp_path):
    """The committed output.xml still matches tests/fixtures/robot (rerun it if this fails)."""
    robot.run(
        str(FIXTURE_SUITE),
        outputdir=str(tmp_path),
        output="output.xml",
        log="NONE",
        report="NONE",
        language="zh-CN",
        listener=LISTENER,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    assert timeless(record.render(tmp_path / "output.xml")) == timeless(record.render(OUTPUT_XML))


# --- the evidence as data, as netvirt.evidence hands it on ---------------------------------------------


@pytest.fixture
def handed(monkeypatch) -> list[tuple[str, str, dict]]:
    """What netvirt.evidence logs (HTML, captured instead of going to Robot) and hands on as data."""
    seen: list[tuple[str, str, dict]] = []
    logged: list[str] = []
    monkeypatch.setattr(evidence.logger, "info", lambda msg, html=False: logged.append(msg))

    def sink(kind: str, payload: dict) -> None:
        seen.append((kind, logged[-1], payload))

    evidence.add_sink(sink)
    yield seen
    evidence.remove_sink(sink)


def _item(kind: str, payload: dict) -> evidencefile.Item:
    return evidencefile.Item(seq=1, owner=("test", "t"), path=(), keyword="k", kind=kind, payload=payload)


def test_commands_are_read_as_the_log_shows_them(handed):
    evidence.command(CommandResult("hostb", "ovs-vsctl show | grep '<x>'", 1, 'a & "b"\n', "err\n", 0.1))
    evidence.command(CommandResult("vm01", "ip -4 addr flush dev eth1", 0, "", "", 0.1))
    (kind, html, failed), (_, _, flushed) = handed
    assert kind == "command" and "[rc=1]" in html and "a &amp; &quot;b&quot;\nerr</pre>" in html
    assert record.from_item(_item(kind, failed)) == record.Command(
        host="hostb", command="ovs-vsctl show | grep '<x>'", output='a & "b"\nerr', status="[rc=1]"
    )
    assert record.from_item(_item(kind, flushed)) == record.Command("vm01", "ip -4 addr flush dev eth1", "")


def test_tables_blocks_and_pictures_are_read_as_the_log_shows_them(handed):
    evidence.table(["ping to", " 5.5.5.44 "], [("5.5.5.11", "N"), (), ("5.5.5.44", 7)], "连通性", highlight=[(0, 1)])
    evidence.pre("OVS 版本", "ovs_version: 3.1.0\n")
    evidence.image("吞吐量", b"\x89PNG")
    evidence.equivalent("ovs-vsctl add-br ovsbr0")
    evidence.lab_note("Host A/Host B 为网络命名空间")
    table, pre, image, equivalent, note = (record.from_item(_item(kind, payload)) for kind, _, payload in handed)
    assert table == record.Table(
        "连通性",
        ("ping to", "5.5.5.44"),  # cells as the log shows them: without surrounding blanks, no empty row
        ((record.Cell("5.5.5.11"), record.Cell("N", marked=True)), (record.Cell("5.5.5.44"), record.Cell("7"))),
    )
    assert pre == record.Pre("OVS 版本", "ovs_version: 3.1.0")
    assert image == record.Image("吞吐量", "data:image/png;base64,iVBORw==")
    assert 'src="data:image/png;base64,iVBORw=="' in handed[2][1]
    assert equivalent == record.Equivalent("ovs-vsctl add-br ovsbr0")
    assert handed[3][1] == "等效命令：ovs-vsctl add-br ovsbr0"
    assert note == record.Note("Host A/Host B 为网络命名空间", about_lab=True)


def test_evidence_of_a_worker_thread_is_neither_logged_nor_handed_on():
    """Robot drops messages of threads other than the keyword's; the data follows the same rule."""
    seen: list[str] = []

    def sink(kind: str, payload: dict) -> None:
        seen.append(kind)

    evidence.add_sink(sink)
    try:
        worker = threading.Thread(target=evidence.pre, args=("x", "y"))
        worker.start()
        worker.join()
        assert seen == []
        evidence.pre("x", "y")  # the keyword's own thread
        assert seen == ["pre"]
    finally:
        evidence.remove_sink(sink)


def test_warnings_are_notes_for_the_reader():
    assert record.from_message("WARN", " 吞吐量图 ") == record.Note("WARN：吞吐量图")
    assert record.from_item(_item("message", {"level": "ERROR", "text": "x"})) == record.Note("ERROR：x")


# --- the pieces ---------------------------------------------------------------------------------------


def test_a_snapshot_before_any_change_is_kept():
    show = record.Command("hostb", "ovs-vsctl show", "before")
    after1 = record.Command("hostb", "ovs-vsctl show", "after 1")
    after2 = record.Command("hostb", "ovs-vsctl show", "after 2")
    add, set_ = record.Equivalent("ovs-vsctl add-br b"), record.Equivalent("ovs-vsctl set b")
    assert record.collapse_snapshots([show, add, after1, set_, after2]) == [show, add, set_, after2]
    # A different command in between: both snapshots are evidence of their own.
    ping = record.Command("vm01", "ping", "ok")
    assert record.collapse_snapshots([add, after1, ping, set_, after2]) == [add, after1, ping, set_, after2]


def _step(name: str, start: datetime, seconds: float) -> Keyword:
    return Keyword(name=name, start_time=start, elapsed_time=timedelta(seconds=seconds))


def test_setups_merged_from_parallel_processes_are_told_apart():
    t0 = datetime(2026, 1, 1, 12, 0, 0)
    setup = Keyword(name="测试前准备")
    # Two processes, started together: the second's first step starts before the first's last ended.
    setup.body.extend([_step("搭建实验环境", t0, 5), _step("启动并配置OVS", t0 + timedelta(seconds=5), 5)])
    setup.body.extend(
        [_step("搭建实验环境", t0 + timedelta(seconds=1), 5), _step("启动并配置OVS", t0 + timedelta(seconds=6), 1)]
    )
    assert [len(r) for r in record.setup_rounds(setup)] == [2, 2]
    # One process calling one keyword twice is one round.
    single = Keyword(name="创建VF")
    single.body.extend([_step("记录命令", t0, 1), _step("记录命令", t0 + timedelta(seconds=1), 1)])
    assert [len(r) for r in record.setup_rounds(single)] == [2]
    # Two processes one after the other: the same steps over again, no overlap.
    after = Keyword(name="测试前准备")
    after.body.extend([_step("搭建实验环境", t0, 1), _step("启动并配置OVS", t0 + timedelta(seconds=1), 1)])
    after.body.extend(
        [_step("搭建实验环境", t0 + timedelta(seconds=3), 1), _step("启动并配置OVS", t0 + timedelta(seconds=4), 1)]
    )
    assert [len(r) for r in record.setup_rounds(after)] == [2, 2]


def test_markdown_cells_escape_pipes_and_newlines():
    assert record.md_table(["a|b"], [[record.Cell("x\ny", marked=True)], [record.Cell("")]]) == [
        r"| a\|b |",
        "| --- |",
        "| **x<br>y** |",
        "|   |",
        "",
    ]


def test_numbers_and_names_are_split_as_the_record_writes_headings():
    assert record.split_number("5.4.1.1 OVS采用DPDK") == ("5.4.1.1", "OVS采用DPDK")
    assert record.numbered_heading("5.4.2.1 SR-IOV链路状态感知测试") == "5.4.2.1\tSR-IOV链路状态感知测试"
    assert record.split_number("测试前准备") == ("", "测试前准备")


def test_step_comments_show_the_values_variables_got():
    t0 = datetime(2026, 1, 1, 12, 0, 0)
    test = RobotTest(name="5.4.5.1 OVS 网络隔离与地址复用")
    test.body.create_var("${vm}", "vm02")
    attach = test.body.create_keyword(name="挂载网卡", args=("${vm}", "vhostuser"), assign=("${nic}=",), start_time=t0)
    attach.body.create_message("${nic} = eth2")
    use = test.body.create_keyword(
        name="配置业务地址", args=("${vm}", "${nic}", "5.5.5.52/24"), start_time=t0 + timedelta(seconds=1)
    )
    items = [
        evidencefile.Item(
            n,
            *evidencefile.location(kw),
            "",
            "command",
            {"host": "vm02", "command": cmd, "rc": 0, "ok": True, "stdout": "", "stderr": "", "seconds": 0},
        )
        for n, (kw, cmd) in enumerate([(attach, "ip link show dev eth2"), (use, "ip -4 addr flush dev eth2")])
    ]
    steps = [
        e.label for e in record.case_evidence(test, record.EvidenceIndex(test, [items])) if isinstance(e, record.Step)
    ]
    assert steps == ["挂载网卡 vm02 vhostuser", "配置业务地址 vm02 eth2 5.5.5.52/24"]


EMULATING_LIBRARY = """
from netvirt import emulation

def drive_the_emulated_nic():
    emulation.used("emulated-nic", "SR-IOV 网卡的 eswitch 与 VF 为模拟（型号 cx4-ofed4.3）")
"""

EMULATING_SUITE = """\
*** Settings ***
Library    LabLibrary
Library    emulating.py

*** Test Cases ***
5.4.2.1 SR-IOV链路状态感知测试 测试link down
    Drive The Emulated Nic
    Fail    VF 没有跟随 PF 断开

5.4.7.1 OVS 支持VLAN透传
    No Operation
"""


def run_with_library(directory: Path, name: str, library: str, suite: str) -> Path:
    """Run ``suite`` (its text) with the library ``name`` (its text) beside it and the evidence listener; return
    its output.xml."""
    (directory / f"{name}.py").write_text(library, encoding="utf-8")
    (directory / "suite.robot").write_text(suite, encoding="utf-8")
    output = directory / "output.xml"
    robot.run(
        directory / "suite.robot",
        output=output,
        log=None,
        report=None,
        pythonpath=[str(directory)],
        listener=LISTENER,
        stdout=io.StringIO(),
        console="none",
    )
    return output


def test_verdicts_on_emulated_behaviour_are_tagged_and_said_in_message_and_record(tmp_path):
    """LabLibrary's listener declares what a test drove that the lab emulates; the record repeats it."""
    output = run_with_library(tmp_path, "emulating", EMULATING_LIBRARY, EMULATING_SUITE)
    result = robot.api.ExecutionResult(str(output))
    emulated, plain = result.suite.tests
    assert "emulated-nic" in emulated.tags and "emulated-nic" not in plain.tags
    assert emulated.status == "FAIL"
    assert emulated.message.splitlines()[0] == "VF 没有跟随 PF 断开"  # the failure stays first
    assert emulated.message.splitlines()[1].startswith("【模拟】本判定依赖本机模拟的行为")
    assert "cx4-ofed4.3" in emulated.message and not plain.message
    markdown = record.render(output)
    assert "> 模拟：1 个用例的判定依赖本机模拟的行为（标签 `emulated-nic`）" in markdown
    row = next(line for line in markdown.splitlines() if line.startswith("| 5.4.2.1 "))
    assert "VF 没有跟随 PF 断开" in row and "【模拟】" in row
    row = next(line for line in markdown.splitlines() if line.startswith("| 5.4.7.1 "))
    assert "【模拟】" not in row


THREADED_LIBRARY = """
import threading
from netvirt import evidence
from netvirt.ssh import CommandResult
from robot.api import logger

def ping_from(host):
    evidence.command(CommandResult(host, "ping -c 1 5.5.5.11", 0, "1 received", "", 0.1))

def ping_in_a_worker():
    worker = threading.Thread(target=ping_from, args=("worker",))
    worker.start()
    worker.join()
    logger.warn("worker 的输出只在其线程里")
"""

THREADED_SUITE = """\
*** Settings ***
Library    threaded.py

*** Test Cases ***
5.4.1.1 OVS采用DPDK
    FOR    ${host}    IN    vm01    vm02
        Ping From    ${host}
    END
    Ping In A Worker
"""


def test_record_of_a_run_from_its_evidence_file(tmp_path):
    """A small run: evidence inside a FOR loop is the loop's, a worker thread's is in neither the log nor the
    evidence file, warnings are notes; the record is written from the evidence file beside output.xml."""
    output = run_with_library(tmp_path, "threaded", THREADED_LIBRARY, THREADED_SUITE)
    items = list(evidencefile.read(evidencefile.path_for(output)))
    assert [(i.kind, i.keyword, len(i.path)) for i in items] == [
        ("command", "threaded.Ping From", 3),  # FOR, its iteration, the keyword
        ("command", "threaded.Ping From", 3),
        ("message", "threaded.Ping In A Worker", 1),
    ]
    assert "[worker]# ping" not in output.read_text(encoding="utf-8")  # not logged either
    case = section(record.render(output), "## 5.4.1.1\tOVS采用DPDK")
    assert "[vm01]# ping -c 1 5.5.5.11\n1 received\n[vm02]# ping -c 1 5.5.5.11" in case
    assert "[worker]" not in case
    assert "> WARN：worker 的输出只在其线程里" in case


STARTING_LIBRARY = """
from netvirt import evidence
from netvirt.ssh import CommandResult
from robot.api import logger
from robot.api.deco import keyword, library

@library(listener="SELF")
class starting:
    ROBOT_LISTENER_API_VERSION = 3

    def start_test(self, data, result):
        logger.warn("用例开始前，虚拟机 vm01 不应答，先重启")
        evidence.command(CommandResult("vm01", "uname -sr", 0, "Linux 6.1.0-57-amd64", "", 0.1))

    @keyword
    def ping_from(self, host):
        evidence.command(CommandResult(host, "ping -c 1 5.5.5.11", 0, "1 received", "", 0.1))
"""

STARTING_SUITE = """\
*** Settings ***
Library    starting.py

*** Test Cases ***
5.4.1.1 OVS采用DPDK
    Ping From    vm01
"""


def test_evidence_a_listener_logs_as_a_test_starts_opens_the_cases_evidence(tmp_path):
    """VMLibrary restarts a guest that does not answer as a test starts, before any step: the warning and the
    evidence of it are the test's own (Robot puts the messages in the test's body), first in the case's record."""
    output = run_with_library(tmp_path, "starting", STARTING_LIBRARY, STARTING_SUITE)
    case = section(record.render(output), "## 5.4.1.1\tOVS采用DPDK")
    start = case.index("用例开始前：\n")
    assert start < case.index("> WARN：用例开始前，虚拟机 vm01 不应答，先重启") < case.index("[vm01]# uname -sr"), case
    assert case.index("[vm01]# uname -sr") < case.index("[vm01]# ping -c 1 5.5.5.11"), case


def test_pabot_processes_each_write_their_evidence_and_the_merged_record_reads_them_all(tmp_path):
    """pabot runs the chapter's setup in every process and merges the setups into one: the record places
    each process's evidence by its steps' start times (the same record as robot's, but for the rounds)."""
    venv_bin = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{venv_bin}:{os.environ['PATH']}", "ROBOT_OPTIONS": ""}
    argv = [str(venv_bin / "pabot"), "--processes", "2", "--language", "zh-CN", "--listener", LISTENER]
    run = subprocess.run(
        [*argv, "--outputdir", str(tmp_path), "--log", "NONE", "--report", "NONE", str(FIXTURE_SUITE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (tmp_path / "output.xml").exists(), run.stdout + run.stderr
    assert len(list(tmp_path.glob(f"pabot_results/**/*{evidencefile.SUFFIX}"))) == 3  # one per suite file
    markdown = record.render(tmp_path / "output.xml")
    assert "本次运行用了 3 个实验环境（pabot 每个进程一个），下表为第一个。" in markdown
    # The chapter's setup ran in each of the 3 processes (2 at a time: whether two of them overlapped depends on
    # timing, so the rounds are also told apart by their repeated steps); 5.4.2's own setup ran once.
    assert "本用例集启程由 3 个进程各执行了一次（pabot），下面是第一次。" in markdown
    case = "## 5.4.1.1\tOVS采用DPDK"
    assert timeless(section(markdown, case)) == timeless(section(record.render(OUTPUT_XML), case))
