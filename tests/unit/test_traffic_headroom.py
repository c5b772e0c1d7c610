"""One rule before a limit is judged (5.4.8.1 and 5.4.8.2): the path, measured without the limit in the same run,
carries ``factor`` × the limit, else the verdict is inconclusive (SKIP with the figures). OVSLibrary's
``路径带宽应足以检验限速`` and TrafficLibrary's ``不限速吞吐量应足以检验限速`` both follow
``netvirt.traffic.throughput.headroom``."""

from __future__ import annotations

import pytest
from robot.api import SkipExecution

from netvirt.traffic import throughput
from OVSLibrary import OVSLibrary
from TrafficLibrary import TrafficLibrary

SKIP = r"无法判定：不限速时路径只有 {} Mbit/s（\d+ bit/s），不到限速 {} Mbit/s 的 {} 倍"


def test_every_measurement_must_carry_the_factor_and_the_slowest_is_named():
    check = throughput.headroom([78.8e6, 15.9e6, 23.5e6], 8e6, 2)
    assert check.short == [1]
    assert [row[4] for row in check.rows] == ["足够", "不足：无法判定", "足够"]
    assert check.rows[1][:4] == ["15.9 Mbit/s", "8 Mbit/s", "1.99", ">= 2"]
    assert check.reason.startswith(
        "无法判定：不限速时路径只有 15.9 Mbit/s（15900000 bit/s），不到限速 8 Mbit/s 的 2 倍"
    )
    assert throughput.headroom([16e6], 8e6, 2).reason is None  # exactly twice the limit carries it


@pytest.mark.parametrize(("limit", "factor"), [(0, 2), (8e6, 0.5)])
def test_a_limit_or_factor_that_proves_nothing_is_refused(limit, factor):
    with pytest.raises(ValueError, match="limit_bps"):
        throughput.headroom([1e9], limit, factor)


def test_both_keywords_follow_the_rule():
    # 5.4.8.1 on the embedded lab: 8 Mbit/s policer, the path measured both ways at 16 Mbit/s offered.
    OVSLibrary.path_must_exceed_rate(None, {"mean_bps": 15.2e6}, {"mean_bps": 14.9e6}, rate_bps=8_000_000)
    with pytest.raises(SkipExecution, match=SKIP.format("11", "8", "1.5")):
        OVSLibrary.path_must_exceed_rate(None, {"mean_bps": 15.2e6}, {"mean_bps": 11.0e6}, rate_bps=8_000_000)
    with pytest.raises(SkipExecution, match=SKIP.format("11", "8", "2")):
        TrafficLibrary().unlimited_must_exceed_limit({"mean_bps": 11.0e6}, 8_000_000)
