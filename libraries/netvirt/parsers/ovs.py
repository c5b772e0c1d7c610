"""Parsers for Open vSwitch text output.

Covers ``ovs-vsctl show``, ``ovs-appctl dpif/show``, ``ovs-appctl dpctl/show``,
``ovs-ofctl dump-flows``, OVSDB map columns such as ``other_config`` and the crash
lines that the ovs-vswitchd monitor writes to its log.

Each parser takes the text a QA engineer sees, without the command line, and raises
``ValueError`` naming the line it could not read.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

_log = logging.getLogger(__name__)

# ovs-ofctl leaves "priority=" out of a flow whose priority is OFP_DEFAULT_PRIORITY.
OFP_DEFAULT_PRIORITY = 32768

_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_RECORD_RE = re.compile(r"^(Bridge|Port|Interface|Controller|Manager) (.+)$")
_ATTR_RE = re.compile(r"^([\w-]+): ?(.*)$")
# Which record kinds each kind of record holds in ``ovs-vsctl show``, and under which key.
_CHILDREN = {
    "root": {"Bridge": "bridges", "Manager": "managers"},
    "Bridge": {"Port": "ports", "Controller": "controllers"},
    "Port": {"Interface": "interfaces"},
    "Interface": {},
    "Controller": {},
    "Manager": {},
}
_COLUMN_PREFIX_RE = re.compile(r"^[\w-]+\s*:\s*(?=\{)")

_DPIF_HEADER_RE = re.compile(r"^(\S+@\S+): hit:(\d+) missed:(\d+)$")
_DPIF_BRIDGE_RE = re.compile(r"^\s+(\S+):$")
_DPIF_PORT_RE = re.compile(r"^\s+(\S+) (\d+)/(\d+|none): \((.*)\)$")
_DPCTL_HEADER_RE = re.compile(r"^(\S+@\S+):$")
_DPCTL_PORT_RE = re.compile(r"^\s+port (\d+): (\S+)(?: \((.*)\))?$")
_DPCTL_FLOWS_RE = re.compile(r"^\s+flows: (\d+)$")
_DPCTL_COUNTERS_RE = re.compile(r"^\s+([\w-]+):((?: [\w/-]+:\S+)*)$")
_PORT_ERROR_RE = re.compile(r"^(\S+)(?:, could not retrieve configuration|: open failed) \((.*)\)$")

_FLOW_HEADER_RE = re.compile(r"^(?:NXST|OFPST)_FLOW reply")
_ACTIONS_RE = re.compile(r"(?:^|[ ,])actions=")
_FLOW_INT_FIELDS = (
    "n_packets",
    "n_bytes",
    "idle_timeout",
    "hard_timeout",
    "importance",
    "idle_age",
    "hard_age",
)
_FLOW_FLAGS = (
    "send_flow_rem",
    "check_overlap",
    "reset_counts",
    "no_packet_counts",
    "no_byte_counts",
    "allow_hidden_fields",
    "no_readonly_table",
)

# A line that starts like a crash report must parse fully; other monitor errors are ignored.
_CRASH_START_RE = re.compile(r"daemon_unix\(monitor\)\|ERR\|\d+ crashes:")
_CRASH_RE = re.compile(r"daemon_unix\(monitor\)\|ERR\|(\d+) crashes: pid (\d+) died, (.+), restarting$")
_LOG_TIMESTAMP_RE = re.compile(r"^(\d{4}-\d\d-\d\dT[\d:.]+Z)\|")
_KILLED_RE = re.compile(r"^killed \((.+)\)(?:, core dumped)?$")
_EXITED_RE = re.compile(r"^exit status (\d+)$")


def _split_top_level(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` outside double quotes and brackets; pieces are stripped.

    >>> _split_top_level('a="x, y", b=[1, 2]', ",")
    ['a="x, y"', 'b=[1, 2]']
    """
    pieces: list[str] = []
    depth, quoted, escaped, start = 0, False, False, 0
    for i, char in enumerate(text):
        if quoted:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            pieces.append(text[start:i].strip())
            start = i + len(sep)
    if quoted or depth:
        raise ValueError(f"unbalanced quotes or brackets in {text!r}")
    pieces.append(text[start:].strip())
    return pieces


def _unquote(text: str) -> str:
    """Undo OVSDB string quoting, which follows JSON: ``'"4096"'`` -> ``'4096'``."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"badly quoted string {text!r}: {exc.msg}") from exc
    return text


def _parse_key_values(text: str, sep: str) -> dict[str, str]:
    """Parse ``key=value`` pairs separated by ``sep``; quoted keys and values are unquoted.

    >>> _parse_key_values('n_rxq="2", mtu=1500', ",")
    {'n_rxq': '2', 'mtu': '1500'}
    """
    pairs: dict[str, str] = {}
    if not text.strip():
        return pairs
    for piece in _split_top_level(text, sep):
        key, eq, value = piece.partition("=")
        if not eq or not key:
            raise ValueError(f"expected key=value, got {piece!r} in {text!r}")
        pairs[_unquote(key.strip())] = _unquote(value.strip())
    return pairs


def _typed(value: str) -> int | bool | str:
    """Turn an unquoted value into an int or bool when it reads as one: ``'2'`` -> ``2``."""
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    if value in ("true", "false"):
        return value == "true"
    return value


def parse_ovsdb_map(text: str) -> dict[str, str]:
    """Parse an OVSDB map such as an ``other_config`` column.

    Accepts the bare map or the whole ``ovs-vsctl list`` line holding it.

    >>> parse_ovsdb_map('other_config        : {dpdk-init="true", pmd-cpu-mask="FF00000000"}')
    {'dpdk-init': 'true', 'pmd-cpu-mask': 'FF00000000'}
    """
    body = _COLUMN_PREFIX_RE.sub("", text.strip(), count=1)
    if not (body.startswith("{") and body.endswith("}")):
        raise ValueError(f"expected an OVSDB map like {{key=value, ...}}, got {text.strip()!r}")
    return _parse_key_values(body[1:-1], ",")


def _ovsdb_value(raw: str) -> Any:
    """Convert one ``ovs-vsctl show`` attribute value: maps, lists, strings, ints, bools."""
    if raw.startswith("{"):
        return parse_ovsdb_map(raw)
    if raw.startswith("[") and raw.endswith("]"):
        inner = raw[1:-1].strip()
        return [_ovsdb_value(item) for item in _split_top_level(inner, ",")] if inner else []
    if raw.startswith('"'):
        return _unquote(raw)
    return _typed(raw)


def _new_record(kind: str) -> dict[str, Any]:
    """An empty ``ovs-vsctl show`` record, with every child collection it can hold."""
    record: dict[str, Any] = {key: {} for key in _CHILDREN[kind].values()}
    if kind == "Interface":
        record.update(type="", options={})  # OVS prints no type for "system" interfaces
    return record


def parse_vsctl_show(text: str) -> dict[str, Any]:
    """Parse ``ovs-vsctl show`` into nested dicts keyed by name.

    Interfaces always have ``type`` ('' for system interfaces) and ``options``; other
    attributes (``error``, ``tag``, ``datapath_type`` ...) appear as printed, with maps
    as dicts, lists as lists and bare integers as ints.

    >>> show = parse_vsctl_show('''f81a1c52-91c1-40a2-b993-6dfeea09317e
    ...     Bridge "ovsbr0"
    ...         Port "vhu0"
    ...             Interface "vhu0"
    ...                 type: dpdkvhostuser
    ...                 options: {n_rxq="2"}
    ...     ovs_version: "2.8.4"''')
    >>> show["bridges"]["ovsbr0"]["ports"]["vhu0"]["interfaces"]["vhu0"]
    {'type': 'dpdkvhostuser', 'options': {'n_rxq': '2'}}
    """
    lines = [(no, line.rstrip()) for no, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines or not _UUID_RE.match(lines[0][1].strip()):
        first = lines[0][1] if lines else ""
        raise ValueError(f"expected the Open_vSwitch UUID on the first line of ovs-vsctl show, got {first!r}")
    root = _new_record("root")
    root.update(uuid=lines[0][1].strip(), ovs_version=None)
    stack: list[tuple[int, dict[str, Any], str]] = [(-1, root, "root")]
    for no, line in lines[1:]:
        indent = len(line) - len(line.lstrip())
        body = line.strip()
        while stack[-1][0] >= indent:
            stack.pop()
        _, owner, owner_kind = stack[-1]
        record = _RECORD_RE.match(body)
        attr = _ATTR_RE.match(body)
        if record:
            kind, name = record.group(1), _unquote(record.group(2))
            collection = _CHILDREN[owner_kind].get(kind)
            if collection is None:
                raise ValueError(f"ovs-vsctl show line {no}: {kind} {name!r} cannot appear under a {owner_kind} record")
            owner[collection][name] = child = _new_record(kind)
            stack.append((indent, child, kind))
        elif attr:
            owner[attr.group(1)] = _ovsdb_value(attr.group(2))
        else:
            raise ValueError(
                f"ovs-vsctl show line {no}: expected 'Kind name' or 'key: value' in ovs-vsctl show, got {line!r}"
            )
    return root


def _parse_netdev_description(text: str) -> dict[str, Any]:
    """Parse what OVS prints in parentheses after a port: ``dpdk: key=value, ...``.

    >>> _parse_netdev_description("dpdk: configured_tx_queues=9, lsc_interrupt_mode=false")
    {'type': 'dpdk', 'config': {'configured_tx_queues': 9, 'lsc_interrupt_mode': False}, 'error': None}
    """
    failed = _PORT_ERROR_RE.match(text)
    if failed:
        return {"type": failed.group(1), "config": {}, "error": failed.group(2)}
    port_type, _, config = text.partition(": ")
    # OVS joins the config with ", " and does not quote values (smap, not OVSDB).
    values = _parse_key_values(config, ", ")
    return {"type": port_type, "config": {k: _typed(v) for k, v in values.items()}, "error": None}


def parse_dpif_show(text: str) -> list[dict[str, Any]]:
    """Parse ``ovs-appctl dpif/show``: one dict per datapath.

    Each datapath is ``{name, hit, missed, bridges: {bridge: [port, ...]}}`` and each port
    ``{name, ofport, dp_port (None for "none"), type, config, error}``; config values
    are ints or bools where they read as such.

    >>> dp = parse_dpif_show("netdev@ovs-netdev: hit:458 missed:71\\n  br0:\\n    br0 65534/1: (tap)")[0]
    >>> dp["bridges"]["br0"][0]["ofport"], dp["hit"]
    (65534, 458)
    """
    datapaths: list[dict[str, Any]] = []
    bridge: list[dict[str, Any]] | None = None
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        header = _DPIF_HEADER_RE.match(line)
        port = _DPIF_PORT_RE.match(line)
        bridge_line = _DPIF_BRIDGE_RE.match(line)
        if header:
            name, hit, missed = header.groups()
            datapaths.append({"name": name, "hit": int(hit), "missed": int(missed), "bridges": {}})
            bridge = None
        elif bridge_line and datapaths:
            bridge = datapaths[-1]["bridges"].setdefault(bridge_line.group(1), [])
        elif port and bridge is not None:
            name, ofport, dp_port, description = port.groups()
            bridge.append(
                {
                    "name": name,
                    "ofport": int(ofport),
                    "dp_port": None if dp_port == "none" else int(dp_port),
                    **_parse_netdev_description(description),
                }
            )
        else:
            raise ValueError(
                f"line {no}: expected a datapath 'type@name: hit:N missed:N', "
                f"a 'bridge:' line or a 'port ofport/dpport: (type...)' line, got {line!r}"
            )
    if not datapaths:
        raise ValueError("expected at least one datapath line 'type@name: hit:N missed:N' in dpif/show")
    return datapaths


def _parse_counters(text: str) -> dict[str, int | float | str]:
    """Parse ``hit:8 missed:17 hit/pkt:0.00`` into numbers where they are numbers."""
    counters: dict[str, int | float | str] = {}
    for token in text.split():
        key, _, value = token.partition(":")
        if re.fullmatch(r"\d+", value):
            counters[key] = int(value)
        elif re.fullmatch(r"\d+\.\d+", value):
            counters[key] = float(value)
        else:
            counters[key] = value
    return counters


def parse_dpctl_show(text: str) -> list[dict[str, Any]]:
    """Parse ``ovs-appctl dpctl/show`` (or ``ovs-dpctl show``): one dict per datapath.

    Each datapath is ``{name, flows, ports, <counter line>: {...}}`` where counter lines
    such as ``lookups: hit:8 missed:17 lost:4`` or ``masks: ...`` become dicts of
    numbers. Each port is ``{number, name, type, config, error}``; the type is
    ``'system'`` when OVS prints none. Statistics from ``-s`` are not supported.

    >>> dp = parse_dpctl_show("netdev@ovs-netdev:\\n  lookups: hit:8 missed:17 lost:4\\n  flows: 0\\n")[0]
    >>> dp["lookups"]["lost"], dp["flows"]
    (4, 0)
    """
    datapaths: list[dict[str, Any]] = []
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        header = _DPCTL_HEADER_RE.match(line)
        if header:
            datapaths.append({"name": header.group(1), "flows": None, "ports": []})
            continue
        if not datapaths:
            raise ValueError(f"dpctl/show line {no}: expected a datapath header 'type@name:', got {line!r}")
        current = datapaths[-1]
        port = _DPCTL_PORT_RE.match(line)
        flows = _DPCTL_FLOWS_RE.match(line)
        counters = _DPCTL_COUNTERS_RE.match(line)
        if port:
            number, name, description = port.groups()
            details = (
                _parse_netdev_description(description)
                if description
                else {"type": "system", "config": {}, "error": None}
            )
            current["ports"].append({"number": int(number), "name": name, **details})
        elif flows:
            current["flows"] = int(flows.group(1))
        elif counters:
            current[counters.group(1)] = _parse_counters(counters.group(2))
        else:
            raise ValueError(
                f"dpctl/show line {no}: expected 'port N: name (type...)', 'flows: N' or "
                f"'name: key:value ...' in dpctl/show, got {line!r}"
            )
    if not datapaths:
        raise ValueError("expected at least one datapath header 'type@name:' in dpctl/show")
    return datapaths


_DUMP_PORTS_PORT_RE = re.compile(r"^\s*port\s+(\S.*?):\s+rx\s+(.*)$")
_DUMP_PORTS_TX_RE = re.compile(r"^\s+tx\s+(.*)$")
_DUMP_PORTS_RFC2819_RE = re.compile(r"^\s+(rx|tx) rfc2819\s+(.*)$")


def _port_counters(text: str, no: int) -> dict[str, int | None]:
    """``pkts=12, bytes=?, drop=0,`` as numbers; ``?`` (a counter the port does not report) as None."""
    counters: dict[str, int | None] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not (value == "?" or value.isdigit()):
            raise ValueError(f"dump-ports line {no}: expected 'name=number' or 'name=?', got {item!r}")
        counters[key] = None if value == "?" else int(value)
    return counters


def parse_dump_ports(text: str) -> list[dict[str, Any]]:
    """Parse ``ovs-ofctl dump-ports BRIDGE [PORT]``: one dict per port, ``{port, rx, tx, rfc2819, custom}``.

    ``rx`` and ``tx`` are the counters of the ``rx pkts=...`` and ``tx pkts=...`` lines (``drop``, ``errs``, ...;
    None where OVS printed ``?``); ``rfc2819`` the frame-size counters OpenFlow 1.4 adds where the port reports
    them (``{"rx": {...}, "tx": {...}}``, from the ``rx rfc2819`` / ``tx rfc2819`` lines: an OVS 2.8 vhost-user
    port, a DPDK NIC with extended statistics); ``custom`` the ``CUSTOM Statistics`` of OpenFlow 1.4 and later
    (OVS 2.10+, DPDK ports' ``ovs_tx_failure_drops`` and the like), empty with older OpenFlow. ``port`` is as
    printed: a number, ``LOCAL`` or a name.

    >>> (port,) = parse_dump_ports("  port  1: rx pkts=5, bytes=?, drop=0\\n           tx pkts=7, drop=2\\n")
    >>> port["port"], port["rx"]["bytes"], port["tx"]["drop"]
    ('1', None, 2)
    """
    ports: list[dict[str, Any]] = []
    custom = False
    for no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("OFPST_PORT reply") or stripped.startswith("duration="):
            continue
        port = _DUMP_PORTS_PORT_RE.match(line)
        if port:
            name = port.group(1).strip('"')
            rx = _port_counters(port.group(2), no)
            ports.append({"port": name, "rx": rx, "tx": {}, "rfc2819": {"rx": {}, "tx": {}}, "custom": {}})
            custom = False
            continue
        if not ports:
            raise ValueError(f"dump-ports line {no}: expected 'port N: rx ...', got {line!r}")
        tx, rfc2819 = _DUMP_PORTS_TX_RE.match(line), _DUMP_PORTS_RFC2819_RE.match(line)
        if stripped == "CUSTOM Statistics":
            custom = True
        elif custom:
            ports[-1]["custom"].update(_port_counters(stripped, no))
        elif rfc2819:
            ports[-1]["rfc2819"][rfc2819.group(1)] = _port_counters(rfc2819.group(2), no)
        elif tx:
            ports[-1]["tx"] = _port_counters(tx.group(1), no)
        else:
            raise ValueError(f"dump-ports line {no}: expected a 'tx ...' line or 'CUSTOM Statistics', got {line!r}")
    return ports


def _parse_flow(line: str, no: int) -> dict[str, Any]:
    """Parse one ``ovs-ofctl dump-flows`` line; see :func:`parse_dump_flows`."""
    actions_at = _ACTIONS_RE.search(line)
    if not actions_at:
        raise ValueError(f"dump-flows line {no}: expected a flow with 'actions=', got {line!r}")
    flow: dict[str, Any] = {
        "cookie": 0,
        "duration": None,
        "table": 0,
        "n_packets": None,
        "n_bytes": None,
        "priority": OFP_DEFAULT_PRIORITY,
        "flags": [],
        "match": "",
        "match_fields": {},
        "actions": line[actions_at.end() :].strip(),
    }
    match_parts: list[str] = []
    head = line[: actions_at.start()].strip().rstrip(",")
    # Fields are comma separated, but OVS prints flow flags as space separated words.
    pieces = [word for part in _split_top_level(head, ",") for word in _split_top_level(part, " ") if word]
    for piece in pieces:
        key, eq, value = piece.partition("=")
        try:
            # OVS 2.8 on quotes a port or table name that is not alphanumeric: in_port="phy-br0".
            value = _unquote(value)
            if key == "cookie":
                flow["cookie"] = int(value, 16)
            elif key == "duration":
                flow["duration"] = float(value.removesuffix("s"))
            elif key == "table":
                flow["table"] = int(value) if value.isdigit() else value  # a table may have a name
            elif key == "priority" or key in _FLOW_INT_FIELDS:
                flow[key] = int(value)
            elif key in _FLOW_FLAGS and not eq:
                flow["flags"].append(key)
            else:
                match_parts.append(f"{key}={value}" if eq else key)
                flow["match_fields"][key] = value if eq else None
        except ValueError as exc:
            raise ValueError(f"dump-flows line {no}: bad value for {key!r} in flow {line.strip()!r}") from exc
    flow["match"] = ",".join(match_parts)
    return flow


def parse_dump_flows(text: str) -> list[dict[str, Any]]:
    """Parse ``ovs-ofctl dump-flows`` into one dict per flow.

    Keys: ``cookie`` (int), ``duration`` (seconds, float), ``table``, ``n_packets``,
    ``n_bytes``, ``priority`` (OVS omits it when it is the default 32768), ``flags``,
    ``match`` (the match text without priority), ``match_fields`` ({field: value, or
    None for a bare protocol such as ``ip``}) and ``actions`` (text), plus whichever of
    ``idle_timeout``, ``hard_timeout``, ``importance``, ``idle_age``, ``hard_age`` OVS printed.
    ``NXST_FLOW reply`` / ``OFPST_FLOW reply`` header lines are skipped. Port and table names
    that OVS quotes (``in_port="phy-br0"``, OVS 2.8 on, names that are not alphanumeric) are
    unquoted in ``match`` and ``match_fields``; ``actions`` stay as printed.

    >>> flow = parse_dump_flows(" cookie=0x0, duration=1.5s, table=0, n_packets=0, n_bytes=0, "
    ...                         "in_port=2 actions=drop")[0]
    >>> flow["duration"], flow["priority"], flow["match_fields"], flow["actions"]
    (1.5, 32768, {'in_port': '2'}, 'drop')
    """
    return [
        _parse_flow(line, no)
        for no, line in enumerate(text.splitlines(), 1)
        if line.strip() and not _FLOW_HEADER_RE.match(line.strip())
    ]


def name_flow_ports(flows: list[dict[str, Any]], names: dict[int, str]) -> list[dict[str, Any]]:
    """Put port names for the OpenFlow port numbers of ``in_port`` in flows dumped without ``--names``.

    ``ovs-ofctl --names`` came with OVS 2.8; OVS 2.7 prints ``in_port=2``. ``names`` maps ofport to
    port name (OVSDB's Interface ``ofport``); a number not in it stays. ``actions`` stay as printed.

    >>> flow = parse_dump_flows(" cookie=0x0, table=0, n_packets=3, n_bytes=0, in_port=2 actions=output:1")[0]
    >>> named = name_flow_ports([flow], {2: "dpdkvhostuser0"})[0]
    >>> named["match"], named["match_fields"]["in_port"], named["actions"]
    ('in_port=dpdkvhostuser0', 'dpdkvhostuser0', 'output:1')
    """
    named = []
    for flow in flows:
        port = flow["match_fields"].get("in_port")
        if port is not None and port.isdigit() and int(port) in names:
            name = names[int(port)]
            flow = {
                **flow,
                "match": re.sub(rf"(?<![\w.])in_port={port}(?![\w.])", f"in_port={name}", flow["match"]),
                "match_fields": {**flow["match_fields"], "in_port": name},
            }
        named.append(flow)
    return named


def _parse_exit_status(status: str) -> dict[str, Any]:
    """Split OVS's process status text: ``killed (Segmentation fault), core dumped``."""
    killed = _KILLED_RE.match(status)
    exited = _EXITED_RE.match(status)
    return {
        "signal": killed.group(1) if killed else None,
        "exit_status": int(exited.group(1)) if exited else None,
        "core_dumped": status.endswith(", core dumped"),
    }


def parse_vswitchd_crashes(log_text: str) -> list[dict[str, Any]]:
    """Find the crash lines the ovs-vswitchd monitor logs before restarting the daemon.

    Returns ``{timestamp (None without one), crash_count, pid, status, signal,
    exit_status, core_dumped, line}`` for each, in log order.

    >>> crash = parse_vswitchd_crashes("2018-09-07T05:20:08.275Z|00002|daemon_unix(monitor)|ERR|"
    ...     "1 crashes: pid 44572 died, killed (Segmentation fault), core dumped, restarting")[0]
    >>> crash["pid"], crash["signal"], crash["core_dumped"]
    (44572, 'Segmentation fault', True)
    """
    crashes: list[dict[str, Any]] = []
    for no, line in enumerate(log_text.splitlines(), 1):
        if not _CRASH_START_RE.search(line):
            continue
        crash = _CRASH_RE.search(line.rstrip())
        if not crash:
            raise ValueError(
                f"ovs-vswitchd log line {no}: expected 'N crashes: pid P died, <status>, restarting' "
                f"in an ovs-vswitchd monitor crash line, got {line!r}"
            )
        timestamp = _LOG_TIMESTAMP_RE.match(line)
        count, pid, status = crash.groups()
        crashes.append(
            {
                "timestamp": timestamp.group(1) if timestamp else None,
                "crash_count": int(count),
                "pid": int(pid),
                "status": status,
                **_parse_exit_status(status),
                "line": line.strip(),
            }
        )
    return crashes


_PMD_RE = re.compile(r"^pmd thread numa_id (?P<numa>-?\d+) core_id (?P<core>\d+):$")
# OVS 2.7/2.8 list every queue id of a port on one line ("queue-id: 0 1 2"); 2.9 adds "pmd usage",
# 2.12 the queue state, 2.16 a per-PMD "overhead" line, 3.1 a "Displaying last N seconds" line.
_RXQ_RE = re.compile(
    r"^port:\s+(?P<port>\S+)\s+queue-id:\s*(?P<queues>\d+(?:\s+\d+)*)"
    r"(?:\s+\((?P<state>enabled|disabled)\))?"
    r"(?:\s+pmd usage:\s*(?:(?P<usage>\d+)\s*%|NOT AVAIL))?$"
)
_OVERHEAD_RE = re.compile(r"^overhead:\s*(?:(?P<pct>\d+)\s*%|NOT AVAIL)$")
_ISOLATED_RE = re.compile(r"^isolated\s*:\s*(true|false)$")
_WINDOW_RE = re.compile(r"^Displaying last \d+ seconds pmd usage %$")


def _rxq_format(rxq: re.Match[str]) -> str:
    """Which OVS releases print an rx queue line like this one (for the log)."""
    if "pmd usage" not in rxq.group(0):
        return "OVS 2.7/2.8 (queue ids on one line, no usage, no state)"
    if rxq["state"] is None:
        return "OVS 2.9-2.11 (no queue state)"
    return "OVS 2.12+"


def parse_pmd_rxq_show(text: str) -> list[dict[str, Any]]:
    """Parse ``ovs-appctl dpif-netdev/pmd-rxq-show`` of OVS 2.7 to 3.x: one dict per PMD thread.

    Each PMD is ``{numa_id, core_id, isolated, overhead_pct, queues}``; each queue
    ``{port, queue_id, enabled, state, usage_pct}``. ``state`` is what OVS printed
    (``'enabled'``/``'disabled'``, from 2.12 on) or None; ``enabled`` says whether the PMD polls
    the queue: before 2.12 OVS printed no state and polled every queue it listed. ``usage_pct``
    and ``overhead_pct`` (2.16 on) are None when OVS says ``NOT AVAIL`` or prints none.

    >>> parse_pmd_rxq_show("pmd thread numa_id 0 core_id 1:\\n  port: p0  queue-id:  0 (enabled)   pmd usage:  3 %")
    [{'numa_id': 0, 'core_id': 1, 'isolated': None, 'overhead_pct': None, 'queues': [{'port': 'p0', 'queue_id': 0, \
'enabled': True, 'state': 'enabled', 'usage_pct': 3}]}]
    """
    pmds: list[dict[str, Any]] = []
    formats: set[str] = set()
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or _WINDOW_RE.match(line):
            continue
        head = _PMD_RE.match(line)
        if head:
            pmds.append(
                {
                    "numa_id": int(head["numa"]),
                    "core_id": int(head["core"]),
                    "isolated": None,
                    "overhead_pct": None,
                    "queues": [],
                }
            )
            continue
        if not pmds:
            raise ValueError(f"pmd-rxq-show line {no}: expected 'pmd thread numa_id N core_id M:', got {raw!r}")
        isolated, overhead, rxq = _ISOLATED_RE.match(line), _OVERHEAD_RE.match(line), _RXQ_RE.match(line)
        if isolated:
            pmds[-1]["isolated"] = isolated.group(1) == "true"
        elif overhead:
            pmds[-1]["overhead_pct"] = int(overhead["pct"]) if overhead["pct"] else None
        elif rxq:
            formats.add(_rxq_format(rxq))
            pmds[-1]["queues"] += [
                {
                    "port": rxq["port"],
                    "queue_id": int(queue),
                    "enabled": rxq["state"] != "disabled",
                    "state": rxq["state"],
                    "usage_pct": int(rxq["usage"]) if rxq["usage"] else None,
                }
                for queue in rxq["queues"].split()
            ]
        else:
            raise ValueError(
                f"pmd-rxq-show line {no}: expected 'isolated : true|false', 'overhead: N %' or "
                f"'port: P  queue-id: N [(enabled|disabled)] [pmd usage: N %]', got {raw!r}"
            )
    if not pmds:
        raise ValueError("pmd-rxq-show: no 'pmd thread numa_id N core_id M:' line (no PMD thread, or not its output)")
    if formats:
        _log.info("pmd-rxq-show read as %s", ", ".join(sorted(formats)))
    return pmds


_VHOST_NUMA_RE = re.compile(r"vHost Device '(?P<socket>[^']+)' has been added on numa node (?P<numa>-?\d+)")


def parse_vhost_numa_log(log_text: str) -> dict[str, int]:
    """Find the NUMA node of each vhost-user socket in an ovs-vswitchd log.

    netdev-dpdk logs ``vHost Device '<socket>' has been added on numa node N`` when a guest
    connects (every version since 2.5; the node is where the guest's memory is). The last line
    for a socket wins: a guest that reconnects may come back on another node.

    >>> parse_vhost_numa_log("...|netdev_dpdk|INFO|vHost Device '/run/vhu0' has been added on numa node 0")
    {'/run/vhu0': 0}
    """
    return {m["socket"]: int(m["numa"]) for m in _VHOST_NUMA_RE.finditer(log_text)}
