"""ethtool -i / -l / -S beyond the record's ConnectX-4: mlx5 (in-box driver), ice and virtio_net.

Fixtures are in ``tests/fixtures/versions/ethtool``; its README names the source of each. What a
parser must get right across drivers: firmware strings with spaces (mlx5's PSID, ice's NVM/eetrack/
OROM triple), empty values, channel counts a driver does not have (``n/a``), per-queue counters and
ice's ``.nic`` port counters beside its VSI counters of the same name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netvirt.parsers import net
from netvirt.sriov import describe_driver, parse_ethtool_driver

ETHTOOL = Path(__file__).resolve().parents[1] / "fixtures" / "versions" / "ethtool"


def fixture(name: str) -> str:
    return (ETHTOOL / name).read_text(encoding="utf-8")


def test_ethtool_i_mlx5_inbox_firmware_with_psid_and_empty_values():
    info = parse_ethtool_driver(fixture("ethtool-i-mlx5-inbox.txt"))
    assert (info["driver"], info["version"], info["firmware-version"]) == (
        "mlx5_core",
        "5.0-0",
        "14.32.1010 (MT_2420110034)",
    )
    assert info["expansion-rom-version"] == "" and info["supports-priv-flags"] == "yes"
    assert describe_driver(info) == "mlx5_core 5.0-0, firmware 14.32.1010 (MT_2420110034)"


def test_ethtool_i_ice_firmware_triple():
    info = parse_ethtool_driver(fixture("ethtool-i-ice-kernel6.1.txt"))
    assert (info["driver"], info["firmware-version"], info["bus-info"]) == (
        "ice",
        "4.20 0x80017785 1.3346.0",
        "0000:3b:00.0",
    )
    assert describe_driver(info) == "ice 6.1.0-13-amd64, firmware 4.20 0x80017785 1.3346.0"


def test_ethtool_l_mlx5_has_only_combined_channels():
    channels = net.parse_ethtool_channels(fixture("ethtool-l-mlx5-ethtool6.txt"))
    assert channels["max"] == {"rx": None, "tx": None, "other": None, "combined": 24}
    assert channels["current"]["combined"] == 8 and channels["current"]["rx"] is None


def test_ethtool_l_ice_has_separate_and_combined_channels():
    channels = net.parse_ethtool_channels(fixture("ethtool-l-ice-ethtool6.txt"))
    assert channels["max"] == {"rx": 64, "tx": 64, "other": 1, "combined": 64}
    assert channels["current"] == {"rx": 0, "tx": 0, "other": 1, "combined": 32}


def test_ethtool_s_mlx5_vport_and_per_queue_counters():
    stats = net.parse_ethtool_stats(fixture("ethtool-S-mlx5.txt"))
    assert stats["rx_vport_unicast_packets"] == 51150 and stats["rx_out_of_buffer"] == 7
    assert stats["rx0_packets"] + stats["rx1_packets"] == 51234 == stats["rx_packets"]
    assert stats["ch0_events"] == 20511 and len(stats) == 29


def test_ethtool_s_ice_port_counters_beside_vsi_counters():
    stats = net.parse_ethtool_stats(fixture("ethtool-S-ice.txt"))
    assert (stats["rx_bytes"], stats["rx_bytes.nic"]) == (1843200, 1848136)
    assert stats["tx_queue_0_packets"] + stats["tx_queue_1_packets"] == 1114
    assert stats["tx_priority_0_xon.nic"] == 0 and len(stats) == 33


def test_ethtool_s_queue_groups_keep_their_group():
    # bnx2x prints "[N]: name: value", be2net "rxqN: name: value": the name is all before the last colon.
    stats = net.parse_ethtool_stats("NIC statistics:\n     [0]: rx_bytes: 2094\n     rxq1: rx_bytes: 15\n")
    assert stats == {"[0]: rx_bytes": 2094, "rxq1: rx_bytes": 15}


@pytest.mark.parametrize(
    ("parser", "text", "message"),
    [
        (net.parse_ethtool_stats, "NIC statistics:\n     rx_bytes: n/a\n", "ethtool -S line 2"),
        (net.parse_ethtool_stats, "no stats available\n", "ethtool -S line 1: expected 'name: value'"),
        (net.parse_ethtool_channels, "netlink error: Operation not supported\n", "ethtool -l line 1"),
        (net.parse_ethtool_channels, "Pre-set maximums:\nCombined:\t2\n", "both 'Pre-set maximums:'"),
    ],
)
def test_ethtool_output_that_cannot_be_read_names_the_tool(parser, text, message):
    with pytest.raises(ValueError, match="ethtool -[lS]") as err:
        parser(text)
    assert message in str(err.value)


def test_virtio_net_as_a_lab_guest_reports_it():
    info = parse_ethtool_driver(fixture("ethtool-i-virtio.txt"))
    assert (info["driver"], info["version"], info["firmware-version"]) == ("virtio_net", "1.0.0", "")
    assert describe_driver(info) == "virtio_net 1.0.0"
    channels = net.parse_ethtool_channels(fixture("ethtool-l-virtio.txt"))
    assert channels == {
        "max": {"rx": None, "tx": None, "other": None, "combined": 2},
        "current": {"rx": None, "tx": None, "other": None, "combined": 2},
    }
    stats = net.parse_ethtool_stats(fixture("ethtool-S-virtio.txt"))
    assert len(stats) == 28 and set(stats.values()) == {0}
    assert {name.split("_")[2] for name in stats} == {"0", "1"}  # rx_queue_N_* / tx_queue_N_* of 2 queue pairs
