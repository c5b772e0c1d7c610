"""OVS parsers on outputs of the releases a lab may run, 2.7 to 3.x.

Fixtures are in ``tests/fixtures/versions/ovs``; its README names the source of each (OVS's own
commit messages and testsuite, or captured from OVS 3.1.0 here).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from netvirt.parsers import ovs

VERSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "versions" / "ovs"


def fixture(name: str) -> str:
    return (VERSIONS / name).read_text(encoding="utf-8")


def queues(pmds: list[dict]) -> dict[int, list[tuple[str, int]]]:
    """{core_id: [(port, queue_id), ...]}, the distribution the NUMA check reads."""
    return {pmd["core_id"]: [(q["port"], q["queue_id"]) for q in pmd["queues"]] for pmd in pmds}


# ---------------------------------------------------------------- pmd-rxq-show


def test_pmd_rxq_show_ovs_2_8_lists_several_queue_ids_on_one_line():
    pmds = ovs.parse_pmd_rxq_show(fixture("pmd-rxq-show-ovs2.8-from-testsuite.txt"))
    assert queues(pmds) == {
        0: [("p0", 0), ("p0", 2), ("p0", 4), ("p0", 6)],
        1: [("p0", 1), ("p0", 3), ("p0", 5), ("p0", 7)],
    }
    queue = pmds[0]["queues"][0]
    # No state before 2.12: every listed queue is polled; no usage before 2.9.
    assert (queue["enabled"], queue["state"], queue["usage_pct"]) == (True, None, None)
    assert pmds[0]["isolated"] is False and pmds[0]["overhead_pct"] is None


def test_pmd_rxq_show_ovs_2_9_has_usage_but_no_queue_state():
    pmds = ovs.parse_pmd_rxq_show(fixture("pmd-rxq-show-ovs2.9.txt"))
    assert queues(pmds) == {4: [("dpdkphy1", 0), ("dpdkvhost0", 0)], 6: [("dpdkphy0", 0), ("dpdkvhost1", 0)]}
    assert [q["usage_pct"] for pmd in pmds for q in pmd["queues"]] == [70, 0, 64, 0]
    assert all(q["enabled"] and q["state"] is None for pmd in pmds for q in pmd["queues"])


def test_pmd_rxq_show_ovs_2_11_not_avail_usage_is_none():
    (pmd,) = ovs.parse_pmd_rxq_show(fixture("pmd-rxq-show-ovs2.11-from-testsuite.txt"))
    assert [q["queue_id"] for q in pmd["queues"]] == list(range(8))
    assert {q["usage_pct"] for q in pmd["queues"]} == {None}


def test_pmd_rxq_show_ovs_2_12_prints_the_queue_state():
    pmds = ovs.parse_pmd_rxq_show(fixture("pmd-rxq-show-ovs2.12.txt"))
    assert queues(pmds)[16] == [("vhost0", 0), ("vhost2", 0)]
    assert {q["state"] for pmd in pmds for q in pmd["queues"]} == {"enabled"}
    assert all(pmd["isolated"] for pmd in pmds)


def test_pmd_rxq_show_ovs_2_16_overhead_is_per_pmd_not_a_port():
    pmds = ovs.parse_pmd_rxq_show(fixture("pmd-rxq-show-ovs2.16.txt"))
    assert [pmd["overhead_pct"] for pmd in pmds] == [4, 6, 4, 7]
    assert [pmd["numa_id"] for pmd in pmds] == [1, 1, 1, 1]
    assert "overhead" not in {q["port"] for pmd in pmds for q in pmd["queues"]}
    assert [q["usage_pct"] for q in pmds[1]["queues"]] == [0, 93, 0, 0]


@pytest.mark.parametrize(("name", "overhead"), [("pmd-rxq-show-secs5-ovs3.1.txt", 4), ("pmd-rxq-show-ovs3.1.txt", 0)])
def test_pmd_rxq_show_ovs_3_1_window_line_is_skipped(name, overhead):
    (pmd,) = ovs.parse_pmd_rxq_show(fixture(name))
    assert pmd["overhead_pct"] == overhead


def test_pmd_rxq_show_ovs_3_6_testsuite_eight_queues_one_pmd():
    (pmd,) = ovs.parse_pmd_rxq_show(fixture("pmd-rxq-show-ovs3.6-from-testsuite.txt"))
    assert queues([pmd]) == {0: [("p0", queue) for queue in range(8)]}
    assert {q["state"] for q in pmd["queues"]} == {"enabled"} and pmd["overhead_pct"] is None


def test_pmd_rxq_show_ovs_3_1_captured_here():
    (pmd,) = ovs.parse_pmd_rxq_show(fixture("pmd-rxq-show-ovs3.1.txt"))
    assert (pmd["numa_id"], pmd["core_id"], pmd["isolated"]) == (0, 1, False)
    assert [(q["port"], q["queue_id"], q["usage_pct"]) for q in pmd["queues"]] == [
        ("phy-br0", 0, 0),
        ("phy-br0", 1, 0),
        ("vhu0", 0, 0),
    ]
    (isolated,) = ovs.parse_pmd_rxq_show(fixture("pmd-rxq-show-isolated-ovs3.1.txt"))
    assert isolated["isolated"] is True and queues([isolated]) == {1: [("vhu0", 0)]}
    (idle,) = ovs.parse_pmd_rxq_show(fixture("pmd-rxq-show-not-avail-ovs3.1.txt"))
    assert idle["overhead_pct"] is None and {q["usage_pct"] for q in idle["queues"]} == {None}


def test_pmd_rxq_show_keeps_the_return_shape_of_earlier_versions():
    (pmd,) = ovs.parse_pmd_rxq_show(fixture("pmd-rxq-show-ovs3.1.txt"))
    assert {"numa_id", "core_id", "isolated", "queues"} <= set(pmd)
    assert {"port", "queue_id", "enabled", "usage_pct"} <= set(pmd["queues"][0])


def test_pmd_rxq_show_disabled_queue():
    (pmd,) = ovs.parse_pmd_rxq_show(
        "pmd thread numa_id 0 core_id 1:\n  isolated : false\n"
        "  port: vhu0              queue-id:  1 (disabled)  pmd usage: NOT AVAIL\n"
    )
    assert (pmd["queues"][0]["enabled"], pmd["queues"][0]["state"]) == (False, "disabled")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pmd-rxq-show-ovs2.8-from-testsuite.txt", "OVS 2.7/2.8"),
        ("pmd-rxq-show-ovs2.9.txt", "OVS 2.9-2.11"),
        ("pmd-rxq-show-ovs3.1.txt", "OVS 2.12+"),
    ],
)
def test_pmd_rxq_show_logs_which_format_it_read(name, expected, caplog):
    with caplog.at_level(logging.INFO, logger="netvirt.parsers.ovs"):
        ovs.parse_pmd_rxq_show(fixture(name))
    assert expected in caplog.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Displaying last 60 seconds pmd usage %\n", "no 'pmd thread numa_id N core_id M:' line"),
        ("  port: p0  queue-id:  0\n", "line 1: expected 'pmd thread"),
        ("pmd thread numa_id 0 core_id 1:\n  port: p0  queue-id: x\n", "line 2: expected 'isolated"),
    ],
)
def test_pmd_rxq_show_unknown_lines_name_the_tool_and_the_line(text, message):
    with pytest.raises(ValueError, match=message) as raised:
        ovs.parse_pmd_rxq_show(text)
    assert "pmd-rxq-show" in str(raised.value)


# ---------------------------------------------------------------- dump-flows with quoted port names


def test_dump_flows_quoted_port_names_are_unquoted_in_the_match():
    flows = ovs.parse_dump_flows(fixture("dump-flows-names-ovs3.1.txt"))
    assert [f["match"] for f in flows] == ["in_port=phy-br0", "in_port=vhu0", ""]
    assert flows[0]["match_fields"] == {"in_port": "phy-br0"} and flows[0]["n_packets"] == 1
    assert flows[1]["actions"] == 'output:"phy-br0"'  # actions stay as OVS printed them
    assert flows[2]["priority"] == 0


def test_dump_flows_no_stats_quoted_names():
    flows = ovs.parse_dump_flows(fixture("dump-flows-names-no-stats-ovs3.1.txt"))
    assert [f["match_fields"] for f in flows] == [{"in_port": "phy-br0"}, {"in_port": "vhu0"}, {}]
    assert flows[0]["n_packets"] is None  # --no-stats: absent, not 0


def test_dump_flows_quoted_name_with_a_space_or_comma_stays_one_field():
    (flow,) = ovs.parse_dump_flows(' cookie=0x0, table=0, n_packets=3, in_port="p 1,x",dl_vlan=5 actions=drop')
    assert flow["match_fields"] == {"in_port": "p 1,x", "dl_vlan": "5"}


def test_dump_flows_badly_quoted_name_names_the_line():
    with pytest.raises(ValueError, match="line 1"):
        ovs.parse_dump_flows(' in_port="phy\\q" actions=drop')
