"""Verdicts that survive a busy machine: the DUT's figures against a criterion, a confirmation, a baseline.

A busy machine (other labs on its cores) makes a path lose frames and delay probes; it never makes a
path carry more than it can. So:

1. The search's figure meets the criterion: PASS.
2. Otherwise the criterion's load is offered again, up to ``CONFIRM_TRIALS`` times: one trial that
   meets it (no loss beyond the goal, the generator on time) proves the DUT carries it: PASS.
3. Otherwise the same load crosses the baseline (``topology.Scenario.baseline``: a plain veth pair,
   no DUT) in the same run. If the baseline fails too, or the machine's load exceeded its CPUs, the
   run cannot tell the DUT from the machine: inconclusive (SKIP, with the figures). Only a DUT that
   fails while the baseline, on a machine that is not overloaded, passes is a FAIL.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from netvirt.perf.measurer import TrialResult

CONFIRM_TRIALS = 3
SHORTFALL_TOLERANCE = 0.01  # the search's own tolerance for a generator's timing


class Verdict(enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "无法判定"


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str


def trial_meets(result: TrialResult, loss_ratio: float) -> bool:
    """Whether one trial carried its load: the generator offered it on time and the loss is within ``loss_ratio``."""
    return result.shortfall <= SHORTFALL_TOLERANCE and result.loss_ratio <= loss_ratio


def describe(result: TrialResult) -> str:
    late = f"，发生器超时 {result.shortfall:.1%}" if result.shortfall > SHORTFALL_TOLERANCE else ""
    return f"发送 {result.sent}，接收 {result.received}，丢包率 {result.loss_ratio:.3%}{late}"


def criterion_for(criteria: dict, frame_size: int) -> float | None:
    """The criterion of ``frame_size`` in ``{size: value}``: its own, else the nearest smaller size's (None: none)."""
    sizes = sorted(int(s) for s in criteria if int(s) <= frame_size)
    if not sizes:
        return None
    table = {int(k): float(v) for k, v in criteria.items()}
    return table[sizes[-1]]


def ndr_judgement(
    ndr_pps: float | None,
    need_pps: float,
    confirm: list[TrialResult],
    baseline: list[TrialResult],
    busy: bool,
    loss_ratio: float = 0.0,
) -> Judgement:
    """The NDR's verdict against ``need_pps`` (see the module): ``confirm`` and ``baseline`` trials at ``need_pps``."""
    found = f"{ndr_pps:,.0f}" if ndr_pps is not None else "无（最小负载也丢包）"
    if ndr_pps is not None and ndr_pps >= need_pps:
        return Judgement(Verdict.PASS, f"NDR {found} 帧/秒 ≥ 判据 {need_pps:,.0f} 帧/秒")
    for index, trial in enumerate(confirm, 1):
        if trial_meets(trial, loss_ratio):
            return Judgement(
                Verdict.PASS,
                f"搜索得到的 NDR {found} 帧/秒低于判据，但在判据负载 {need_pps:,.0f} 帧/秒上复测第 {index} 次"
                f"无丢包（{describe(trial)}）：被测设备能承载判据负载，搜索受到了干扰",
            )
    tried = "；".join(describe(t) for t in confirm) or "没有复测"
    base = "；".join(describe(t) for t in baseline) or "没有测量"
    base_ok = bool(baseline) and any(trial_meets(t, loss_ratio) for t in baseline)
    if not base_ok or busy:
        why = "基线（不经被测设备的 veth）同样承载不了" if not base_ok else "本机负载超过 CPU 数"
        return Judgement(
            Verdict.INCONCLUSIVE,
            f"NDR {found} 帧/秒低于判据 {need_pps:,.0f} 帧/秒，复测（{tried}）也不满足；但{why}"
            f"（基线：{base}）：分不清是被测设备还是本机繁忙，无法判定",
        )
    return Judgement(
        Verdict.FAIL,
        f"NDR {found} 帧/秒低于判据 {need_pps:,.0f} 帧/秒，判据负载上复测 {len(confirm)} 次都不满足（{tried}），"
        f"而同一时刻的基线（不经被测设备的 veth）承载了它（{base}），本机负载未超过 CPU 数",
    )


def quality_judgement(
    problems: list[str],
    retry_problems: list[str] | None,
    baseline_problems: list[str] | None,
    busy: bool,
    guest_problems: list[str] | None = None,
) -> Judgement:
    """A quality point's verdict: its problems, those of one repeat, and the baseline's at the same load.

    ``retry_problems`` None: the point could not be repeated (no path prepared), so only the machine's
    load tells a busy machine. ``baseline_problems`` None: the baseline was not measured. ``guest_problems``:
    what kept a guest of the path from answering its own management ping within the criterion while the path
    carried the same load (a guest that does not get the CPU delays every frame it forwards, whatever the
    switch or NIC does); empty or None when it answered in time or the path has no guest.
    """
    if not problems:
        return Judgement(Verdict.PASS, "满足判据")
    if retry_problems is not None and not retry_problems:
        return Judgement(Verdict.PASS, f"复测满足判据（首次：{'；'.join(problems)}）")
    if retry_problems is None:
        if busy:
            return Judgement(Verdict.INCONCLUSIVE, f"{'；'.join(problems)}，但本机负载超过 CPU 数：无法判定")
        return Judgement(Verdict.FAIL, "；".join(problems))
    if baseline_problems is None or baseline_problems or busy or guest_problems:
        if busy:
            why = "本机负载超过 CPU 数"
        elif guest_problems:
            why = f"路径上的虚拟机自身同时也应答迟缓（{'；'.join(guest_problems)}）"
        else:
            why = f"基线同样不满足（{'；'.join(baseline_problems or ['没有测量'])}）"
        return Judgement(Verdict.INCONCLUSIVE, f"复测也都不满足（{'；'.join(retry_problems)}），但{why}：无法判定")
    return Judgement(
        Verdict.FAIL,
        f"复测也都不满足（{'；'.join(problems)}；复测：{'；'.join(retry_problems)}），同一负载下基线满足判据"
        + ("、路径上的虚拟机按时应答" if guest_problems is not None else ""),
    )
