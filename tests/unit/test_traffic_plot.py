"""Throughput comparison: scenario values, spreads and the PNG bar chart (the record's netperf table)."""

from __future__ import annotations

import pytest

from netvirt.traffic import plot

# The record's 5.4.8.1 netperf table, min/max in netperf's GBytes/s (-fG: 2^30 bytes), as bit/s.
GBYTES = 2**30 * 8
RECORD = {
    "两个物理网卡直连": [1.27 * GBYTES, 3.23 * GBYTES],
    "物理网卡到VM": [0.37 * GBYTES, 0.71 * GBYTES],
    "VM02到VM01过OVS-DPDK": [0.26 * GBYTES, 0.33 * GBYTES],
    "VM02到VM01过OVS-DPDK with flow": [0.25 * GBYTES, 0.26 * GBYTES],
    "VM02到VM01过linux bridge": [2.17 * GBYTES, 2.84 * GBYTES],
}


def test_spreads_from_lists_numbers_and_measurements():
    measured = {"runs": [{"received_bps": 1e9}, {"received_bps": 3e9}]}
    spreads = plot.scenario_spreads({"a": measured, "b": 5e8, "c": [1e9]})
    assert list(spreads) == ["a", "b", "c"]
    assert spreads["a"] == {"min": 1e9, "max": 3e9, "mean": 2e9, "stdev": pytest.approx(1.414e9, rel=1e-3), "runs": 2}
    assert spreads["b"]["stdev"] is None and spreads["b"]["runs"] == 1


@pytest.mark.parametrize(
    ("results", "message"),
    [
        ({}, "没有场景结果"),
        ({"a": {"x": 1}}, "不是 测量吞吐量 的返回值"),
        ({"a": "fast"}, "不是吞吐量"),
        ({"a": []}, "没有测量值"),
    ],
)
def test_bad_scenario_values_are_named(results, message):
    with pytest.raises(ValueError, match=message):
        plot.scenario_spreads(results)


def test_bar_chart_is_a_png_with_a_label_per_scenario():
    png, labels = plot.bar_chart("netperf 对比", plot.scenario_spreads(RECORD))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    # Chinese names are drawn only with a font that has their glyphs; otherwise S1..S5 stand in.
    assert labels == list(RECORD) or labels == ["S1", "S2", "S3", "S4", "S5"]
    assert (labels == list(RECORD)) == (plot._font_for(list(RECORD)) is not None)


def test_ascii_names_are_drawn_as_they_are():
    _, labels = plot.bar_chart("veth", plot.scenario_spreads({"TCP": 7e9, "UDP": 1e8}))
    assert labels == ["TCP", "UDP"]
