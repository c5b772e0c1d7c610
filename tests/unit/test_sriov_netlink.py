"""rtnetlink messages for VF settings (encoded with pyroute2) checked byte for byte against the
kernel's structs, replies shaped like the record's NIC decoded, and the relay's own checks."""

from __future__ import annotations

import base64
import socket
import struct
from pathlib import Path

import pytest

from netvirt import rtnl, sriov, sriov_netlink
from netvirt.parsers.net import parse_ip_links
from netvirt.remote import nlrelay

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEQ = 4242

# Kernel values (include/uapi/linux/if_link.h, rtnetlink.h).
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_OPERSTATE = 1, 3, 4, 16
IFLA_NUM_VF, IFLA_VFINFO_LIST, IFLA_EXT_MASK = 21, 22, 29
IFLA_VF_INFO = 1
IFLA_VF_MAC, IFLA_VF_VLAN, IFLA_VF_TX_RATE, IFLA_VF_SPOOFCHK = 1, 2, 3, 4
IFLA_VF_LINK_STATE, IFLA_VF_RATE, IFLA_VF_RSS_QUERY_EN, IFLA_VF_TRUST, IFLA_VF_VLAN_LIST = 5, 6, 7, 9, 12
IFLA_VF_VLAN_INFO = 1


def nla(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def ifname(name: str) -> bytes:
    return nla(IFLA_IFNAME, name.encode() + b"\0")


def message(kind: int, body: bytes, flags: int = 0x5, seq: int = SEQ, ifi_flags: int = 0, change: int = 0) -> bytes:
    ifinfo = struct.pack("=BBHiII", socket.AF_UNSPEC, 0, 0, 0, ifi_flags, change)
    return struct.pack("=LHHLL", 16 + len(ifinfo) + len(body), kind, flags, seq, 0) + ifinfo + body


def vf_request(*vf_attrs: bytes) -> bytes:
    info = nla(IFLA_VF_INFO, b"".join(vf_attrs))
    return message(rtnl.RTM_SETLINK, ifname("enP5p1s0") + nla(IFLA_VFINFO_LIST, info))


def encode(vf: int, **settings) -> bytes:
    change = sriov.VfChange(**settings)
    return rtnl.setvf_request("enP5p1s0", sriov_netlink.to_attrs(vf, change), seq=SEQ)


# -- requests ----------------------------------------------------------------------------------------


def test_vlan_8021q_uses_the_old_attribute_like_iproute2():
    expected = vf_request(nla(IFLA_VF_VLAN, struct.pack("=III", 0, 100, 0)))
    assert encode(0, vlan=100, qos=0, vlan_protocol="802.1Q") == expected


def test_vlan_8021ad_is_a_vlan_list_with_the_kernels_16_byte_struct():
    ivvi = nla(IFLA_VF_VLAN_INFO, struct.pack("=III", 1, 100, 3) + struct.pack(">H", 0x88A8) + b"\0\0")
    assert len(ivvi) == 20  # nla header + sizeof(struct ifla_vf_vlan_info)
    assert encode(1, vlan=100, qos=3, vlan_protocol="802.1ad") == vf_request(nla(IFLA_VF_VLAN_LIST, ivvi))


def test_mac():
    mac = bytes.fromhex("001122334455") + b"\0" * 26
    assert encode(1, mac="00:11:22:33:44:55") == vf_request(nla(IFLA_VF_MAC, struct.pack("=I", 1) + mac))


def test_rates_are_one_vf_rate_attribute_min_then_max():
    expected = vf_request(nla(IFLA_VF_RATE, struct.pack("=III", 0, 25000, 30000)))
    assert encode(0, max_tx_rate=30000, min_tx_rate=25000) == expected


@pytest.mark.parametrize(
    ("setting", "kind", "value"),
    [
        ({"spoofchk": True}, IFLA_VF_SPOOFCHK, 1),
        ({"spoofchk": False}, IFLA_VF_SPOOFCHK, 0),
        ({"trust": True}, IFLA_VF_TRUST, 1),
        ({"link_state": sriov.LinkState.auto}, IFLA_VF_LINK_STATE, 0),
        ({"link_state": sriov.LinkState.enable}, IFLA_VF_LINK_STATE, 1),
        ({"link_state": sriov.LinkState.disable}, IFLA_VF_LINK_STATE, 2),
    ],
)
def test_on_off_and_link_state(setting, kind, value):
    assert encode(0, **setting) == vf_request(nla(kind, struct.pack("=II", 0, value)))


def test_several_settings_in_one_vf_info_in_iproute2_order():
    expected = vf_request(
        nla(IFLA_VF_VLAN, struct.pack("=III", 0, 100, 0)),
        nla(IFLA_VF_RATE, struct.pack("=III", 0, 0, 100)),
        nla(IFLA_VF_LINK_STATE, struct.pack("=II", 0, 2)),
        nla(IFLA_VF_TRUST, struct.pack("=II", 0, 1)),
    )
    got = encode(0, trust=True, link_state=sriov.LinkState.disable, max_tx_rate=100, min_tx_rate=0, vlan=100, qos=0)
    assert got == expected


def test_link_up_down_and_mtu():
    assert rtnl.setlink_request("enP5p1s0", up=False, seq=SEQ) == message(
        rtnl.RTM_SETLINK, ifname("enP5p1s0"), ifi_flags=0, change=1
    )
    assert rtnl.setlink_request("enP5p1s0", up=True, seq=SEQ) == message(
        rtnl.RTM_SETLINK, ifname("enP5p1s0"), ifi_flags=1, change=1
    )
    mtu = nla(IFLA_MTU, struct.pack("=I", 4000))
    assert rtnl.setlink_request("enP5p1s0", mtu=4000, seq=SEQ) == message(rtnl.RTM_SETLINK, ifname("enP5p1s0") + mtu)


def test_getlink_asks_for_the_vf_list():
    mask = nla(IFLA_EXT_MASK, struct.pack("=I", 1))
    assert rtnl.getlink_request("enP5p1s0", seq=SEQ) == message(rtnl.RTM_GETLINK, ifname("enP5p1s0") + mask)


# -- replies ------------------------------------------------------------------------------------------


def reply_vf(vf: int, max_rate: int, min_rate: int, vlan: int = 0, link_state: int = 0) -> bytes:
    """IFLA_VF_INFO as mlx5 reports a VF (with -1 for nothing: not used by mlx5 for these)."""
    return nla(
        IFLA_VF_INFO,
        nla(IFLA_VF_MAC, struct.pack("=I", vf) + b"\0" * 32)
        + nla(IFLA_VF_VLAN, struct.pack("=III", vf, vlan, 0))
        + nla(IFLA_VF_VLAN_LIST, nla(IFLA_VF_VLAN_INFO, struct.pack("=III", vf, vlan, 0) + b"\x81\x00\0\0"))
        + nla(IFLA_VF_TX_RATE, struct.pack("=II", vf, max_rate))
        + nla(IFLA_VF_RATE, struct.pack("=III", vf, min_rate, max_rate))
        + nla(IFLA_VF_SPOOFCHK, struct.pack("=II", vf, 0))
        + nla(IFLA_VF_LINK_STATE, struct.pack("=II", vf, link_state))
        + nla(IFLA_VF_RSS_QUERY_EN, struct.pack("=II", vf, 0))
        + nla(IFLA_VF_TRUST, struct.pack("=II", vf, 0)),
    )


def newlink(name: str, mac: str, vfs: list[bytes], up: bool = True) -> bytes:
    body = (
        ifname(name)
        + nla(IFLA_MTU, struct.pack("=I", 1500))
        + nla(IFLA_OPERSTATE, bytes([6 if up else 2]))
        + nla(IFLA_ADDRESS, bytes.fromhex(mac.replace(":", "")))
        + nla(IFLA_NUM_VF, struct.pack("=I", len(vfs)))
        + nla(IFLA_VFINFO_LIST, b"".join(vfs))
    )
    return message(rtnl.RTM_NEWLINK, body, flags=0, ifi_flags=0x10043 if up else 0x1002)


def ack(code: int = 0, text: str = "") -> bytes:
    request = struct.pack("=LHHLL", 40, rtnl.RTM_SETLINK, 5, SEQ, 0)
    tlvs = nla(rtnl.NLMSGERR_ATTR_MSG, text.encode() + b"\0") if text else b""
    flags = (rtnl.NLM_F_CAPPED | rtnl.NLM_F_ACK_TLVS) if text else rtnl.NLM_F_CAPPED
    body = struct.pack("=i", -code) + request + tlvs
    return struct.pack("=LHHLL", 16 + len(body), rtnl.NLMSG_ERROR, flags, SEQ, 0) + body


def test_getlink_reply_like_the_records_5_4_8_2_decodes_to_what_ip_link_printed():
    data = newlink("enP4p1s0", "ec:0d:9a:89:4c:36", [reply_vf(0, 30000, 25000), reply_vf(1, 40000, 35000)]) + ack()
    reply = rtnl.decode_reply(data, SEQ)
    assert reply.error == 0
    (link,) = reply.links
    assert (link["ifname"], link["mtu"], link["mac"], link["num_vf"], link["up"]) == (
        "enP4p1s0",
        1500,
        "ec:0d:9a:89:4c:36",
        2,
        True,
    )
    decoded = [sriov_netlink.vf_state(vf) for vf in link["vfs"]]
    printed = parse_ip_links((FIXTURES / "record/ip-link-vf-5.4.8.2.txt").read_text())[0]["vfs"]
    for state, text in zip(decoded, printed, strict=True):
        for key in ("vf", "mac", "max_tx_rate", "min_tx_rate", "spoofchk", "trust", "query_rss"):
            assert getattr(state, key) == text[key], key
        assert state.link_state.name == text["link_state"]
        assert state.vlan == (text["vlan"] or 0)


def test_getlink_reply_like_the_records_5_4_5_2_vlans_and_link_states():
    data = newlink("enP5p1s0", "ec:0d:9a:89:4a:e6", [reply_vf(0, 0, 0, 100, 1), reply_vf(1, 0, 0, 101, 0)])
    link = rtnl.decode_reply(data, SEQ).links[0]
    vf0, vf1 = (sriov_netlink.vf_state(vf) for vf in link["vfs"])
    assert (vf0.vlan, vf0.link_state, vf0.vlan_protocol) == (100, sriov.LinkState.enable, "802.1Q")
    assert (vf1.vlan, vf1.link_state) == (101, sriov.LinkState.auto)
    lines = [sriov.format_vf_line(vf) for vf in (vf0, vf1)]
    text = (FIXTURES / "record/ip-link-vf-5.4.5.2.txt").read_text().splitlines()[:2] + lines
    assert [v["vlan"] for v in parse_ip_links("\n".join(text))[0]["vfs"]] == [100, 101]


def test_unsupported_settings_read_as_none():
    info = nla(IFLA_VF_INFO, nla(IFLA_VF_MAC, struct.pack("=I", 0) + b"\0" * 32) + nla(IFLA_VF_TRUST, b"\xff" * 8))
    vf = sriov_netlink.vf_state(rtnl.decode_reply(newlink("eth0", "00:00:00:00:00:01", [info]), SEQ).links[0]["vfs"][0])
    assert vf.trust is None
    assert "trust" not in sriov.format_vf_line(vf)


def test_kernel_error_with_extended_ack_is_explained():
    reply = rtnl.decode_reply(ack(22, "VF index out of range"), SEQ)
    assert (reply.error, reply.detail) == (22, "VF index out of range")
    err = rtnl.NetlinkError("hostb", "ip link set dev enP5p1s0 vf 9 trust on", reply.error, reply.detail)
    assert "errno 22 EINVAL" in str(err) and "VF index out of range" in str(err) and "hostb" in str(err)


def test_replies_to_other_requests_are_ignored():
    assert rtnl.decode_reply(ack(1), SEQ + 1).error == 0


class FakeSession:
    name = "hostb"

    def __init__(self, stdout: str, rc: int = 0):
        self.stdout, self.rc, self.commands = stdout, rc, []

    def run(self, command, timeout=0):
        from netvirt.ssh import CommandResult

        self.commands.append(command)
        return CommandResult("hostb", command, self.rc, self.stdout, "nlrelay: boom" if self.rc else "", 0.01)


def test_relay_runs_python3_with_the_program_and_raises_the_kernels_error():
    request = rtnl.setlink_request("enP5p1s0", up=False, seq=SEQ)
    session = FakeSession(base64.b64encode(ack(1, "")).decode())
    with pytest.raises(rtnl.NetlinkError, match="errno 1 EPERM"):
        rtnl.Relay(session).request(request, "ip link set dev enP5p1s0 down")
    assert session.commands[0].startswith("python3 -c ")


def test_relay_failure_names_the_host():
    with pytest.raises(RuntimeError, match="hostb 上无法转发 netlink 请求"):
        rtnl.Relay(FakeSession("", rc=2)).request(rtnl.getlink_request("x", seq=SEQ), "read")


# -- the relay script's own checks ---------------------------------------------------------------------


def test_relay_refuses_anything_but_link_requests():
    route = struct.pack("=LHHLL", 16, 24, 5, 1, 0)  # RTM_NEWROUTE
    with pytest.raises(SystemExit) as exit_:
        nlrelay.check_request(route)
    assert exit_.value.code == 2
    with pytest.raises(SystemExit):
        nlrelay.check_request(b"\x10\0\0")
    assert nlrelay.check_request(rtnl.getlink_request("eth0", seq=77)) == 77


def test_relay_stops_at_the_ack_for_its_request():
    assert not nlrelay.finished(newlink("eth0", "00:00:00:00:00:01", []), SEQ)
    assert nlrelay.finished(newlink("eth0", "00:00:00:00:00:01", []) + ack(), SEQ)
