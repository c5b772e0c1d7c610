"""The record's verdict table, and a run's outcome checked against it.

    python -m netvirt.verdicts results/output.xml

The record (``网络虚拟化用例记录.md``) is a table of verdicts: each case PASS or FAIL on the record's
lab, two of them FAIL because of how the record's ConnectX-4 (OFED 4.3) behaves. ``RECORD`` holds that
table; ``expected`` says what a case should come out as on the lab of a run: the record's verdict,
unless the verdict depends on a NIC behaviour (then the NIC model of the run decides: a NIC that
behaves as the kernel documents passes where the record's failed) or the case needs a capability the
lab lacks (then SKIP with the reason). A case whose criterion is a measurement may also end SKIP as
inconclusive (a busy machine is not a product FAIL).

The run's lab is read from the metadata ``LabLibrary`` writes into ``output.xml`` (``网卡型号``,
``实验环境能力``). The exit status is 1 when a case came out otherwise than expected, naming it.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from robot.errors import DataError

from netvirt import emulation
from netvirt.labspec import CAPABILITIES, NIC_MODELS

NIC_MODEL_METADATA = "网卡型号"
CAPABILITIES_METADATA = "实验环境能力"
LAB_KIND_METADATA = "实验环境类型"


@dataclass(frozen=True)
class Verdict:
    """One row of the record's verdict table."""

    name: str  # the test's name: the record's number and Chinese name (a prefix of it is enough)
    record: str  # what the record says: PASS, FAIL, or its words for a case it did not judge
    nic_behaviour: str | None = None  # a NicModel field the verdict depends on (PASS if the NIC has it)
    needs: str | None = None  # a capability without which the case cannot be judged (SKIP)
    inconclusive_ok: bool = False  # a measured criterion: SKIP with the figures on a busy machine
    # The verdict is a finding about the record's servers' performance, which the embedded lab does not
    # model (its figures are those of TCG guests on this machine): there the case judges the lab it runs on,
    # and any verdict it reaches is that lab's, not a departure from the record.
    record_hardware_only: bool = False
    # Words of the record's reason a FAIL that the NIC model expects must give: a FAIL for another reason
    # (a broken lab, a ping lost on a busy machine) is not the record's finding.
    fail_reason: str | None = None
    chapter: str = "5.4"  # the suite directory that runs it: suites/5.4_网络虚拟化 or suites/7.3_虚拟层性能


RECORD: tuple[Verdict, ...] = (
    Verdict("5.1.1 Hypervisor版本要求", "PASS"),
    Verdict("5.4.1.1 OVS采用DPDK", "PASS"),
    Verdict("5.4.1.2 OVS支持numa感知", "PASS"),
    Verdict("5.4.2.1 SR-IOV链路状态感知测试 测试link up", "PASS"),
    Verdict(
        "5.4.2.1 SR-IOV链路状态感知测试 测试link down",
        "FAIL",
        nic_behaviour="vf_auto_follows_pf",
        fail_reason="VF 没有跟随 PF 断开",
    ),
    Verdict("5.4.2.2 Hypervisor允许只使用一对物理网口", "PASS"),
    # The record did not judge it ("待澄清测试场景后测试"); the suite's scenario is tagged provisional.
    Verdict("5.4.2.3 SR-IOV与虚拟交换机互通", "PASS"),
    Verdict("5.4.3 SR-IOV网卡的桥接功能", "PASS"),
    Verdict("5.4.4 支持vNIC多队列", "PASS", needs="msix_interrupts"),
    Verdict("5.4.5.1 OVS 网络隔离与地址复用", "PASS"),
    Verdict("5.4.5.2 SR-IOV 网络隔离与地址复用", "PASS"),
    Verdict("5.4.6.1 OVS MTU可调整", "PASS"),
    Verdict("5.4.6.2 SR-IOV MTU可调整", "PASS"),
    Verdict("5.4.7.1 OVS 支持VLAN透传", "PASS"),
    Verdict("5.4.7.2 SR-IOV 支持VLAN透传", "FAIL", nic_behaviour="vst_qinq", fail_reason="不支持 QinQ"),
    Verdict("5.4.8.1 OVS 支持带宽分配比例设定（流表方式）", "PASS", inconclusive_ok=True),
    Verdict("5.4.8.1 OVS 支持带宽分配比例设定", "PASS", inconclusive_ok=True),
    Verdict("5.4.8.2 SR-IOV 支持带宽分配比例设定", "PASS", inconclusive_ok=True),
    Verdict("5.4.9.1 OVS支持正确转发组播包", "PASS"),
    Verdict("5.4.9.2 SR-IOV支持正确转发组播包", "PASS"),
    # The record's Troubleshooting: after ovs-vswitchd restarts, vhost-user in client mode reconnects.
    Verdict("Troubleshooting OVS异常重启导致vhostuser不通", "PASS"),
    # 待解决问题: the record's open issues. The crash needs real VFs through VFIO.
    Verdict("待解决问题 VM同时添加sriov和vhost-user导致OVS崩溃重启", "PASS", needs="sriov_passthrough"),
    Verdict("待解决问题 netperf over OVS-DPDK性能差", "FAIL", inconclusive_ok=True, record_hardware_only=True),
    # 7.3: the record measured no figures there; the criteria are the lab description's.
    Verdict("7.3.5.1 基于10GE网卡的网络转发性能", "PASS", inconclusive_ok=True, chapter="7.3"),
    Verdict("7.3.6.1 基于10GE网卡的网络转发质量", "PASS", inconclusive_ok=True, chapter="7.3"),
)


def lookup(test_name: str) -> Verdict | None:
    """The row for a test: the longest row name the test's name starts with."""
    rows = [v for v in RECORD if test_name == v.name or test_name.startswith(v.name)]
    return max(rows, key=lambda v: len(v.name)) if rows else None


def expected(verdict: Verdict, nic_models: set[str], capabilities: set[str], lab_kind: str = "real") -> set[str]:
    """The statuses a case may end with on a lab of ``lab_kind`` with these NIC models and capabilities."""
    if verdict.needs is not None and verdict.needs not in capabilities:
        return {"SKIP"}
    if verdict.record_hardware_only and lab_kind == "embedded":
        return {"PASS", "FAIL", "SKIP"}
    status = verdict.record if verdict.record in ("PASS", "FAIL") else "PASS"
    if verdict.nic_behaviour is not None and nic_models:
        has = {getattr(NIC_MODELS[m], verdict.nic_behaviour) for m in nic_models}
        if has == {True}:
            status = "PASS"
        elif has == {False}:
            status = "FAIL"
        else:
            return {"PASS", "FAIL"}  # NICs of both kinds: each case says which NIC it judged
    return {status, "SKIP"} if verdict.inconclusive_ok else {status}


@dataclass(frozen=True)
class Outcome:
    name: str
    status: str
    allowed: frozenset[str]
    record: str
    problem: str = ""  # the status is allowed, but not for the record's reason (or an emulation unsaid)

    @property
    def as_expected(self) -> bool:
        return self.status in self.allowed and not self.problem


def reason_problem(verdict: Verdict, status: str, message: str, tags: list[str]) -> str:
    """Why an allowed status still departs from the table: an expected FAIL without the record's reason,
    a SKIP for a missing capability that does not name it, a verdict on emulated behaviour that does not
    say so ("" when none of these)."""
    if status == "FAIL" and verdict.fail_reason and verdict.fail_reason not in message:
        return f"FAIL 的原因不是记录的（消息中没有“{verdict.fail_reason}”）"
    if status == "SKIP" and verdict.needs and f"实验环境不具备 {verdict.needs}" not in message:
        return f"SKIP 的原因不是缺少能力 {verdict.needs}"
    emulated = [t for t in tags if t.startswith(emulation.TAG_PREFIX)]
    if status in ("PASS", "FAIL") and emulated and emulation.MARK not in message:
        return f"判定依赖模拟行为（标签 {', '.join(emulated)}），消息却没有注明{emulation.MARK}"
    return ""


def _split(value: str) -> set[str]:
    return {part.strip() for part in value.replace("，", ",").split(",") if part.strip()}


def check(output_xml: Path, reruns: tuple[Path, ...] = ()) -> tuple[list[Outcome], list[str], set[str], set[str]]:
    """Compare a run with the table: outcomes of the tests the table knows, names of those it does not.

    ``reruns`` are outputs of ``robot --rerunfailed`` runs of the same suites: a test they ran comes out as
    it did in the last of them (the lab is the first run's: its metadata is read). Unlike ``rebot --merge``,
    a SKIP in the rerun counts: an inconclusive rerun of a case that failed is inconclusive.
    """
    from robot.api import ExecutionResult

    result = ExecutionResult(str(output_xml))
    last = {test.full_name: test for path in reruns for test in ExecutionResult(str(path)).suite.all_tests}
    metadata = result.suite.metadata
    if NIC_MODEL_METADATA not in metadata or CAPABILITIES_METADATA not in metadata:
        raise ValueError(
            f"没有元数据“{NIC_MODEL_METADATA}”与“{CAPABILITIES_METADATA}”（由 记录实验环境 写入）："
            "不知道这次运行的实验环境"
        )
    models = _split(metadata[NIC_MODEL_METADATA]) - {"未声明"}
    lab_kind = metadata.get(LAB_KIND_METADATA, "real")
    capabilities = _split(metadata[CAPABILITIES_METADATA]) - {"无"}
    unknown_models = models - set(NIC_MODELS)
    if unknown_models or capabilities - set(CAPABILITIES):
        raise ValueError(f"{output_xml} 中的网卡型号或实验环境能力不认识：{models} {capabilities}")
    outcomes, unknown = [], []
    for test in result.suite.all_tests:
        test = last.get(test.full_name, test)
        verdict = lookup(test.name)
        if verdict is None:
            unknown.append(test.name)
            continue
        allowed = expected(verdict, models, capabilities, lab_kind)
        problem = reason_problem(verdict, test.status, test.message, list(test.tags))
        outcomes.append(Outcome(test.name, test.status, frozenset(allowed), verdict.record, problem))
    return outcomes, unknown, models, capabilities


def missing(outcomes: list[Outcome]) -> list[str]:
    """Rows of every chapter the run touched that no test of the run judged (a case left out or renamed)."""
    judged = {lookup(o.name) for o in outcomes}
    chapters = {v.chapter for v in judged if v is not None}
    return [v.name for v in RECORD if v.chapter in chapters and v not in judged]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netvirt.verdicts", description=__doc__.splitlines()[0])
    parser.add_argument("output_xml", type=Path, help="Robot 的 output.xml")
    parser.add_argument(
        "--complete",
        action="store_true",
        help="运行的是整章：该章结果表中的每个用例都必须在运行中出现（缺少的用例算不符）",
    )
    parser.add_argument(
        "--rerun",
        type=Path,
        action="append",
        default=[],
        help="robot --rerunfailed 的 output.xml：重跑过的用例按（最后一次）重跑的结果判定",
    )
    args = parser.parse_args(argv)
    try:
        outcomes, unknown, models, capabilities = check(args.output_xml, tuple(args.rerun))
    except (ValueError, OSError, DataError) as error:
        print(f"verdicts: 读不了 {args.output_xml}：{error}", file=sys.stderr)
        return 2
    print(f"网卡型号：{'、'.join(sorted(models)) or '未记录'}；实验环境能力：{'、'.join(sorted(capabilities)) or '无'}")
    for outcome in outcomes:
        mark = "符合" if outcome.as_expected else "不符合"
        allowed = "/".join(sorted(outcome.allowed))
        why = f"：{outcome.problem}" if outcome.problem else ""
        print(f"{mark}  {outcome.status:<4}（期望 {allowed}，记录 {outcome.record}）  {outcome.name}{why}")
    for name in unknown:
        print(f"未知  {name}：记录的结果表中没有这个用例")
    wrong = [o.name for o in outcomes if not o.as_expected]
    absent = missing(outcomes) if args.complete else []
    for name in absent:
        print(f"缺少  {name}：整章运行中没有这个用例（被删去、改名或没有运行）")
    if wrong or absent:
        print(f"verdicts: {len(wrong) + len(absent)} 个用例的结果与记录的结果表不符：" + "；".join(wrong + absent))
        return 1
    print(f"verdicts: {len(outcomes)} 个用例的结果都与记录的结果表相符")
    return 0


if __name__ == "__main__":
    sys.exit(main())
