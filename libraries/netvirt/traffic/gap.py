"""The record's open issue "netperf over OVS-DPDK性能差" stated as a check: a throughput gap and its cause.

The record (5.4.8.1, 问题: netperf over OVS-DPDK性能差) measured single-connection netperf
TCP_STREAM on five paths, 5 runs each, and kept the min and max (:data:`RECORD_NETPERF_GBYTES`).
Its hypothesis: VM↔VM over OVS-DPDK is far below the same over a Linux bridge (and below two
directly cabled NICs), because the guest's virtio NIC has no TSO/checksum offload over
OVS-DPDK while it has them over a bridge (the two ``ethtool -k`` listings it shows).

The check compares OVS-DPDK VM↔VM with Linux-bridge VM↔VM, the two paths that differ only in the
switch. Their throughput ratio is bounded by the runs (:func:`ratio_bounds`): with alternating
runs, by the lowest and highest ratio of a round (a change of load falls on both runs of a
round); otherwise by the slowest run of one path against the fastest of the other and the
reverse. The threshold comes from the record itself (:func:`record_threshold`): the record's
ratio is at most 0.33/2.17 = 0.152, and netperf's run-to-run spread there reached 3.23/1.27 =
2.54× (two directly cabled NICs, "netperf带宽波动很大"); a ratio up to 0.152 × 2.54 = 0.387 is
what the record's problem can look like, a ratio above it is not. So:

- every bound at or below the threshold: 问题仍存在 (the record's gap is reproduced);
- every bound above it: 问题已不存在;
- bounds on both sides: the runs fluctuate too much to separate the paths, no verdict.

The offloads the record blames (:data:`BLAMED_OFFLOADS`) are compared alongside: they explain a
gap, they are not the gap.
"""

from __future__ import annotations

import enum
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from netvirt.traffic.units import format_bps

OVS_PATH = "VM02到VM01过OVS-DPDK"
BRIDGE_PATH = "VM02到VM01过linux bridge"
# The record's table (GBytes/s, min and max of 5 runs of ``netperf -H 5.5.5.51 -l 30 -cC -fG``).
RECORD_NETPERF_GBYTES: dict[str, tuple[float, float]] = {
    "两个物理网卡直连": (1.27, 3.23),
    "物理网卡到VM": (0.37, 0.71),
    OVS_PATH: (0.26, 0.33),
    "VM02到VM01过OVS-DPDK with flow": (0.25, 0.26),
    BRIDGE_PATH: (2.17, 2.84),
}
# The features whose state differs between the record's two ``ethtool -k`` listings (its "tso/csum"):
# off over OVS-DPDK, on over the bridge. Their sub-features (tx-tcp-segmentation, ...) follow them.
BLAMED_OFFLOADS = (
    "tx-checksumming",
    "scatter-gather",
    "tcp-segmentation-offload",
    "generic-segmentation-offload",
)


class Verdict(enum.Enum):
    """What the runs say about the record's problem."""

    PERSISTS = "问题仍存在"
    GONE = "问题已不存在"
    INCONCLUSIVE = "无法判定"


def widest_spread(table: Mapping[str, tuple[float, float]] = RECORD_NETPERF_GBYTES) -> float:
    """The largest max/min of one path's runs in ``table`` (the record: 3.23/1.27, two cabled NICs)."""
    return max(high / low for low, high in table.values())


def record_threshold(table: Mapping[str, tuple[float, float]] = RECORD_NETPERF_GBYTES) -> float:
    """The highest OVS-DPDK/bridge ratio the record's problem can show: its best ratio times netperf's spread.

    >>> round(record_threshold(), 3)
    0.387
    """
    ovs_high = table[OVS_PATH][1]
    bridge_low = table[BRIDGE_PATH][0]
    return ovs_high / bridge_low * widest_spread(table)


@dataclass(frozen=True)
class RatioBounds:
    """Bounds of the slow/fast throughput ratio, and the ratio of the means."""

    low: float
    high: float
    mean: float
    paired: bool
    ratios: tuple[float, ...] = ()  # per round, when paired


def ratio_bounds(slow: Sequence[float], fast: Sequence[float], paired: bool = False) -> RatioBounds:
    """Bound ``slow``/``fast`` by the runs: per round when ``paired`` (same length, same order), else by extremes."""
    if not slow or not fast:
        raise ValueError("两条路径都至少要有一次测量")
    if min(*slow, *fast) <= 0:
        raise ValueError(f"吞吐量应为正数（{list(slow)}、{list(fast)}）")
    mean = statistics.fmean(slow) / statistics.fmean(fast)
    if paired:
        if len(slow) != len(fast):
            raise ValueError(f"逐轮比较需要两条路径的测量次数相同（{len(slow)} 与 {len(fast)}）")
        ratios = tuple(s / f for s, f in zip(slow, fast, strict=True))
        return RatioBounds(min(ratios), max(ratios), mean, True, ratios)
    return RatioBounds(min(slow) / max(fast), max(slow) / min(fast), mean, False)


def verdict(bounds: RatioBounds, threshold: float) -> Verdict:
    """PERSISTS when even the highest bound is at or below ``threshold``, GONE when even the lowest is above."""
    if bounds.high <= threshold:
        return Verdict.PERSISTS
    if bounds.low > threshold:
        return Verdict.GONE
    return Verdict.INCONCLUSIVE


@dataclass(frozen=True)
class OffloadComparison:
    """The blamed offloads on the slow path's NIC and the fast path's: ``rows`` of (feature, slow, fast)."""

    rows: tuple[tuple[str, bool | None, bool | None], ...]

    @property
    def as_in_record(self) -> bool:
        """Every blamed offload off on the slow path's NIC and on on the fast path's, as the record shows."""
        return all(slow is False and fast is True for _, slow, fast in self.rows)

    @property
    def differing(self) -> list[str]:
        return [name for name, slow, fast in self.rows if slow != fast]


def compare_offloads(
    slow: Mapping[str, Mapping[str, bool | None]],
    fast: Mapping[str, Mapping[str, bool | None]],
    blamed: Sequence[str] = BLAMED_OFFLOADS,
) -> OffloadComparison:
    """The ``blamed`` features of two parsed ``ethtool -k`` listings (``parse_ethtool_features``); None if absent."""

    def state(features: Mapping[str, Mapping[str, bool | None]], name: str) -> bool | None:
        return features[name]["on"] if name in features else None

    return OffloadComparison(tuple((name, state(slow, name), state(fast, name)) for name in blamed))


@dataclass(frozen=True)
class Judgement:
    slow_bps: tuple[float, ...]
    fast_bps: tuple[float, ...]
    verdict: Verdict
    bounds: RatioBounds
    threshold: float
    offloads: OffloadComparison
    slow_mean_bps: float
    fast_mean_bps: float


def judge(
    slow_bps: Sequence[float], fast_bps: Sequence[float], offloads: OffloadComparison, paired: bool = False
) -> Judgement:
    """Judge OVS-DPDK (``slow_bps``, each run's bit/s) against the bridge (``fast_bps``) with the record's threshold."""
    threshold = record_threshold()
    bounds = ratio_bounds(slow_bps, fast_bps, paired)
    return Judgement(
        tuple(slow_bps),
        tuple(fast_bps),
        verdict(bounds, threshold),
        bounds,
        threshold,
        offloads,
        statistics.fmean(slow_bps),
        statistics.fmean(fast_bps),
    )


def ratio_rows(judgement: Judgement) -> list[tuple[str, str, str, str]]:
    """The judgement as table rows: each round when paired, the means, the ratio's bounds, the threshold."""
    b = judgement.bounds
    rows = (
        [
            (f"第 {i} 轮", format_bps(slow), format_bps(fast), f"{ratio:.2f}")
            for i, (slow, fast, ratio) in enumerate(
                zip(judgement.slow_bps, judgement.fast_bps, b.ratios, strict=True), 1
            )
        ]
        if b.paired
        else []
    )
    rows.append(("平均", format_bps(judgement.slow_mean_bps), format_bps(judgement.fast_mean_bps), f"{b.mean:.2f}"))
    rows.append(
        ("比值范围（逐轮）" if b.paired else "比值范围（最慢/最快各次之间）", "", "", f"{b.low:.2f}–{b.high:.2f}")
    )
    rows.append(("判据：不高于它为问题仍存在", "", "", f"{judgement.threshold:.3f}"))
    return rows


def on_off(state: bool | None) -> str:
    return "—" if state is None else ("on" if state else "off")


def offload_sentence(offloads: OffloadComparison) -> str:
    """What the blamed offloads show, in the record's terms."""
    names = "、".join(name for name, _, _ in offloads.rows)
    if offloads.as_in_record:
        return f"卸载特性与记录相同：OVS-DPDK 下 VM 网卡的 {names} 关闭，Linux bridge 下打开（记录对差距的解释）"
    if not offloads.differing:
        states = "、".join(f"{name} {on_off(slow)}" for name, slow, _ in offloads.rows)
        return f"记录归咎的卸载特性在两种 VM 网卡上相同（{states}）"
    states = "；".join(f"{name} {on_off(slow)} / {on_off(fast)}" for name, slow, fast in offloads.rows)
    return f"记录归咎的卸载特性（OVS-DPDK / Linux bridge）：{states}"


def message(judgement: Judgement) -> str:
    """The test's message: the verdict, the figures, the threshold and where it comes from, the offloads."""
    b = judgement.bounds
    record = ratio_bounds(RECORD_NETPERF_GBYTES[OVS_PATH], RECORD_NETPERF_GBYTES[BRIDGE_PATH])
    spread = f"逐轮比值 {b.low:.2f}–{b.high:.2f}" if b.paired else f"各次测量之间的比值 {b.low:.2f}–{b.high:.2f}"
    figures = (
        f"VM02→VM01 单流 TCP 吞吐量过 OVS-DPDK 平均 {format_bps(judgement.slow_mean_bps)}，过 Linux bridge 平均 "
        f"{format_bps(judgement.fast_mean_bps)}，之比 {b.mean:.2f}（{spread}）"
    )
    criterion = (
        f"判据：比值不高于 {judgement.threshold:.2f} 为问题仍存在（记录中为 {record.low:.2f}–{record.high:.2f}；"
        f"{record.high:.3f} 乘以记录中 netperf 的波动 {widest_spread():.2f} 倍）"
    )
    verdicts = {
        Verdict.PERSISTS: "，都不高于判据",
        Verdict.GONE: "，都高于判据",
        Verdict.INCONCLUSIVE: "，跨越判据：测量波动太大，分不开两条路径（机器繁忙？）",
    }
    cause = offload_sentence(judgement.offloads)
    if judgement.verdict is Verdict.GONE and judgement.offloads.as_in_record:
        cause += "，但差距已不是记录中的那样"
    elif judgement.verdict is Verdict.PERSISTS and not judgement.offloads.differing:
        cause += "，差距另有原因"
    return f"{judgement.verdict.value}：{figures}{verdicts[judgement.verdict]}。{criterion}。{cause}。"
