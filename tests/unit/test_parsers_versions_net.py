"""ibdev2netdev as the OFED script prints it beyond the record's all-ACTIVE ports.

Fixtures are in ``tests/fixtures/versions/ibdev2netdev``; its README names the source.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netvirt.parsers import net

VERSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "versions"


def test_ibdev2netdev_verbose_padded_port_state_comes_back_unpadded():
    ports = net.parse_ibdev2netdev((VERSIONS / "ibdev2netdev/verbose-port-down-ofed4.txt").read_text())
    assert [(p["ibdev"], p["port_state"], p["link"]) for p in ports] == [
        ("mlx5_0", "ACTIVE", "Up"),
        ("mlx5_1", "DOWN", "Down"),
        ("mlx5_2", "DOWN", "Down"),
        ("mlx5_3", "INIT", "Up"),
    ]
    assert ports[1]["serial"] == "MT1738K12253" and ports[2]["serial"] is None
    assert ports[1]["description"] == "CX413A - ConnectX-4 QSFP28" and ports[2]["description"] == ""


def test_ibdev2netdev_padded_part_number_is_stripped():
    # printf "%-11s" pads a part number shorter than 11 characters (a line composed in that layout).
    (port,) = net.parse_ibdev2netdev(
        "0000:03:00.0 mlx5_0 (MT4117 - MCX4121A   ) CX4121A - ConnectX-4 LX SFP28 fw 14.20.1010 "
        "port 1 (ACTIVE) ==> ens1f0 (Up)\n"
    )
    assert (port["serial"], port["hca_type"], port["netdev"]) == ("MCX4121A", "MT4117", "ens1f0")


def test_ibdev2netdev_short_form_through_column_t():
    # The record's ports as "ibdev2netdev | column -t" lays them out.
    ports = net.parse_ibdev2netdev("mlx5_0  port  1  ==>  enP4p1s0    (Up)\nmlx5_2  port  1  ==>  enP5p1s0f1  (Down)\n")
    assert [(p["ibdev"], p["port"], p["netdev"], p["link"]) for p in ports] == [
        ("mlx5_0", 1, "enP4p1s0", "Up"),
        ("mlx5_2", 1, "enP5p1s0f1", "Down"),
    ]
    assert ports[0]["port_state"] is None  # only -v prints it


def test_ibdev2netdev_old_style_has_no_link_state():
    (port,) = net.parse_ibdev2netdev("mlx4_0 port 1 <===> eth2\n")
    assert (port["ibdev"], port["port"], port["netdev"], port["link"]) == ("mlx4_0", 1, "eth2", None)


def test_ibdev2netdev_unknown_line_names_the_tool_and_the_line():
    with pytest.raises(ValueError, match="ibdev2netdev line 2: expected 'ibdev port N ==> netdev"):
        net.parse_ibdev2netdev("mlx4_0 port 1 <===> eth2\nmlx4_0 port 1 --> eth2\n")
