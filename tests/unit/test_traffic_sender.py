"""Crafted frames: the remote helper's frames decode as intended; bad sender values fail before sending."""

from __future__ import annotations

import ast
import struct

import pytest

from netvirt.parsers.traffic import decode_ethernet
from netvirt.remote import framesend, script
from netvirt.traffic import sender
from netvirt.traffic.frames import multicast_mac


def test_helper_frame_is_the_records_multicast_frame_with_a_qinq_stack():
    raw = framesend.build_frame(
        multicast_mac("225.0.0.2"), "24:8a:07:b5:70:70", "192.168.0.1", "225.0.0.2", [100, 10], [0x88A8]
    )
    frame = decode_ethernet(raw)
    assert (frame["dst"], frame["src"]) == ("01:00:5e:00:00:02", "24:8a:07:b5:70:70")
    assert [(tag["tpid"], tag["vid"]) for tag in frame["vlans"]] == [(0x88A8, 100), (0x8100, 10)]
    assert (frame["ipv4"]["src"], frame["ipv4"]["dst"], frame["ipv4"]["ttl"], frame["ipv4"]["proto"]) == (
        "192.168.0.1",
        "225.0.0.2",
        4,
        17,
    )
    header = raw[22:42]
    assert framesend.ipv4_checksum(header) == 0  # a correct header checksums to zero


def test_helper_pads_short_frames_to_60_bytes():
    raw = framesend.build_frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", "10.0.0.1", "10.0.0.2", payload_size=0)
    assert len(raw) == 60
    assert struct.unpack("!H", raw[12:14])[0] == 0x0800


def test_helper_is_standard_library_only():
    tree = ast.parse(script("framesend.py"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "argparse", "ipaddress", "json", "socket", "struct", "sys", "time", "collections"}


def test_unknown_helper_is_refused():
    with pytest.raises(ValueError, match="没有远端辅助脚本"):
        script("../seam.py")


def test_spec_argv_for_a_qinq_multicast_burst():
    spec = sender.FrameSpec(multicast_mac("225.0.0.2"), "225.0.0.2", vlans=(100, 10), outer_tpid="802.1ad", count=5)
    argv = spec.argv("enP5p1s0")
    assert argv[:4] == ["--interface", "enP5p1s0", "--dst-mac", "01:00:5e:00:00:02"]
    assert argv[-8:] == ["--vlan", "100", "--tpid", "0x88a8", "--vlan", "10", "--tpid", "0x8100"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dst_mac": "01:00:5e:00:00"}, "目的 MAC"),
        ({"dst_ip": "225.0.0.300"}, "dst_ip"),
        ({"vlans": (4095,)}, "VLAN 4095"),
        ({"vlans": (1, 2, 3)}, "最多两层"),
        ({"outer_tpid": "0x9100"}, "外层 TPID"),
        ({"count": 0}, "count 0"),
        ({"rate_pps": 0}, "rate_pps 0"),
        ({"count": 100000, "rate_pps": 10}, "超过 600 秒"),
        ({"ttl": 0}, "ttl 0"),
    ],
)
def test_spec_rejects_bad_values(kwargs, message):
    values = {"dst_mac": "01:00:5e:00:00:01", "dst_ip": "224.0.0.1", **kwargs}
    with pytest.raises(ValueError, match=message):
        sender.FrameSpec(**values)


def test_tags_of_a_keyword_argument():
    assert sender.tags(None) == () and sender.tags(100) == (100,) and sender.tags([100, 10]) == (100, 10)
