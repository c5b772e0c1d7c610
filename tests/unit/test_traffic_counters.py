"""Interface counters: ip -s -j link (a veth of the embedded lab) and ethtool -S (the record's 5.4.9.2)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from netvirt.parsers.net import parse_ethtool_stats
from netvirt.parsers.traffic import parse_ip_link_stats
from netvirt.traffic import counters

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def reading() -> dict:
    link = parse_ip_link_stats((FIXTURES / "generated/ip-s-j-link-veth.json").read_text(encoding="utf-8"))
    nic = parse_ethtool_stats((FIXTURES / "record/ethtool-S-5.4.9.2.txt").read_text(encoding="utf-8"))
    return {"host": "hostb", "interface": "enP5p1s0", "link": link, "ethtool": nic}


def test_ip_link_stats_are_flat_counters():
    link = reading()["link"]
    assert {"rx_bytes", "rx_packets", "rx_dropped", "rx_multicast", "tx_packets", "tx_carrier_errors"} <= set(link)
    assert all(isinstance(value, int) for value in link.values())


@pytest.mark.parametrize(
    ("text", "message"),
    [("not json", "JSON"), ("[]", "exactly one link"), ('[{"ifname": "lo"}]', "no stats64")],
)
def test_ip_link_stats_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_ip_link_stats(text)


def test_difference_of_two_readings():
    before = reading()
    after = copy.deepcopy(before)
    after["link"]["rx_packets"] += 3
    after["ethtool"]["rx_vport_multicast_packets"] += 100
    after["ethtool"]["new_counter"] = 5  # a counter only one reading has is left out
    delta = counters.difference(before, after)
    assert delta["link"]["rx_packets"] == 3 and delta["link"]["tx_packets"] == 0
    assert delta["ethtool"]["rx_vport_multicast_packets"] == 100 and "new_counter" not in delta["ethtool"]
    assert counters.changed_rows(before, after, delta) == [
        ["link", "rx_packets", before["link"]["rx_packets"], before["link"]["rx_packets"] + 3, 3],
        ["ethtool", "rx_vport_multicast_packets", 8981036150, 8981036250, 100],
    ]


def test_difference_of_two_interfaces_is_refused():
    other = dict(reading(), interface="enP4p1s0")
    with pytest.raises(ValueError, match="不是同一接口"):
        counters.difference(reading(), other)
