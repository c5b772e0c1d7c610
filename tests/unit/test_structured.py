"""Structured sources first (``ip -j``, ``tc -j``), text as the fallback: parsers and the per-host choice.

JSON and text of the same link or classes, captured on one host, must give the same dicts; a
host whose tools have no JSON (the record's CentOS 7.5, iproute2 3.10) is read as text. Fixtures are
in ``tests/fixtures/versions/{iproute2,tc}``; their README names the source of each.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from netvirt import structured
from netvirt.parsers import net, traffic
from netvirt.sriov import LinkState, VfState, format_vf_json, format_vf_line
from netvirt.ssh import CommandResult
from netvirt.traffic import counters

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# -------------------------------------------------------------------------------- ip -j link


def test_ip_json_and_text_of_the_same_link_read_alike():
    # Captured together: a veth whose peer is down (NO-CARRIER, M-DOWN), iproute2 6.1.
    from_json = net.parse_ip_link_json(fixture("versions/iproute2/ip-j-link-veth-no-carrier-iproute2-6.1.json"))
    from_text = net.parse_ip_links(fixture("versions/iproute2/ip-link-veth-no-carrier-iproute2-6.1.txt"))
    assert from_json == from_text
    assert "NO-CARRIER" in from_json[0]["flags"] and from_json[0]["state"] == "LOWERLAYERDOWN"


def test_ip_json_details_keep_the_header_attributes():
    (dev,) = net.parse_ip_link_json(fixture("versions/iproute2/ip-j-d-link-veth-iproute2-6.1.json"))
    assert (dev["name"], dev["link"], dev["mtu"], dev["qdisc"], dev["state"]) == ("v0", "v1", 1500, "mq", "UP")
    assert dev["attrs"]["qlen"] == "1000" and dev["attrs"]["mode"] == "DEFAULT"
    assert dev["attrs"]["num_tx_queues"] == "4" and "linkinfo" not in dev["attrs"]
    assert dev["vfs"] == []


def test_ip_json_vfs_of_5_4_8_2_read_as_the_text_of_iproute2_6_1():
    from_json = net.parse_ip_link_vfs_json(fixture("versions/iproute2/ip-j-d-link-vf-5.4.8.2-iproute2-6.1.json"))
    text = fixture("versions/iproute2/ip-link-vf-5.4.8.2-iproute2-6.1.txt").split("10: ")[1]
    from_text = net.parse_ip_link_vfs("10: " + text)
    assert from_json["vfs"] == from_text["vfs"]
    assert [(v["vf"], v["max_tx_rate"], v["min_tx_rate"], v["tx_rate"]) for v in from_json["vfs"]] == [
        (0, 30000, 25000, 30000),
        (1, 40000, 35000, 40000),
    ]
    assert (from_json["name"], from_json["mac"]) == ("enP5p1s0", "ec:0d:9a:89:4a:e6")


def test_ip_json_of_iproute2_4_14_has_mac_and_zero_rates():
    # 4.14-5.2 print "mac" (no link_type/address) and the rate object even when 0; the text omits a 0 rate.
    pf = net.parse_ip_link_vfs_json(fixture("versions/iproute2/ip-j-link-vf-5.4.5.2-iproute2-4.14.json"))
    text = net.parse_ip_link_vfs(fixture("record/ip-link-vf-5.4.5.2.txt"))
    assert [(v["vf"], v["mac"], v["vlan"], v["link_state"]) for v in pf["vfs"]] == [
        (0, "00:00:00:00:00:00", 100, "enable"),
        (1, "00:00:00:00:00:00", 101, "auto"),
    ]
    assert [v["max_tx_rate"] for v in pf["vfs"]] == [0, 0] and [v["max_tx_rate"] for v in text["vfs"]] == [None, None]
    for vf_json, vf_text in zip(pf["vfs"], text["vfs"], strict=True):
        assert {k: v for k, v in vf_json.items() if not k.endswith("_rate")} == {
            k: v for k, v in vf_text.items() if not k.endswith("_rate")
        }


def test_ip_json_qinq_and_infiniband_vf_attributes():
    link = (
        '[{"ifindex":5,"ifname":"ib0","link_type":"infiniband","vfinfo_list":[{"vf":0,"link_type":"infiniband",'
        '"address":"00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00","vlan_list":[{"vlan":100,"qos":3,'
        '"protocol":"802.1ad"}],"rate":{"max_tx":0,"min_tx":0},"spoofchk":false,"node guid":"11:22:33:44:55:66:77:88",'
        '"port guid":"11:22:33:44:55:66:77:89","link_state":"disable","trust":true,"query_rss_en":false}]}]'
    )
    (vf,) = net.parse_ip_link_vfs_json(link)["vfs"]
    assert (vf["vlan"], vf["qos"], vf["vlan_protocol"], vf["trust"]) == (100, 3, "802.1ad", True)
    assert (vf["node_guid"], vf["port_guid"], vf["link_state"]) == (
        "11:22:33:44:55:66:77:88",
        "11:22:33:44:55:66:77:89",
        "disable",
    )


def test_ip_json_vlan_on_the_vf_without_vlan_list():
    # Kernels before 4.9 send IFLA_VF_VLAN only: print_vfinfo() puts vlan/qos on the VF itself.
    (vf,) = net.parse_ip_link_vfs_json(
        '[{"ifindex":5,"ifname":"p0","vfinfo_list":[{"vf":0,"mac":"aa:bb:cc:dd:ee:ff","vlan":7,"qos":2}]}]'
    )["vfs"]
    assert (vf["vlan"], vf["qos"], vf["vlan_protocol"], vf["max_tx_rate"]) == (7, 2, None, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('Option "-j" is unknown, try "ip -help".', "ip -j link: expected JSON output"),
        ('{"ifname": "lo"}', "expected a JSON list of objects"),
        ('[{"ifname": "lo"}]', "expected 'ifindex' and 'ifname'"),
        ('[{"ifindex":1,"ifname":"p0","vfinfo_list":[{"vf":0}]}]', "VF of p0 without 'vf' and 'address'"),
        (
            '[{"ifindex":1,"ifname":"p0","vfinfo_list":[{"vf":0,"address":"aa:bb:cc:dd:ee:ff","newthing":1}]}]',
            "unknown VF attribute(s) ['newthing'] for vf 0 of p0",
        ),
    ],
)
def test_ip_json_that_cannot_be_read_names_the_tool(text, message):
    with pytest.raises(ValueError, match="ip -j link") as err:
        net.parse_ip_link_json(text)
    assert message in str(err.value)


def test_ip_json_needs_exactly_one_device_for_a_pf():
    with pytest.raises(ValueError, match=r"exactly one device, got \['lo', 'p0'\]"):
        net.parse_ip_link_vfs_json('[{"ifindex":1,"ifname":"lo"},{"ifindex":2,"ifname":"p0"}]')


@pytest.mark.parametrize(
    "state",
    [
        VfState(0),
        VfState(1, mac="52:54:00:12:34:56", vlan=100, qos=3, vlan_protocol="802.1ad", spoofchk=True),
        VfState(2, max_tx_rate=6, min_tx_rate=5, link_state=LinkState.disable, trust=True, query_rss=None),
    ],
)
def test_emulated_vf_reads_alike_as_json_and_text(state):
    # The embedded lab's emulated VFs, printed both ways, must parse to the same VF (bar a 0 rate).
    header = "10: enP5p1s0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP\n"
    (from_text,) = net.parse_ip_link_vfs(header + format_vf_line(state))["vfs"]
    link = [{"ifindex": 10, "ifname": "enP5p1s0", "vfinfo_list": [format_vf_json(state)]}]
    (from_json,) = net.parse_ip_link_vfs_json(json.dumps(link))["vfs"]
    for key in ("max_tx_rate", "min_tx_rate"):
        assert from_json[key] == getattr(state, key) and from_text[key] == (getattr(state, key) or None)
        del from_json[key], from_text[key]
    assert from_json == from_text


# -------------------------------------------------------------------------------- tc -j -s class


def test_tc_class_json_and_text_of_tc_6_2_read_alike():
    # Captured together with tc 6.2.0 (built from the tag) on a 4-queue veth with an mq root.
    from_json = net.parse_tc_class_json(fixture("versions/tc/tc-j-s-class-mq-iproute2-6.2.json"))
    from_text = net.parse_tc_class_stats(fixture("versions/tc/tc-s-class-mq-iproute2-6.2.txt"))
    assert from_json == from_text
    assert [(c["class"], c["kind"], c["parent"], c["sent_packets"]) for c in from_json] == [
        ("1:1", "mq", "root", 9),
        ("1:2", "mq", "root", 0),
        ("1:3", "mq", "root", 7),
        ("1:4", "mq", "root", 1),
    ]


def test_tc_before_6_2_prints_classes_as_text_under_j():
    # tc 6.1 takes -j and prints classes as text anyway: not JSON, while the text parser reads it.
    text = fixture("versions/tc/tc-j-s-class-mq-iproute2-6.1.txt")
    with pytest.raises(ValueError, match="tc -j class: expected JSON output"):
        net.parse_tc_class_json(text)
    assert len(net.parse_tc_class_stats(text)) == 4


def test_tc_class_json_keeps_htb_options_and_xstats():
    (cls,) = net.parse_tc_class_json(
        '[{"class":"htb","handle":"1:10","parent":"1:","leaf":"0x8001","rate":125000,"ceil":125000,'
        '"stats":{"bytes":1,"packets":1,"drops":0,"overlimits":0,"requeues":0,"backlog":0,"qlen":0,'
        '"lended":1,"tokens":5}}]'
    )
    assert (cls["parent"], cls["options"], cls["extra"]) == (
        "1:",
        "leaf 0x8001 rate 125000 ceil 125000",
        [
            "lended 1",
            "tokens 5",
        ],
    )


# -------------------------------------------------------------------------------- the per-host choice


class FakeHost:
    """A host whose commands answer from a table; every command run is kept."""

    def __init__(self, name: str, answers: dict[str, tuple[int, str, str]]):
        self.name = name
        self.answers = answers
        self.ran: list[str] = []

    def run(self, command: str, timeout: float = 120) -> CommandResult:
        self.ran.append(command)
        rc, out, err = self.answers[command]
        return CommandResult(self.name, command, rc, out, err, 0.01)


IP_LINK_TEXT = fixture("versions/iproute2/ip-link-veth-no-carrier-iproute2-6.1.txt")
IP_LINK_JSON = fixture("versions/iproute2/ip-j-link-veth-no-carrier-iproute2-6.1.json")
CENTOS_IP = (255, "", 'Option "-j" is unknown, try "ip -help".\n')  # iproute2 3.10's ip.c


def show(host: FakeHost):
    return lambda js: host.run(shlex.join(["ip", *(["-j"] if js else []), "link", "show", "dev", "v0"]))


def test_a_host_with_json_is_read_as_json_and_asked_once():
    host = FakeHost(
        "hosta",
        {
            "ip -j link show dev lo": (0, '[{"ifindex":1,"ifname":"lo"}]', ""),
            "ip -j link show dev v0": (0, IP_LINK_JSON, ""),
        },
    )
    for _ in range(3):
        reading = structured.read(host, "ip", show(host), net.parse_ip_link_json, net.parse_ip_links)
        assert reading.value[0]["name"] == "v0" and reading.source == "ip -j（JSON）"
    assert host.ran == ["ip -j link show dev lo"] + ["ip -j link show dev v0"] * 3


def test_the_record_labs_centos_is_read_as_text():
    host = FakeHost("hosta", {"ip -j link show dev lo": CENTOS_IP, "ip link show dev v0": (0, IP_LINK_TEXT, "")})
    reading = structured.read(host, "ip", show(host), net.parse_ip_link_json, net.parse_ip_links)
    assert reading.value == net.parse_ip_links(IP_LINK_TEXT)
    assert reading.source == "ip 文本输出（该主机的工具不支持 -j）"
    assert host.ran == ["ip -j link show dev lo", "ip link show dev v0"]
    assert not structured.gives_json(host, "ip") and len(host.ran) == 2  # remembered


def test_json_that_cannot_be_read_falls_back_to_text_saying_why():
    host = FakeHost(
        "vm01",
        {
            "ip -j link show dev lo": (0, "[]", ""),
            "ip -j link show dev v0": (0, "[{", ""),
            "ip link show dev v0": (0, IP_LINK_TEXT, ""),
        },
    )
    reading = structured.read(host, "ip", show(host), net.parse_ip_link_json, net.parse_ip_links)
    assert reading.value[0]["flags"][0] == "NO-CARRIER"
    assert reading.source.startswith("ip 文本输出（JSON 输出读不懂：ip -j link: expected JSON output")
    assert [r.command for r in reading.results] == ["ip -j link show dev v0", "ip link show dev v0"]


def test_a_failing_json_command_is_returned_not_retried_as_text():
    host = FakeHost(
        "hosta",
        {"ip -j link show dev lo": (0, "[]", ""), "ip -j link show dev v0": (1, "", 'Device "v0" does not exist.\n')},
    )
    reading = structured.read(host, "ip", show(host), net.parse_ip_link_json, net.parse_ip_links)
    assert reading.value is None and reading.result.rc == 1 and len(reading.results) == 1


def test_tc_6_1_has_no_class_json_and_its_classes_are_read_as_text():
    # tc 6.1 prints nothing for lo's (no) classes under -j; tc 6.2 prints [] (both captured here).
    text = fixture("versions/tc/tc-j-s-class-mq-iproute2-6.1.txt")
    host = FakeHost("vm01", {"tc -j class show dev lo": (0, "", ""), "tc -s class show dev eth1": (0, text, "")})
    reading = structured.read(
        host,
        "tc-class",
        lambda js: host.run("tc -j -s class show dev eth1" if js else "tc -s class show dev eth1"),
        net.parse_tc_class_json,
        net.parse_tc_class_stats,
    )
    assert [c["class"] for c in reading.value] == ["1:1", "1:2", "1:3", "1:4"]
    assert reading.source == "tc 文本输出（该主机的工具不支持 -j）"


# -------------------------------------------------------------------------------- ip -s link counters


def test_ip_s_text_of_iproute2_6_1_reads_as_its_json():
    # Captured together; 6.1's text "missed" column is rx_missed_errors, which its JSON prints only with -s -s.
    from_json = traffic.parse_ip_link_stats(fixture("versions/iproute2/ip-s-j-link-veth-iproute2-6.1.json"))
    from_text = traffic.parse_ip_link_stats_text(fixture("versions/iproute2/ip-s-link-veth-iproute2-6.1.txt"))
    assert from_text.pop("rx_missed_errors") == 0 and from_json.pop("rx_over_errors") == 0
    assert from_text == from_json and from_text["rx_bytes"] == 2528 and from_text["tx_packets"] == 23


def test_ip_s_text_of_iproute2_3_10():
    counters = traffic.parse_ip_link_stats_text(fixture("versions/iproute2/ip-s-link-iproute2-3.10.txt"))
    assert counters == {
        "rx_bytes": 2528,
        "rx_packets": 32,
        "rx_errors": 0,
        "rx_dropped": 0,
        "rx_over_errors": 0,
        "rx_multicast": 0,
        "tx_bytes": 1618,
        "tx_packets": 23,
        "tx_errors": 0,
        "tx_dropped": 0,
        "tx_carrier_errors": 0,
        "tx_collisions": 0,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (fixture("versions/iproute2/ip-link-veth-no-carrier-iproute2-6.1.txt"), "no 'RX:'/'TX:' statistics rows"),
        (fixture("versions/iproute2/ip-s-link-iproute2-3.10.txt") * 2, "exactly one link, got 2"),
        ("3: v0: <UP> mtu 1500\n    RX errors: length crc\n    0 0\n", "line 2: expected 'RX: bytes packets"),
        ("3: v0: <UP> mtu 1500\n    RX: bytes packets\n    10\n", "as many numbers under them"),
    ],
)
def test_ip_s_text_that_cannot_be_read_names_the_line(text, message):
    with pytest.raises(ValueError, match="ip -s link") as err:
        traffic.parse_ip_link_stats_text(text)
    assert message in str(err.value)


def test_counters_on_the_record_labs_centos_are_read_from_the_text():
    host = FakeHost(
        "vm01",
        {
            "ip -j link show dev lo": CENTOS_IP,
            "ip -s link show dev eth1": (0, fixture("versions/iproute2/ip-s-link-iproute2-3.10.txt"), ""),
            "! command -v ethtool >/dev/null || ethtool -S eth1": (0, "", ""),
        },
    )
    values, results = counters.read(host, "eth1")
    assert values["link"]["rx_packets"] == 32 and values["ethtool"] == {}
    assert [r.command for r in results] == [
        "ip -s link show dev eth1",
        "! command -v ethtool >/dev/null || ethtool -S eth1",
    ]
