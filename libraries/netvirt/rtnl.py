"""rtnetlink link messages for a NIC on a remote host: built and decoded here, relayed there.

pyroute2's ``ifinfmsg`` encodes RTM_SETLINK/RTM_GETLINK in the Robot process; the host runs
``netvirt/remote/nlrelay.py`` (python3 standard library) which sends the bytes on its own
NETLINK_ROUTE socket and prints the kernel's reply bytes, decoded back here. So the
production path is exactly what ``ip link set dev <pf> vf N ...`` sends, without iproute2's
text in between, and without pyroute2 or any agent installed on the host.

The relay is passed to ``python3 -c`` as its program text rather than copied to a file:
one SSH round trip per request and nothing left on the host if this process dies.
"""

from __future__ import annotations

import base64
import errno as errno_names
import itertools
import os
import shlex
import socket
import struct
from dataclasses import dataclass, field
from typing import Any

from pyroute2.netlink import nla
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from netvirt.remote import script
from netvirt.ssh import SshSession

RTM_NEWLINK = 16
RTM_GETLINK = 18
RTM_SETLINK = 19
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG = 1
IFF_UP = 0x1
IFF_LOWER_UP = 0x10000
RTEXT_FILTER_VF = 0x1
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
HEADER = struct.Struct("=LHHLL")
NLA = struct.Struct("=HH")
UNSUPPORTED = 0xFFFFFFFF  # a VF setting the driver does not report (the kernel's -1)
_sequence = itertools.count(int.from_bytes(os.urandom(2), "big") + 1)


class LinkMessage(ifinfmsg):
    """``ifinfmsg`` with the kernel's 16-byte ``struct ifla_vf_vlan_info``.

    pyroute2 0.9.7 packs IFLA_VF_VLAN_INFO in 14 bytes; the kernel refuses anything shorter
    than ``sizeof(struct ifla_vf_vlan_info)`` with EINVAL, so the two bytes of tail padding
    the C struct has are added here.
    """

    class vflist(ifinfmsg.vflist):
        class vfinfo(ifinfmsg.vflist.vfinfo):
            class vf_vlist(ifinfmsg.vflist.vfinfo.vf_vlist):
                class ivvi(nla):
                    fields = (("vf", "I"), ("vlan", "I"), ("qos", "I"), ("proto", ">H"), ("pad", "H"))


class NetlinkError(RuntimeError):
    """The kernel refused a request; ``errno`` and the kernel's own explanation are kept."""

    def __init__(self, host: str, what: str, code: int, detail: str = ""):
        self.host, self.what, self.errno, self.detail = host, what, code, detail
        name = errno_names.errorcode.get(code, "?")
        text = f"{host} 上 {what} 被内核拒绝：errno {code} {name}（{os.strerror(code)}）"
        super().__init__(text + (f"：{detail}" if detail else ""))


@dataclass(frozen=True)
class VfAttrs:
    """One VF's settings as netlink attributes to send (None: leave as it is)."""

    vf: int
    mac: str | None = None
    vlan: int | None = None
    qos: int = 0
    proto: int = ETH_P_8021Q
    rate: tuple[int, int] | None = None  # (min_tx_rate, max_tx_rate) in Mbps, as IFLA_VF_RATE
    spoofchk: bool | None = None
    link_state: int | None = None
    trust: bool | None = None

    def nlas(self) -> list[tuple[str, dict[str, Any]]]:
        """The IFLA_VF_* attributes, in the order iproute2 sends them."""
        vf = self.vf
        attrs: list[tuple[str, dict[str, Any]]] = []
        if self.mac is not None:
            attrs.append(("IFLA_VF_MAC", {"vf": vf, "mac": self.mac}))
        if self.vlan is not None:
            if self.proto == ETH_P_8021Q:  # as iproute2: the old attribute, understood by every kernel
                attrs.append(("IFLA_VF_VLAN", {"vf": vf, "vlan": self.vlan, "qos": self.qos}))
            else:
                info = {"vf": vf, "vlan": self.vlan, "qos": self.qos, "proto": self.proto, "pad": 0}
                attrs.append(("IFLA_VF_VLAN_LIST", {"attrs": [("IFLA_VF_VLAN_INFO", info)]}))
        if self.rate is not None:
            attrs.append(("IFLA_VF_RATE", {"vf": vf, "min_tx_rate": self.rate[0], "max_tx_rate": self.rate[1]}))
        if self.spoofchk is not None:
            attrs.append(("IFLA_VF_SPOOFCHK", {"vf": vf, "spoofchk": int(self.spoofchk)}))
        if self.link_state is not None:
            attrs.append(("IFLA_VF_LINK_STATE", {"vf": vf, "link_state": self.link_state}))
        if self.trust is not None:
            attrs.append(("IFLA_VF_TRUST", {"vf": vf, "trust": int(self.trust)}))
        return attrs


def _encode(kind: int, ifname: str, attrs: list, flags: int = 0, change: int = 0, seq: int | None = None) -> bytes:
    msg = LinkMessage()
    msg["family"] = socket.AF_UNSPEC
    msg["index"] = 0  # the kernel finds the device by IFLA_IFNAME
    msg["flags"] = flags
    msg["change"] = change
    msg["attrs"] = [("IFLA_IFNAME", ifname), *attrs]
    msg["header"]["type"] = kind
    msg["header"]["flags"] = NLM_F_REQUEST | NLM_F_ACK
    msg["header"]["sequence_number"] = next(_sequence) & 0xFFFFFFFF if seq is None else seq
    msg["header"]["pid"] = 0
    msg.encode()
    return bytes(msg.data)


def getlink_request(ifname: str, seq: int | None = None) -> bytes:
    """RTM_GETLINK for ``ifname`` with the VF list (IFLA_EXT_MASK = RTEXT_FILTER_VF)."""
    return _encode(RTM_GETLINK, ifname, [("IFLA_EXT_MASK", RTEXT_FILTER_VF)], seq=seq)


def setvf_request(ifname: str, vf: VfAttrs, seq: int | None = None) -> bytes:
    """RTM_SETLINK on PF ``ifname`` with one IFLA_VF_INFO in IFLA_VFINFO_LIST."""
    info = ("IFLA_VFINFO_LIST", {"attrs": [("IFLA_VF_INFO", {"attrs": vf.nlas()})]})
    return _encode(RTM_SETLINK, ifname, [info], seq=seq)


def setlink_request(ifname: str, up: bool | None = None, mtu: int | None = None, seq: int | None = None) -> bytes:
    """RTM_SETLINK for the link itself: admin state (IFF_UP) and/or MTU."""
    attrs = [("IFLA_MTU", mtu)] if mtu is not None else []
    flags, change = (IFF_UP if up else 0, IFF_UP) if up is not None else (0, 0)
    return _encode(RTM_SETLINK, ifname, attrs, flags=flags, change=change, seq=seq)


# -- replies ------------------------------------------------------------------------------------


@dataclass
class Reply:
    """The decoded replies to one request: links (RTM_NEWLINK) and the kernel's verdict."""

    links: list[dict[str, Any]] = field(default_factory=list)
    error: int = 0
    detail: str = ""


def split_messages(data: bytes) -> list[tuple[int, int, int, bytes]]:
    """``(type, flags, seq, message bytes)`` for each netlink message in ``data``."""
    messages, offset = [], 0
    while offset + HEADER.size <= len(data):
        length, kind, flags, seq, _pid = HEADER.unpack_from(data, offset)
        if length < HEADER.size or offset + length > len(data):
            raise ValueError(f"netlink 应答在偏移 {offset} 处不完整（长度 {length}，共 {len(data)} 字节）")
        messages.append((kind, flags, seq, data[offset : offset + length]))
        offset += (length + 3) & ~3
    return messages


def decode_error(message: bytes) -> tuple[int, str]:
    """``(errno, extended-ack text)`` of an NLMSG_ERROR; errno 0 is an ACK."""
    _length, _kind, flags, _seq, _pid = HEADER.unpack_from(message)
    (code,) = struct.unpack_from("=i", message, HEADER.size)
    detail = ""
    if flags & NLM_F_ACK_TLVS:
        # The request comes back after the error code: its header alone if capped, else whole.
        (orig_len,) = struct.unpack_from("=L", message, HEADER.size + 4)
        offset = HEADER.size + 4 + (HEADER.size if flags & NLM_F_CAPPED else (orig_len + 3) & ~3)
        while offset + NLA.size <= len(message):
            length, kind = NLA.unpack_from(message, offset)
            if length < NLA.size:
                break
            if kind & 0x3FFF == NLMSGERR_ATTR_MSG:
                detail = message[offset + NLA.size : offset + length].split(b"\0")[0].decode(errors="replace")
            offset += (length + 3) & ~3
    return -code, detail


def decode_link(message: bytes) -> dict[str, Any]:
    """An RTM_NEWLINK as ``{ifname, index, mtu, up, lower_up, operstate, mac, num_vf, vfs}``."""
    msg = ifinfmsg(message)
    msg.decode()
    vfs = []
    vflist = msg.get_attr("IFLA_VFINFO_LIST")
    for info in vflist.get_attrs("IFLA_VF_INFO") if vflist else []:
        vfs.append(_decode_vf(info))
    return {
        "ifname": msg.get_attr("IFLA_IFNAME"),
        "index": msg["index"],
        "mtu": msg.get_attr("IFLA_MTU"),
        "up": bool(msg["flags"] & IFF_UP),
        "lower_up": bool(msg["flags"] & IFF_LOWER_UP),
        "operstate": msg.get_attr("IFLA_OPERSTATE"),
        "mac": msg.get_attr("IFLA_ADDRESS"),
        "num_vf": msg.get_attr("IFLA_NUM_VF") or 0,
        "vfs": vfs,
    }


def _setting(value: int) -> bool | None:
    return None if value == UNSUPPORTED else bool(value)


def _decode_vf(info) -> dict[str, Any]:
    """One IFLA_VF_INFO as the fields ``ip link`` prints (rates in Mbps)."""
    mac = info.get_attr("IFLA_VF_MAC")
    vf: dict[str, Any] = {"vf": mac["vf"] if mac else None, "mac": mac["mac"] if mac else None}
    vlan = info.get_attr("IFLA_VF_VLAN")
    vf.update(vlan=vlan["vlan"] if vlan else 0, qos=vlan["qos"] if vlan else 0, vlan_protocol=ETH_P_8021Q)
    vlist = info.get_attr("IFLA_VF_VLAN_LIST")
    for entry in vlist.get_attrs("IFLA_VF_VLAN_INFO") if vlist else []:
        vf.update(vlan=entry["vlan"], qos=entry["qos"], vlan_protocol=entry["proto"])
        break  # one tag per VF in VST, as iproute2 prints it
    tx_rate = info.get_attr("IFLA_VF_TX_RATE")
    rate = info.get_attr("IFLA_VF_RATE")
    vf["tx_rate"] = tx_rate["tx_rate"] if tx_rate else 0
    vf["max_tx_rate"] = rate["max_tx_rate"] if rate else vf["tx_rate"]
    vf["min_tx_rate"] = rate["min_tx_rate"] if rate else 0
    for attr, key in (
        ("IFLA_VF_SPOOFCHK", "spoofchk"),
        ("IFLA_VF_TRUST", "trust"),
        ("IFLA_VF_RSS_QUERY_EN", "rss_query_en"),
    ):
        value = info.get_attr(attr)
        vf["query_rss" if key == "rss_query_en" else key] = _setting(value[key]) if value else None
    state = info.get_attr("IFLA_VF_LINK_STATE")
    vf["link_state"] = state["link_state"] if state else None
    return vf


def decode_reply(data: bytes, seq: int) -> Reply:
    """Decode the relay's bytes for request ``seq``."""
    reply = Reply()
    for kind, _flags, got, message in split_messages(data):
        if got != seq:
            continue
        if kind == RTM_NEWLINK:
            reply.links.append(decode_link(message))
        elif kind == NLMSG_ERROR:
            reply.error, reply.detail = decode_error(message)
    return reply


def sequence_of(request: bytes) -> int:
    return HEADER.unpack_from(request)[3]


class Relay:
    """Sends link requests through ``nlrelay.py`` on the host of an SSH session."""

    def __init__(self, session: SshSession):
        self.session = session

    def command(self, request: bytes) -> str:
        program = script("nlrelay.py").decode()
        return shlex.join(["python3", "-c", program, base64.b64encode(request).decode()])

    def request(self, request: bytes, what: str) -> Reply:
        """Send ``request``; return the decoded reply, or raise ``NetlinkError`` naming ``what``."""
        result = self.session.run(self.command(request), timeout=30)
        if not result.ok:
            problem = (result.stderr or result.stdout).strip().splitlines()
            raise RuntimeError(
                f"{self.session.name} 上无法转发 netlink 请求（{what}）：{problem[-1] if problem else result.rc}"
                "（主机需要 python3 与 root 权限）"
            )
        reply = decode_reply(base64.b64decode(result.stdout.strip()), sequence_of(request))
        if reply.error:
            raise NetlinkError(self.session.name, what, reply.error, reply.detail)
        return reply
