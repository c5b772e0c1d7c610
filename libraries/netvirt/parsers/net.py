"""Parsers for Linux networking tool output: ``ip link``, ``ibdev2netdev``, ``ethtool``, ``tc``.

Each parser takes the text a QA engineer sees, without the command line, and raises
``ValueError`` naming the line it could not read. ``ip -j link`` (iproute2 4.14 on) and
``tc -j -s class`` (6.2 on) have JSON parsers giving the same shape as their text parsers, which
stay for older hosts (CentOS 7's iproute2 3.10 has no ``-j``) and for pasted outputs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

_LINK_HEADER_RE = re.compile(r"^(\d+): ([^:@\s]+)(?:@([^:\s]+))?: <([^>]*)>(.*)$")
_LINK_ADDR_RE = re.compile(r"^\s+link/(\S+)(?: (?!brd\b)(\S+))?(?: brd (\S+))?(.*)$")
_ALTNAME_RE = re.compile(r"^\s+altname (\S+)$")
_VF_RE = re.compile(r"^\s+vf (\d+)\s+(.*)$")
_VF_ADDR_RE = re.compile(r"^(?:MAC (\S+)|link/\w+ (\S+)(?: brd \S+)?)$")
_ON_OFF = {"on": True, "off": False}
# One entry per ", "-separated VF attribute that iproute2's print_vfinfo() can print.
_VF_FIELDS: list[tuple[re.Pattern[str], str, Callable[[str], Any]]] = [
    (re.compile(r"^vlan (\d+)$"), "vlan", int),
    (re.compile(r"^qos (\d+)$"), "qos", int),
    (re.compile(r"^vlan protocol (\S+)$"), "vlan_protocol", str),
    (re.compile(r"^tx rate (\d+) \(Mbps\)$"), "tx_rate", int),
    (re.compile(r"^max_tx_rate (\d+)Mbps$"), "max_tx_rate", int),
    (re.compile(r"^min_tx_rate (\d+)Mbps$"), "min_tx_rate", int),
    (re.compile(r"^spoof checking (on|off)$"), "spoofchk", _ON_OFF.__getitem__),
    (re.compile(r"^link-state (auto|enable|disable)$"), "link_state", str),
    (re.compile(r"^trust (on|off)$"), "trust", _ON_OFF.__getitem__),
    (re.compile(r"^query_rss (on|off)$"), "query_rss", _ON_OFF.__getitem__),
    # InfiniBand VFs, iproute2 5.5 on (commit 738728cc).
    (re.compile(r"^NODE_GUID (\S+)$"), "node_guid", str),
    (re.compile(r"^PORT_GUID (\S+)$"), "port_guid", str),
]

_IBDEV_VERBOSE_RE = re.compile(
    r"^(?P<pci>\S+) (?P<ibdev>\S+) \((?P<hca_type>\S+) - (?P<serial>[^)]*)\)\s*(?P<description>.*?)\s*"
    r"fw (?P<fw>\S+) port (?P<port>\d+) \((?P<port_state>[^)]*)\) ==> (?P<netdev>\S+) \((?P<link>[^)]*)\)$"
)
_IBDEV_FIELDS = (
    "pci",
    "ibdev",
    "hca_type",
    "serial",
    "description",
    "fw",
    "port",
    "port_state",
    "netdev",
    "link",
)
# Any run of blanks between words: users paste it through "column -t".
_IBDEV_SHORT_RE = re.compile(r"^(?P<ibdev>\S+)\s+port\s+(?P<port>\d+)\s+==>\s+(?P<netdev>\S+)\s+\((?P<link>[^)]*)\)$")
# The script's "old style" branch, for drivers without /sys/class/infiniband/*/ports/*/gid_attrs.
_IBDEV_OLD_RE = re.compile(r"^(?P<ibdev>\S+)\s+port\s+(?P<port>\d+)\s+<===>\s+(?P<netdev>\S+)$")

_COLON_LINE_RE = re.compile(r"^\s*(\S.*?):\s*(.*?)\s*$")
_FEATURE_RE = re.compile(r"^(on|off)(?: \[(fixed|requested on|requested off)\])?$")
_CHANNEL_SECTIONS = {"Pre-set maximums": "max", "Current hardware settings": "current"}

_TC_SENT_RE = re.compile(r"^Sent (\d+) bytes (\d+) pkt \(dropped (\d+), overlimits (\d+) requeues (\d+)\)$")
_TC_BACKLOG_RE = re.compile(r"^backlog (\d+)([KM]?)b (\d+)p requeues \d+$")
_TC_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2}  # tc rounds backlogs of 1 KiB and up to Kb or Mb
_TC_SENT_KEYS = ("sent_bytes", "sent_packets", "dropped", "overlimits", "requeues")
_TC_BACKLOG_KEYS = ("backlog_bytes", "backlog_packets")


def _pairs(tokens: list[str], where: str) -> dict[str, str]:
    """Pair up ``key value key value`` tokens, as ``ip link`` prints its attributes."""
    if len(tokens) % 2:
        raise ValueError(f"expected 'key value' pairs in {where!r}")
    return dict(zip(tokens[::2], tokens[1::2], strict=True))


def _parse_vf(vf: str, rest: str, no: int) -> dict[str, Any]:
    """Parse the part of a ``vf N ...`` line after the VF number into typed fields."""
    first, *attributes = [piece.strip() for piece in rest.split(",")]
    address = _VF_ADDR_RE.match(first)
    if not address:
        raise ValueError(
            f"ip link line {no}: expected 'MAC xx:xx:...' or 'link/ether xx:xx:...' after 'vf {vf}', got {first!r}"
        )
    parsed: dict[str, Any] = {"vf": int(vf), "mac": address.group(1) or address.group(2)}
    parsed.update({key: None for _, key, _ in _VF_FIELDS})
    for attribute in attributes:
        for pattern, key, convert in _VF_FIELDS:
            found = pattern.match(attribute)
            if found:
                parsed[key] = convert(found.group(1))
                break
        else:
            raise ValueError(f"ip link line {no}: unknown VF attribute {attribute!r} for vf {vf}")
    return parsed


def _new_link(header: re.Match[str], no: int) -> dict[str, Any]:
    """Start a device record from an ``ip link`` header line."""
    index, name, peer, flags, rest = header.groups()
    attrs = _pairs(rest.split(), f"ip link line {no}: {header.group(0)}")
    return {
        "index": int(index),
        "name": name,
        "link": peer,
        "flags": flags.split(",") if flags else [],
        "mtu": int(attrs["mtu"]) if "mtu" in attrs else None,
        "qdisc": attrs.get("qdisc"),
        "state": attrs.get("state"),
        "attrs": attrs,
        "link_type": None,
        "mac": None,
        "brd": None,
        "altnames": [],
        "vfs": [],
    }


def parse_ip_links(text: str) -> list[dict[str, Any]]:
    """Parse ``ip link show`` output for one or more devices.

    Each device is ``{index, name, link, flags, mtu, qdisc, state, attrs, link_type, mac,
    brd, altnames, vfs}``; ``link`` is the peer after ``@`` (or None) and ``attrs`` holds
    every ``key value`` pair of the header line. ``vfs`` is a list as described in
    :func:`parse_ip_link_vfs`. Statistics (``ip -s``) and details (``ip -d``) are not supported.

    >>> [dev["name"] for dev in parse_ip_links("1: lo: <LOOPBACK,UP> mtu 65536 qdisc noqueue state UNKNOWN\\n"
    ...                                         "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00")]
    ['lo']
    """
    devices: list[dict[str, Any]] = []
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        header = _LINK_HEADER_RE.match(line)
        if header:
            devices.append(_new_link(header, no))
            continue
        if not devices:
            raise ValueError(f"ip link line {no}: expected an 'N: name: <FLAGS> ...' header line, got {line!r}")
        device = devices[-1]
        address = _LINK_ADDR_RE.match(line)
        altname = _ALTNAME_RE.match(line)
        vf = _VF_RE.match(line)
        if address:
            device["link_type"], device["mac"], device["brd"], rest = address.groups()
            device["attrs"].update(_pairs(rest.split(), f"ip link line {no}: {line.strip()}"))
        elif altname:
            device["altnames"].append(altname.group(1))
        elif vf:
            device["vfs"].append(_parse_vf(vf.group(1), vf.group(2), no))
        else:
            raise ValueError(f"ip link line {no}: expected a 'link/...', 'altname' or 'vf N ...' line, got {line!r}")
    return devices


def parse_ip_link_vfs(text: str) -> dict[str, Any]:
    """Parse ``ip link show dev <pf>`` for exactly one device, with its SR-IOV VFs.

    Returns the device dict of :func:`parse_ip_links`. Each VF is ``{vf, mac, vlan, qos,
    vlan_protocol, tx_rate, max_tx_rate, min_tx_rate (Mbps), spoofchk, link_state,
    trust, query_rss, node_guid, port_guid}``; a field the driver did not report is None.
    Both layouts of ``print_vfinfo()`` are read: ``vf 0 MAC xx:...`` (iproute2 up to 5.2,
    CentOS 7) and ``vf 0     link/ether xx:... brd ...`` (5.3 on, commit 0f48f9f4).

    >>> pf = parse_ip_link_vfs("10: enP5p1s0: <UP> mtu 1500 state UP\\n"
    ...                        "    vf 1 MAC 00:00:00:00:00:00, max_tx_rate 40000Mbps, trust off")
    >>> pf["vfs"][0]["max_tx_rate"], pf["vfs"][0]["trust"], pf["vfs"][0]["vlan"]
    (40000, False, None)
    """
    devices = parse_ip_links(text)
    if len(devices) != 1:
        raise ValueError(
            f"expected the output for exactly one device, got {len(devices)}: {[device['name'] for device in devices]}"
        )
    return devices[0]


# ip -j link keys that the text header prints under another name (``attrs`` keeps the text's names).
_JSON_ATTR_NAMES = {"operstate": "state", "linkmode": "mode", "txqlen": "qlen"}
# VF keys of print_vfinfo() in JSON: 4.14-5.2 print "mac", 5.3 on link_type/address/broadcast.
_JSON_VF_FLAGS = {"spoofchk": "spoofchk", "trust": "trust", "query_rss_en": "query_rss"}
_JSON_VF_IGNORED = {"link_type", "broadcast", "link_pointtopoint", "stats"}


def _json_list(text: str, tool: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{tool}: expected JSON output, got {text.strip()[:80]!r} ({exc})") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError(f"{tool}: expected a JSON list of objects, got {text.strip()[:80]!r}")
    return data


def _vf_from_json(raw: dict[str, Any], device: str) -> dict[str, Any]:
    """One ``vfinfo_list`` entry in the shape of :func:`_parse_vf`."""
    if not isinstance(raw.get("vf"), int) or not isinstance(raw.get("address", raw.get("mac")), str):
        raise ValueError(f"ip -j link: VF of {device} without 'vf' and 'address' (or 'mac'): {raw!r}")
    vf: dict[str, Any] = {"vf": raw["vf"], "mac": raw.get("address", raw.get("mac"))}
    vf.update({key: None for _, key, _ in _VF_FIELDS})
    # A VLAN list (IFLA_VF_VLAN_LIST, kernel 4.9 on) has one entry; older kernels put vlan/qos on the VF.
    vlans = raw.get("vlan_list") or [raw]
    vf.update(vlan=vlans[0].get("vlan"), qos=vlans[0].get("qos"), vlan_protocol=vlans[0].get("protocol"))
    vf["tx_rate"] = raw.get("tx_rate")
    rate = raw.get("rate") or {}
    vf.update(max_tx_rate=rate.get("max_tx"), min_tx_rate=rate.get("min_tx"))
    vf["link_state"] = raw.get("link_state")
    for key, name in _JSON_VF_FLAGS.items():
        vf[name] = raw.get(key)
    vf.update(node_guid=raw.get("node guid"), port_guid=raw.get("port guid"))
    known = {"vf", "address", "mac", "vlan_list", "vlan", "qos", "tx_rate", "rate", "link_state"}
    unknown = set(raw) - known - set(_JSON_VF_FLAGS) - _JSON_VF_IGNORED - {"node guid", "port guid"}
    if unknown:
        raise ValueError(f"ip -j link: unknown VF attribute(s) {sorted(unknown)} for vf {raw['vf']} of {device}")
    return vf


def parse_ip_link_json(text: str) -> list[dict[str, Any]]:
    """Parse ``ip -j [-d] link show`` (iproute2 4.14 on) into the dicts of :func:`parse_ip_links`.

    ``attrs`` has the header's scalars under the names the text prints (``state``, ``mode``,
    ``qlen``, ``master`` ...) as strings; ``vfs`` come from ``vfinfo_list``. Where JSON says more
    than the text, the JSON is kept: a VF rate iproute2 reports as 0 is 0 here (the text omits it).

    >>> dev = parse_ip_link_json('[{"ifindex":3,"ifname":"v0","link":"v1","flags":["UP"],"mtu":1500,'
    ...                          '"operstate":"UP","address":"ee:92:9e:39:94:6f"}]')[0]
    >>> dev["name"], dev["link"], dev["state"], dev["mac"]
    ('v0', 'v1', 'UP', 'ee:92:9e:39:94:6f')
    """
    devices = []
    for raw in _json_list(text, "ip -j link"):
        if "ifname" not in raw or "ifindex" not in raw:
            raise ValueError(f"ip -j link: expected 'ifindex' and 'ifname' in every link, got {sorted(raw)}")
        link = raw.get("link")
        if link is None and raw.get("link_index") is not None:
            link = f"if{raw['link_index']}"  # the peer is in another namespace: the text prints @ifN
        attrs = {
            _JSON_ATTR_NAMES.get(key, key): str(value)
            for key, value in raw.items()
            if isinstance(value, str | int)
            and not isinstance(value, bool)
            and key not in ("ifindex", "ifname", "link", "link_type", "address", "broadcast")
        }
        devices.append(
            {
                "index": raw["ifindex"],
                "name": raw["ifname"],
                "link": link,
                "flags": list(raw.get("flags", [])),
                "mtu": raw.get("mtu"),
                "qdisc": raw.get("qdisc"),
                "state": raw.get("operstate"),
                "attrs": attrs,
                "link_type": raw.get("link_type"),
                "mac": raw.get("address"),
                "brd": raw.get("broadcast"),
                "altnames": list(raw.get("altnames", [])),
                "vfs": [_vf_from_json(vf, raw["ifname"]) for vf in raw.get("vfinfo_list", [])],
            }
        )
    return devices


def parse_ip_link_vfs_json(text: str) -> dict[str, Any]:
    """``ip -j -d link show dev <pf>``: the one device, with its VFs, as :func:`parse_ip_link_vfs` gives it.

    >>> pf = parse_ip_link_vfs_json('[{"ifindex":10,"ifname":"enP5p1s0","vfinfo_list":[{"vf":1,'
    ...     '"address":"00:00:00:00:00:00","vlan_list":[{}],"rate":{"max_tx":40000,"min_tx":35000},"trust":false}]}]')
    >>> pf["vfs"][0]["max_tx_rate"], pf["vfs"][0]["trust"], pf["vfs"][0]["vlan"]
    (40000, False, None)
    """
    devices = parse_ip_link_json(text)
    if len(devices) != 1:
        raise ValueError(f"ip -j link: expected exactly one device, got {[d['name'] for d in devices]}")
    return devices[0]


def parse_ibdev2netdev(text: str) -> list[dict[str, Any]]:
    """Parse ``ibdev2netdev`` or ``ibdev2netdev -v`` into one dict per RDMA port.

    Keys: ``pci, ibdev, hca_type, serial, description, fw, port, port_state, netdev,
    link``; fields only ``-v`` prints are None without it, and a serial of ``NA`` is None.
    The script pads ``-v``'s port state and part number (``printf "%-6s"``: ``(DOWN  )``);
    values come back without the padding. The old style ``mlx4_0 port 1 <===> eth2`` has no
    link state (None).

    >>> port = parse_ibdev2netdev("0005:01:00.1 mlx5_2 (MT4116 - NA)  fw 12.22.1002 port 1 (ACTIVE) "
    ...                           "==> enP5p1s0f1 (Up)")[0]
    >>> port["pci"], port["hca_type"], port["serial"], port["netdev"], port["link"]
    ('0005:01:00.1', 'MT4116', None, 'enP5p1s0f1', 'Up')
    """
    ports: list[dict[str, Any]] = []
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        body = line.strip()
        found = _IBDEV_VERBOSE_RE.match(body) or _IBDEV_SHORT_RE.match(body) or _IBDEV_OLD_RE.match(body)
        if not found:
            raise ValueError(
                f"ibdev2netdev line {no}: expected 'ibdev port N ==> netdev (state)' with or without "
                f"the -v details, or 'ibdev port N <===> netdev', got {line!r}"
            )
        port: dict[str, Any] = dict.fromkeys(_IBDEV_FIELDS)
        port.update({key: value.strip() for key, value in found.groupdict().items()})
        port["port"] = int(port["port"])
        if port["serial"] == "NA":
            port["serial"] = None
        ports.append(port)
    return ports


def _colon_lines(text: str, tool: str) -> list[tuple[int, str, str]]:
    """Split ethtool's ``name: value`` lines into (line number, name, value)."""
    lines: list[tuple[int, str, str]] = []
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        found = _COLON_LINE_RE.match(line)
        if not found:
            raise ValueError(f"{tool} line {no}: expected 'name: value', got {line!r}")
        lines.append((no, found.group(1), found.group(2)))
    return lines


def parse_ethtool_stats(text: str) -> dict[str, int]:
    """Parse ``ethtool -S`` (whole or grepped) into ``{counter: value}``.

    A counter's name is everything before the last colon: drivers that group counters by queue print
    ``[0]: rx_bytes: 12`` (bnx2x) or ``rxq0: rx_bytes: 12`` (be2net), kept as ``[0]: rx_bytes``.

    >>> parse_ethtool_stats("NIC statistics:\\n     rx_vport_multicast_packets: 8981036150")
    {'rx_vport_multicast_packets': 8981036150}
    """
    stats: dict[str, int] = {}
    for no, name, value in _colon_lines(text, "ethtool -S"):
        if name == "NIC statistics" and not value:
            continue
        group, colon, value = value.rpartition(":")
        name, value = (f"{name}: {group.strip()}", value.strip()) if colon else (name, value)
        if not value.isdigit():
            raise ValueError(f"ethtool -S line {no}: expected an integer for counter {name!r}, got {value!r}")
        stats[name] = int(value)
    return stats


def parse_ethtool_channels(text: str) -> dict[str, dict[str, int | None]]:
    """Parse ``ethtool -l`` into ``{'max': {...}, 'current': {...}}``.

    Keys are lower-case (``rx``, ``tx``, ``other``, ``combined``); ``n/a`` becomes None.

    >>> parse_ethtool_channels("Pre-set maximums:\\nCombined:\\t2\\n"
    ...                        "Current hardware settings:\\nCombined:\\t1")
    {'max': {'combined': 2}, 'current': {'combined': 1}}
    """
    channels: dict[str, dict[str, int | None]] = {"max": {}, "current": {}}
    section: str | None = None
    for no, name, value in _colon_lines(text, "ethtool -l"):
        if name in _CHANNEL_SECTIONS and not value:
            section = _CHANNEL_SECTIONS[name]
        elif name.startswith("Channel parameters for ") and not value:
            continue
        elif section is None:
            raise ValueError(f"ethtool -l line {no}: expected 'Pre-set maximums:' before channel {name!r}")
        elif value.isdigit() or value == "n/a":
            channels[section][name.lower()] = int(value) if value.isdigit() else None
        else:
            raise ValueError(f"ethtool -l line {no}: expected a channel count or n/a for {name!r}, got {value!r}")
    if not channels["max"] or not channels["current"]:
        raise ValueError(
            "expected both 'Pre-set maximums:' and 'Current hardware settings:' sections in ethtool -l output"
        )
    return channels


def parse_ethtool_features(text: str) -> dict[str, dict[str, bool | None]]:
    """Parse ``ethtool -k`` into ``{feature: {'on', 'fixed', 'requested'}}``.

    ``requested`` is None unless ethtool prints ``[requested on|off]``, which it does
    only when the requested state differs from the active one.

    >>> parse_ethtool_features("Features for eth1:\\ngeneric-segmentation-offload: off [requested on]")
    {'generic-segmentation-offload': {'on': False, 'fixed': False, 'requested': True}}
    """
    features: dict[str, dict[str, bool | None]] = {}
    for no, name, value in _colon_lines(text, "ethtool -k"):
        if name.startswith("Features for ") and not value:
            continue
        state = _FEATURE_RE.match(value)
        if not state:
            raise ValueError(
                f"ethtool -k line {no}: expected 'on' or 'off' with an optional [fixed] or "
                f"[requested on|off] for feature {name!r}, got {value!r}"
            )
        active, note = state.groups()
        features[name] = {
            "on": active == "on",
            "fixed": note == "fixed",
            "requested": _ON_OFF[note.split()[1]] if note and note != "fixed" else None,
        }
    return features


def _tc_header(line: str, no: int, object_kind: str, id_key: str) -> dict[str, Any]:
    """Parse ``class mq :1 root`` / ``qdisc fq_codel 0: parent :1 limit 10240p ...``."""
    tokens = line.split()
    entry: dict[str, Any] = {"kind": tokens[1], id_key: tokens[2], "dev": None, "parent": None}
    rest = tokens[3:]
    while rest and rest[0] in ("dev", "parent", "root"):
        if rest[0] == "root":
            entry["parent"], rest = "root", rest[1:]
        elif len(rest) > 1:
            entry[rest[0]], rest = rest[1], rest[2:]
        else:
            raise ValueError(f"tc line {no}: expected a value after {rest[0]!r} in tc {object_kind} line {line!r}")
    entry.update(dict.fromkeys(_TC_SENT_KEYS + _TC_BACKLOG_KEYS), options=" ".join(rest), extra=[])
    return entry


def _parse_tc(text: str, object_kind: str, id_key: str) -> list[dict[str, Any]]:
    """Parse ``tc -s <object_kind> show`` blocks; shared by classes and qdiscs."""
    entries: list[dict[str, Any]] = []
    for no, line in enumerate(text.splitlines(), 1):
        body = line.strip()
        if not body:
            continue
        if line.startswith(f"{object_kind} ") and len(body.split()) >= 3:
            entries.append(_tc_header(body, no, object_kind, id_key))
            continue
        if not entries or not line[0].isspace():
            raise ValueError(f"tc line {no}: expected a '{object_kind} KIND ID ...' line, got {line!r}")
        sent, backlog = _TC_SENT_RE.match(body), _TC_BACKLOG_RE.match(body)
        if sent:
            entries[-1].update(zip(_TC_SENT_KEYS, map(int, sent.groups()), strict=True))
        elif backlog:  # its requeues repeat the Sent line's
            size, unit, packets = backlog.groups()
            entries[-1].update(backlog_bytes=int(size) * _TC_SIZE_UNITS[unit], backlog_packets=int(packets))
        else:
            entries[-1]["extra"].append(body)  # qdisc/class specific xstats, e.g. htb tokens
    return entries


def parse_tc_class_stats(text: str) -> list[dict[str, Any]]:
    """Parse ``tc -s class show dev DEV`` into one dict per class.

    Keys: ``class, kind, dev, parent ('root' or a handle), options (rest of the header),
    sent_bytes, sent_packets, dropped, overlimits, requeues, backlog_bytes,
    backlog_packets, extra`` (other indented lines, e.g. htb tokens), numbers as ints.

    >>> classes = parse_tc_class_stats("class mq :1 root\\n"
    ...                                " Sent 7706 bytes 79 pkt (dropped 0, overlimits 0 requeues 0)")
    >>> classes[0]["class"], classes[0]["sent_packets"]
    (':1', 79)
    """
    return _parse_tc(text, "class", "class")


_TC_JSON_STATS = {
    "bytes": "sent_bytes",
    "packets": "sent_packets",
    "drops": "dropped",
    "overlimits": "overlimits",
    "requeues": "requeues",
    "backlog": "backlog_bytes",
    "qlen": "backlog_packets",
}


def parse_tc_class_json(text: str) -> list[dict[str, Any]]:
    """Parse ``tc -j -s class show dev DEV`` (iproute2 6.2 on) into the dicts of :func:`parse_tc_class_stats`.

    Before 6.2 ``tc -j`` prints classes as text (``tc: Add JSON output to tc-class``, commit
    010a8388): that is no JSON and raises here. JSON's ``class`` is the kind, ``handle`` the class
    id; ``options`` lists the class's other keys as ``key value``; xstats (htb's ``tokens`` ...) go to
    ``extra`` likewise.

    >>> parse_tc_class_json('[{"class":"mq","handle":":1","root":true,"stats":{"bytes":7706,"packets":79}}]')[0][
    ...     "sent_packets"]
    79
    """
    classes = []
    for raw in _json_list(text, "tc -j class"):
        if not isinstance(raw.get("class"), str) or not isinstance(raw.get("handle"), str):
            raise ValueError(f"tc -j class: expected 'class' (the kind) and 'handle' in every class, got {raw!r}")
        stats = raw.get("stats") or {}
        entry: dict[str, Any] = {
            "class": raw["handle"],
            "kind": raw["class"],
            "dev": raw.get("dev"),
            "parent": "root" if raw.get("root") else raw.get("parent"),
        }
        entry.update(dict.fromkeys(_TC_SENT_KEYS + _TC_BACKLOG_KEYS))
        entry.update({name: stats[key] for key, name in _TC_JSON_STATS.items() if key in stats})
        rest = {k: v for k, v in raw.items() if k not in ("class", "handle", "dev", "root", "parent", "stats")}
        entry["options"] = " ".join(f"{k} {v}" for k, v in rest.items())
        entry["extra"] = [f"{k} {v}" for k, v in stats.items() if k not in _TC_JSON_STATS]
        classes.append(entry)
    return classes


def parse_tc_qdisc_stats(text: str) -> list[dict[str, Any]]:
    """Parse ``tc -s qdisc show [dev DEV]`` into one dict per qdisc.

    Same keys as :func:`parse_tc_class_stats`, with ``handle`` instead of ``class``;
    an ``mq`` root's per-queue children have ``parent`` set to the mq class (``1:1``).

    >>> parse_tc_qdisc_stats("qdisc mq 1: root\\n backlog 0b 0p requeues 0")[0]["parent"]
    'root'
    """
    return _parse_tc(text, "qdisc", "handle")
