"""Parsers for traffic tool output: ``ping``, ``iperf3 -J``, iperf ``[SUM]`` lines, netperf, ``tcpdump -XX``.

``decode_ethernet`` decodes the raw frames ``parse_tcpdump_hex`` returns (Ethernet,
802.1Q/802.1ad tag stacks, IPv4 and ARP headers) with ``struct``, no packet library.

Each parser raises ``ValueError`` naming the line or field it could not read.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import struct
from typing import Any

_PING_STATS_RE = re.compile(
    r"^(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+(\d+) duplicates)?(?:, \+(\d+) corrupted)?"
    r"(?:, \+(\d+) errors)?, ([\d.]+(?:e[+-]?\d+)?)% packet loss(?:, time (\d+)ms)?$"
)
# iputils: "rtt min/avg/max/mdev = ..."; BusyBox's ping applet: "round-trip min/avg/max = ..." (no mdev).
_PING_RTT_RE = re.compile(r"^(?:rtt|round-trip) min/avg/max(?:/mdev)? = ([\d.]+)/([\d.]+)/([\d.]+)(?:/([\d.]+))? ms")
# iputils up to s20161105 print "Message too long", later ones "message too long"; ping6 says "mtu: N".
_PING_MTU_RE = re.compile(r"message too long, mtu[=:] ?(\d+)", re.IGNORECASE)
_PING_TARGET_RE = re.compile(r"^--- (\S+) ping statistics ---$")
# A reply line: iputils numbers requests from icmp_seq=1, BusyBox from seq=0.
_PING_REPLY_RE = re.compile(r"^\d+ bytes from .*?: (icmp_seq|seq)=(\d+) ")

_BYTE_UNITS = {"Bytes": 1, "KBytes": 1024, "MBytes": 1024**2, "GBytes": 1024**3, "TBytes": 1024**4}
_BIT_UNITS = {"bits/sec": 1, "Kbits/sec": 10**3, "Mbits/sec": 10**6, "Gbits/sec": 10**9, "Tbits/sec": 10**12}
_SUM_RE = re.compile(
    r"^\[SUM\]\s+(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s+sec\s+([\d.]+) (" + "|".join(_BYTE_UNITS) + r")\s+"
    r"([\d.]+) (" + "|".join(re.escape(unit) for unit in _BIT_UNITS) + r")(.*)$"
)
_SUM_UDP_TAIL_RE = re.compile(r"^\s+([\d.]+) ms\s+(\d+)/(\d+) \(([\d.e+-]+)%\)\s*(sender|receiver)?\s*$")
_SUM_TAIL_RE = re.compile(r"^\s*(\d+)?\s*(sender|receiver)?\s*$")

_TCPDUMP_FRAME_RE = re.compile(r"^(\d\d:\d\d:\d\d\.\d+|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+|\d{9,}\.\d+) (.*)$")
_TCPDUMP_HEX_RE = re.compile(r"^\s+0x([0-9a-fA-F]{4}):\s+(.*)$")
# tcpdump's own lines on stderr, which users paste with the frames: 4.99 adds ", snapshot length N"
# to "listening on"/"reading from file", builds that drop root say "dropped privs to USER".
_TCPDUMP_CHATTER_RE = re.compile(
    r"^(\^C)?(tcpdump: |listening on |reading from file |dropped privs to |Warning: interface names might be"
    r"|\d+ packets? (captured|received by filter|dropped by kernel|dropped by interface))"
)
_HEX_GROUP_RE = re.compile(r"^[0-9a-fA-F]{4}$")
_HEX_BYTE_RE = re.compile(r"^[0-9a-fA-F]{2}$")

_VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)  # 802.1Q, 802.1ad and the pre-standard QinQ TPID
ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806

_log = logging.getLogger(__name__)


class Iperf3Error(ValueError):
    """iperf3 itself reported an error (its JSON ``error`` field), e.g. connection refused."""


def parse_ping(text: str) -> dict[str, Any]:
    """Parse iputils ``ping`` output (and BusyBox's ping applet's: its rtt has no mdev, None then).

    Returns ``{target, transmitted, received, duplicates, corrupted, errors, loss_pct,
    time_ms, rtt, local_mtu_error, answered}``; ``answered`` lists the requests a reply line answered, as
    0-based positions in the order sent (duplicates once); ``rtt`` is ``{min, avg, max, mdev}`` in ms, or
    None when nothing came back (``+N errors ... pipe N`` of an unreachable neighbour has no
    rtt line); ``local_mtu_error`` is the MTU from a ``message too long, mtu=NNNN`` line (any
    case: older iputils write ``Message``), or None. Raises ValueError, quoting ping's own
    error line, when there is no statistics line (e.g. ``connect: Network is unreachable``).

    >>> parse_ping("3 packets transmitted, 3 received, 0% packet loss, time 2033ms\\n"
    ...            "rtt min/avg/max/mdev = 0.030/0.050/0.084/0.023 ms")["rtt"]["max"]
    0.084
    """
    lines = [line.strip() for line in text.splitlines()]
    stats = next((found for line in lines if (found := _PING_STATS_RE.match(line))), None)
    if not stats:
        complaint = next((line for line in lines if line.startswith("ping:")), None)
        raise ValueError(
            "expected a 'N packets transmitted, N received, ...' statistics line in ping output"
            + (f"; ping said {complaint!r}" if complaint else "")
        )
    transmitted, received, duplicates, corrupted, errors, loss, time_ms = stats.groups()
    rtt = next((found for line in lines if (found := _PING_RTT_RE.match(line))), None)
    target = next((found.group(1) for line in lines if (found := _PING_TARGET_RE.match(line))), None)
    mtu = _PING_MTU_RE.search(text)
    replies = (found.groups() for line in lines if (found := _PING_REPLY_RE.match(line)))
    answered = sorted({int(seq) - (kind == "icmp_seq") for kind, seq in replies})
    rtt_ms = (
        dict(zip(("min", "avg", "max", "mdev"), (float(v) if v else None for v in rtt.groups()), strict=True))
        if rtt
        else None
    )
    return {
        "target": target,
        "transmitted": int(transmitted),
        "received": int(received),
        "duplicates": int(duplicates or 0),
        "corrupted": int(corrupted or 0),
        "errors": int(errors or 0),
        "loss_pct": float(loss),
        "time_ms": int(time_ms) if time_ms else None,
        "rtt": rtt_ms,
        "local_mtu_error": int(mtu.group(1)) if mtu else None,
        "answered": answered,
    }


def _field(data: dict[str, Any], path: str) -> Any:
    """Fetch ``a.b.c`` from nested iperf3 JSON, naming the missing key when absent."""
    value: Any = data
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            raise ValueError(f"iperf3 JSON has no {path!r} (missing {key!r})")
        value = value[key]
    return value


def _iperf3_stream(stream: dict[str, Any]) -> dict[str, Any]:
    """One entry of ``end.streams``: TCP has sender/receiver halves, UDP one ``udp`` half."""
    sender = stream.get("sender") or stream.get("udp") or {}
    receiver = stream.get("receiver", {})
    return {
        "socket": sender.get("socket"),
        "sent_bytes": sender.get("bytes"),
        "sent_bps": sender.get("bits_per_second"),
        "received_bytes": receiver.get("bytes"),
        "received_bps": receiver.get("bits_per_second"),
        "retransmits": sender.get("retransmits"),
        "jitter_ms": sender.get("jitter_ms"),
        "lost_packets": sender.get("lost_packets"),
        "lost_percent": sender.get("lost_percent"),
    }


def parse_iperf3_json(text: str) -> dict[str, Any]:
    """Parse the JSON ``iperf3 -c ... -J`` prints, for TCP or UDP tests.

    Returns ``{protocol, num_streams, duration, sent_bytes, sent_bps, received_bytes,
    received_bps, retransmits (TCP), jitter_ms, lost_packets, packets, lost_percent
    (UDP), cpu_utilization_percent, streams, intervals}``; fields of the other protocol are None;
    ``intervals`` is ``(seconds, bit/s)`` of each periodic report. Reads
    iperf3 3.1 on: before 3.11 a UDP run has only ``end.sum`` (the client's figures), and the
    received bytes and rate are derived from its datagram and loss counts (logged as such).
    Raises :class:`Iperf3Error` (a ValueError) with iperf3's message when the JSON
    holds an ``error``.

    >>> parse_iperf3_json('{"start": {"test_start": {"protocol": "TCP", "num_streams": 1, "duration": 1}}, '
    ...     '"end": {"sum_sent": {"bytes": 125, "bits_per_second": 1000.0, "retransmits": 3}, '
    ...     '"sum_received": {"bytes": 125, "bits_per_second": 998.5}}}')["retransmits"]
    3
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"expected iperf3 -J JSON output: {exc}") from exc
    if not isinstance(data, dict) or "start" not in data:
        raise ValueError("expected an iperf3 -J JSON object with a 'start' section")
    if data.get("error"):
        raise Iperf3Error(f"iperf3 reported an error: {data['error']}")
    protocol = _field(data, "start.test_start.protocol")
    udp = protocol == "UDP"
    end = _field(data, "end")
    # UDP loss and jitter live in end.sum. iperf3 before 3.11 (commit 0d078c4a) has no UDP
    # sum_sent/sum_received: its end.sum counts what the client sent, so what arrived is derived
    # from the server's datagram count (iperf3 numbers its datagrams, all of one size).
    summary = _field(data, "end.sum") if udp else {}
    sent = "end.sum" if udp and "sum_sent" not in end else "end.sum_sent"
    sent_bytes, sent_bps = _field(data, f"{sent}.bytes"), _field(data, f"{sent}.bits_per_second")
    if udp and "sum_received" not in end:
        received_bytes, received_bps = _udp_received_from_sum(summary)
        _log.info("iperf3 %s JSON has no end.sum_received: UDP received figures derived from end.sum", _version(data))
    else:
        received_bytes = _field(data, "end.sum_received.bytes")
        received_bps = _field(data, "end.sum_received.bits_per_second")
    return {
        "protocol": protocol,
        "num_streams": _field(data, "start.test_start.num_streams"),
        "duration": _field(data, "start.test_start.duration"),
        "sent_bytes": sent_bytes,
        "sent_bps": sent_bps,
        "received_bytes": received_bytes,
        "received_bps": received_bps,
        "retransmits": None if udp else _field(data, sent).get("retransmits"),
        "jitter_ms": summary.get("jitter_ms"),
        "lost_packets": summary.get("lost_packets"),
        "packets": summary.get("packets"),
        "lost_percent": summary.get("lost_percent"),
        "cpu_utilization_percent": end.get("cpu_utilization_percent", {}),
        "streams": [_iperf3_stream(stream) for stream in end.get("streams", [])],
        "intervals": _iperf3_intervals(data),
    }


def _iperf3_intervals(data: dict[str, Any]) -> list[tuple[float, float]]:
    """``(seconds, bit/s)`` of each periodic report (``-i``) of this side, from ``intervals[].sum``; the client's
    are what it sent. Omitted (``-O``) intervals are left out."""
    found = []
    for interval in data.get("intervals") or []:
        total = interval.get("sum") if isinstance(interval, dict) else None
        if isinstance(total, dict) and not total.get("omitted") and total.get("seconds"):
            found.append((float(total["seconds"]), float(total.get("bits_per_second", 0.0))))
    return found


def _version(data: dict[str, Any]) -> str:
    """``iperf 3.6`` as iperf3 states itself in ``start.version`` (absent before 3.1)."""
    start = data.get("start", {})
    return str(start.get("version", "(version not stated)")) if isinstance(start, dict) else "(version not stated)"


def _udp_received_from_sum(summary: dict[str, Any]) -> tuple[int | None, float | None]:
    """Bytes and bit/s that reached the server, from an old iperf3's UDP ``end.sum``.

    ``packets`` is the server's count of datagrams the client numbered, ``lost_packets`` the
    gaps in it; every datagram has the same size, so what arrived is the sent figure scaled by
    ``(packets - lost) / packets``.
    """
    packets, lost = summary.get("packets"), summary.get("lost_packets")
    if not packets or lost is None:
        return None, None
    kept = (packets - lost) / packets
    return round(summary.get("bytes", 0) * kept), summary.get("bits_per_second", 0.0) * kept


def _sum_tail(tail: str, datagram_columns: bool) -> dict[str, Any]:
    """Parse what follows the bitrate on a ``[SUM]`` line (retransmits, datagrams or UDP loss)."""
    udp = _SUM_UDP_TAIL_RE.match(tail)
    if udp:
        jitter, lost, total, lost_pct, role = udp.groups()
        return {
            "jitter_ms": float(jitter),
            "lost_datagrams": int(lost),
            "total_datagrams": int(total),
            "lost_pct": float(lost_pct),
            "role": role,
        }
    plain = _SUM_TAIL_RE.match(tail)
    if not plain:
        raise ValueError(f"unexpected text after the bitrate: {tail.strip()!r}")
    count, role = plain.groups()
    # Interval lines of a UDP client end in a datagram count where TCP ones end in retransmits.
    key = "total_datagrams" if datagram_columns else "retr"
    return {key: int(count) if count else None, "role": role}


def parse_iperf_text_sum(text: str) -> list[dict[str, Any]]:
    """Parse the ``[SUM]`` lines of iperf2 or iperf3 text output, in order.

    Each is ``{start, end (s), transfer_bytes (KBytes etc. are powers of 1024),
    bits_per_second (Kbits etc. are powers of 1000), retr, role ('sender', 'receiver' or
    None), jitter_ms, lost_datagrams, total_datagrams, lost_pct}``; absent fields are None.
    The last number is read as datagrams when the latest ``[ ID]`` header says so.

    >>> parse_iperf_text_sum("[SUM]  15.00-16.00  sec  1.20 GBytes  10.3 Gbits/sec  17972")[0]["retr"]
    17972
    """
    sums: list[dict[str, Any]] = []
    datagram_columns = False
    for no, line in enumerate(text.splitlines(), 1):
        if line.startswith("[ ID]"):
            datagram_columns = "Datagrams" in line and "Jitter" not in line
        if not line.startswith("[SUM"):
            continue
        found = _SUM_RE.match(line.rstrip())
        if not found:
            raise ValueError(
                f"iperf line {no}: expected '[SUM] start-end sec <n> <X>Bytes <n> <X>bits/sec ...', got {line!r}"
            )
        start, end, amount, byte_unit, rate, bit_unit, tail = found.groups()
        entry = dict.fromkeys(("retr", "role", "jitter_ms", "lost_datagrams", "total_datagrams", "lost_pct"))
        entry.update(
            start=float(start),
            end=float(end),
            transfer_bytes=round(float(amount) * _BYTE_UNITS[byte_unit]),
            bits_per_second=float(rate) * _BIT_UNITS[bit_unit],
        )
        try:
            entry.update(_sum_tail(tail, datagram_columns))
        except ValueError as exc:
            raise ValueError(f"iperf line {no}: {exc} in {line.strip()!r}") from exc
        sums.append(entry)
    return sums


# netperf's -f units as THROUGHPUT_UNITS (-k) spells them, in bit/s.
# Upper-case letters are bytes in powers of 1024, lower-case ones bits in powers of 1000.
_NETPERF_UNITS = {
    "bits/s": 1,
    "10^0bits/s": 1,
    "10^3bits/s": 1e3,
    "10^6bits/s": 1e6,
    "10^9bits/s": 1e9,
    "Bytes/s": 8,
    "KBytes/s": 8 * 1024,
    "MBytes/s": 8 * 1024**2,
    "GBytes/s": 8 * 1024**3,
}
# What netperf's -k prints, in this order: the runner asks for exactly these.
NETPERF_SELECTORS = (
    "THROUGHPUT",
    "THROUGHPUT_UNITS",
    "ELAPSED_TIME",
    "PROTOCOL",
    "LOCAL_CPU_UTIL",
    "REMOTE_CPU_UTIL",
    "LOCAL_TRANSPORT_RETRANS",
    "LOCAL_SEND_SIZE",
    "REMOTE_RECV_SIZE",
)


def _netperf_unit(text: str) -> float:
    """bit/s per unit of ``-k``'s THROUGHPUT_UNITS or the classic header (``GBytes  /s``, ``10^6bits/sec``)."""
    unit = text.replace(" ", "").replace("/sec", "/s")
    if unit not in _NETPERF_UNITS:
        raise ValueError(f"unknown netperf throughput unit {text!r}")
    return _NETPERF_UNITS[unit]


def _measured(value: float) -> float | None:
    """netperf prints -1 for what it did not measure (CPU without -c/-C, retransmits elsewhere)."""
    return None if value < 0 else value


def parse_netperf_keyval(text: str) -> dict[str, Any]:
    """Parse netperf's keyword output (``-- -k THROUGHPUT,THROUGHPUT_UNITS,...``).

    Returns ``{throughput_bps, elapsed, protocol, local_cpu, remote_cpu, retransmits,
    send_size, recv_size, fields}``; CPU, retransmits and sizes are None when netperf says
    -1 (not measured); ``fields`` holds every ``KEY=value`` line as printed.

    >>> parse_netperf_keyval("THROUGHPUT=941.5\\nTHROUGHPUT_UNITS=10^6bits/s")["throughput_bps"]
    941500000.0
    """
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", key):
            fields[key] = value.strip().strip('"')
    if "THROUGHPUT" not in fields or "THROUGHPUT_UNITS" not in fields:
        raise ValueError("no THROUGHPUT and THROUGHPUT_UNITS lines in the netperf output")

    def number(key: str) -> float | None:
        return _measured(float(fields[key])) if key in fields else None

    def count(key: str) -> int | None:
        value = number(key)
        return None if value is None else int(value)

    try:
        throughput = float(fields["THROUGHPUT"]) * _netperf_unit(fields["THROUGHPUT_UNITS"])
        return {
            "throughput_bps": throughput,
            "elapsed": number("ELAPSED_TIME"),
            "protocol": fields.get("PROTOCOL"),
            "local_cpu": number("LOCAL_CPU_UTIL"),
            "remote_cpu": number("REMOTE_CPU_UTIL"),
            "retransmits": count("LOCAL_TRANSPORT_RETRANS"),
            "send_size": count("LOCAL_SEND_SIZE"),
            "recv_size": count("REMOTE_RECV_SIZE"),
            "fields": fields,
        }
    except ValueError as exc:
        raise ValueError(f"netperf keyword output: {exc}") from None


# The classic (non -k) output: a banner, column titles ending in a units row, then result lines.
_NETPERF_BANNER_RE = re.compile(r"^(?:MIGRATED )?(?P<test>[A-Z0-9_ /]+?) TEST from (?P<rest>.*)$")
_NETPERF_CONF_RE = re.compile(r"^\+/-(?P<interval>[\d.]+)% @ ?(?P<level>\d+)% conf\.")
_NETPERF_CONF_MISSED_RE = re.compile(r"^!!!\s+(?:Confidence intervals:\s+)?(?P<what>[\w ]+?)\s*: (?P<pct>[\d.]+)%$")
_NETPERF_UNIT_RE = re.compile(r"(10\^[0369]bits|[KMG]?Bytes)\s*/s(?:ec)?")
# Units rows of the three table kinds, and how many numbers their result lines hold (without, with -c/-C).
_NETPERF_TABLES = {
    "stream": (re.compile(r"^bytes\s+bytes\s+bytes\s+secs\.\s"), ((5, 9),)),
    "udp_stream": (re.compile(r"^bytes\s+bytes\s+secs\s+#\s+#\s"), ((6, 8), (4, 6))),
    "request_response": (re.compile(r"^bytes\s+bytes\s+bytes\s+bytes\s+secs\.\s+per sec", re.IGNORECASE), ((6, 10),)),
}


def _netperf_banner(line: str) -> dict[str, Any]:
    """The test name, protocol, ``: ...`` notes and requested confidence of a classic banner line."""
    banner = _NETPERF_BANNER_RE.match(line)
    if not banner:
        raise ValueError(
            f"netperf: expected a banner '[MIGRATED] <TEST> TEST from ...' on the first line, got {line!r}"
        )
    notes = [note.strip() for note in banner["rest"].split(" : ")[1:] if note.strip()]
    conf = next((found for note in notes if (found := _NETPERF_CONF_RE.match(note))), None)
    return {
        "test": banner["test"],
        "protocol": banner["test"].split()[0],
        "notes": notes,
        "confidence": {
            "level": int(conf["level"]),
            "interval_pct": float(conf["interval"]),
            "achieved": True,
            "missed": {},
        }
        if conf
        else None,
    }


def _netperf_numbers(line: str, no: int, counts: tuple[int, int]) -> list[float]:
    values = line.split()
    if len(values) not in counts:
        raise ValueError(f"netperf line {no}: expected {' or '.join(map(str, counts))} numbers, got {line.strip()!r}")
    try:
        return [float(value) for value in values]
    except ValueError:
        raise ValueError(f"netperf line {no}: expected numbers, got {line.strip()!r}") from None


def parse_netperf_classic(text: str) -> dict[str, Any]:
    """Parse netperf's classic result table (no ``-k``), as users paste it: TCP/UDP streams and RR tests.

    Returns ``{test, protocol, notes, confidence, unit, throughput_bps, sent_bps, elapsed,
    transactions_per_sec, local_cpu, remote_cpu, local_sd, remote_sd, send_size, recv_socket,
    send_socket, messages_sent, messages_received, send_errors}``; what a table has no column for is
    None (CPU and service demand without ``-c``/``-C``). ``notes`` are the banner's ``: ...``
    suffixes (``demo``, ``nodelay``, ``+/-2.500% @ 99% conf.``); ``confidence`` is None without
    ``-i``/``-I``, else ``{level, interval_pct, achieved, missed}`` where ``missed`` holds the
    intervals of netperf's ``!!! WARNING`` block. For UDP_STREAM ``throughput_bps`` is what the
    receiver counted (its line), ``sent_bps`` what the sender sent; for a stream test both are the
    one figure; RR tests have ``transactions_per_sec`` and no throughput.

    >>> parse_netperf_classic("MIGRATED TCP STREAM TEST from 0.0.0.0 () port 0 AF_INET to h () port 0 : demo\\n"
    ...     "bytes  bytes   bytes    secs.    10^6bits/sec\\n\\n131072  16384  16384  1.00  941.50")["throughput_bps"]
    941500000.0
    """
    lines = [(no, line) for no, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise ValueError("netperf: empty output")
    result: dict[str, Any] = dict.fromkeys(_NETPERF_CLASSIC_KEYS)
    result.update(_netperf_banner(lines[0][1].strip()))
    for no, line in lines[1:]:
        missed = _NETPERF_CONF_MISSED_RE.match(line.strip())
        if missed and result["confidence"]:
            result["confidence"]["achieved"] = False
            result["confidence"]["missed"][missed["what"].strip()] = float(missed["pct"])
        for kind, (units_row, counts) in _NETPERF_TABLES.items():
            if units_row.match(line.strip()):
                rows = [(n, row) for n, row in lines if n > no][: len(counts)]
                if len(rows) < len(counts):
                    raise ValueError(f"netperf line {no}: no result line after the units row {line.strip()!r}")
                values = [_netperf_numbers(row, n, count) for (n, row), count in zip(rows, counts, strict=True)]
                unit = _NETPERF_UNIT_RE.search(line)
                if kind != "request_response" and not unit:
                    raise ValueError(f"netperf line {no}: no throughput unit in the units row {line.strip()!r}")
                result["unit"] = unit.group(0) if unit else None
                result.update(_NETPERF_READERS[kind](values, _netperf_unit(unit.group(0)) if unit else 0.0))
                return result
    keyval = " (this is -k keyword output: parse_netperf_keyval reads it)" if "THROUGHPUT=" in text else ""
    raise ValueError(
        f"netperf {result['test']}: no units row ('bytes  bytes   bytes    secs. ...') "
        f"of a stream, UDP stream or request/response table{keyval}"
    )


_NETPERF_CLASSIC_KEYS = (
    "unit",
    "throughput_bps",
    "sent_bps",
    "elapsed",
    "transactions_per_sec",
    "local_cpu",
    "remote_cpu",
    "local_sd",
    "remote_sd",
    "send_size",
    "recv_socket",
    "send_socket",
    "messages_sent",
    "messages_received",
    "send_errors",
)


def _netperf_stream(values: list[list[float]], scale: float) -> dict[str, Any]:
    """``Recv Send Message Elapsed Throughput [CPU local remote, SD local remote]``."""
    (row,) = values
    cpu = row[5:] if len(row) == 9 else [None] * 4
    return {
        "recv_socket": int(row[0]),
        "send_socket": int(row[1]),
        "send_size": int(row[2]),
        "elapsed": row[3],
        "throughput_bps": row[4] * scale,
        "sent_bps": row[4] * scale,
        **dict(zip(("local_cpu", "remote_cpu", "local_sd", "remote_sd"), cpu, strict=True)),
    }


def _netperf_udp_stream(values: list[list[float]], scale: float) -> dict[str, Any]:
    """Sender ``Socket Message Elapsed Okay Errors Throughput [CPU SD]``,
    receiver ``Socket Elapsed Okay Throughput [CPU SD]``."""
    sender, receiver = values
    return {
        "send_socket": int(sender[0]),
        "send_size": int(sender[1]),
        "elapsed": sender[2],
        "messages_sent": int(sender[3]),
        "send_errors": int(sender[4]),
        "sent_bps": sender[5] * scale,
        "local_cpu": sender[6] if len(sender) == 8 else None,
        "local_sd": sender[7] if len(sender) == 8 else None,
        "recv_socket": int(receiver[0]),
        "messages_received": int(receiver[2]),
        "throughput_bps": receiver[3] * scale,
        "remote_cpu": receiver[4] if len(receiver) == 6 else None,
        "remote_sd": receiver[5] if len(receiver) == 6 else None,
    }


def _netperf_request_response(values: list[list[float]], _scale: float) -> dict[str, Any]:
    """``Send Recv Request Response Elapsed Rate [CPU local remote, SD local remote]`` (local sockets)."""
    (row,) = values
    cpu = row[6:] if len(row) == 10 else [None] * 4
    return {
        "send_socket": int(row[0]),
        "recv_socket": int(row[1]),
        "send_size": int(row[2]),
        "elapsed": row[4],
        "transactions_per_sec": row[5],
        **dict(zip(("local_cpu", "remote_cpu", "local_sd", "remote_sd"), cpu, strict=True)),
    }


_NETPERF_READERS = {
    "stream": _netperf_stream,
    "udp_stream": _netperf_udp_stream,
    "request_response": _netperf_request_response,
}


def _ascii_of(data: bytes) -> str:
    """How tcpdump renders bytes in its ASCII column: printable non-space or '.'."""
    return "".join(chr(byte) if 0x21 <= byte <= 0x7E else "." for byte in data)


def _hex_groups(tokens: list[str]) -> bytes | None:
    """Decode tcpdump hex groups (``0100 5e00 ... 3031``, the last may be one byte)."""
    if not tokens or len(tokens) > 8:
        return None
    if not all(_HEX_GROUP_RE.match(t) for t in tokens[:-1]):
        return None
    if not (_HEX_GROUP_RE.match(tokens[-1]) or _HEX_BYTE_RE.match(tokens[-1])):
        return None
    return bytes.fromhex("".join(tokens))


def _hex_line_bytes(rest: str, no: int) -> bytes:
    """Bytes of one ``0xNNNN:`` line; the ASCII column is optional but must agree."""
    tokens = rest.split()
    # The ASCII column never holds spaces, so it is the last token when it is there;
    # it may itself look like hex ("67" for bytes 36 37), hence the agreement check.
    with_ascii = _hex_groups(tokens[:-1])
    if with_ascii is not None and _ascii_of(with_ascii) == tokens[-1]:
        return with_ascii
    without_ascii = _hex_groups(tokens)
    if without_ascii is None:
        raise ValueError(
            f"tcpdump line {no}: expected up to 8 groups of 4 hex digits and the ASCII column, got {rest!r}"
        )
    return without_ascii


def parse_tcpdump_hex(text: str) -> list[dict[str, Any]]:
    """Parse ``tcpdump -XX`` output into ``{timestamp, summary, raw}`` per frame.

    ``summary`` is the text after the timestamp plus any ``-v`` continuation lines
    (joined with newlines); ``raw`` is the dumped bytes. tcpdump's own status lines of 4.9 to
    4.99 (``listening on ...``, ``reading from file ..., snapshot length N``, ``dropped privs to
    tcpdump``, ``N packets captured``) are skipped.

    >>> parse_tcpdump_hex("18:02:10.058754 ARP\\n\\t0x0000:  ffff ffff ffff 5254  ......RT")[0]["raw"]
    b'\\xff\\xff\\xff\\xff\\xff\\xffRT'
    """
    frames: list[dict[str, Any]] = []
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip() or _TCPDUMP_CHATTER_RE.match(line):
            continue
        header = _TCPDUMP_FRAME_RE.match(line)
        hex_line = _TCPDUMP_HEX_RE.match(line)
        if header:
            frames.append({"timestamp": header.group(1), "summary": header.group(2).strip(), "raw": b""})
        elif hex_line and frames:
            frame = frames[-1]
            offset = int(hex_line.group(1), 16)
            if offset != len(frame["raw"]):
                expected = len(frame["raw"])
                raise ValueError(f"tcpdump line {no}: expected hex offset 0x{expected:04x}, got 0x{offset:04x}")
            frame["raw"] += _hex_line_bytes(hex_line.group(2), no)
        elif frames and line[0].isspace() and not frames[-1]["raw"]:
            frames[-1]["summary"] += "\n" + line.strip()
        else:
            raise ValueError(
                f"tcpdump line {no}: expected a 'HH:MM:SS.ffffff ...' frame line or a '0xNNNN:' hex line, got {line!r}"
            )
    for frame in frames:
        if not frame["raw"]:
            raise ValueError(f"frame at {frame['timestamp']} has no hex dump; was tcpdump run with -XX?")
    return frames


def _mac(data: bytes) -> str:
    """Format six bytes as ``01:00:5e:00:00:01``."""
    return ":".join(f"{byte:02x}" for byte in data)


def _need(data: bytes, size: int, what: str) -> None:
    """Raise ValueError naming ``what`` when ``data`` is shorter than ``size``."""
    if len(data) < size:
        raise ValueError(f"truncated {what}: need {size} bytes, got {len(data)}")


def _decode_ipv4(data: bytes) -> dict[str, Any]:
    """Decode an IPv4 header: ``{src, dst, proto, ttl, tos, total_length, identification}``."""
    _need(data, 20, "IPv4 header")
    version_ihl, tos, total_length, identification, _, ttl, proto, _, src, dst = struct.unpack(
        "!BBHHHBBH4s4s", data[:20]
    )
    if version_ihl >> 4 != 4:
        raise ValueError(f"expected IP version 4 after ethertype 0x0800, got {version_ihl >> 4}")
    return {
        "src": str(ipaddress.IPv4Address(src)),
        "dst": str(ipaddress.IPv4Address(dst)),
        "proto": proto,
        "ttl": ttl,
        "tos": tos,
        "total_length": total_length,
        "identification": identification,
    }


def _decode_arp(data: bytes) -> dict[str, Any]:
    """Decode an Ethernet/IPv4 ARP packet: ``{op, sender_mac, sender_ip, target_mac, target_ip}``."""
    _need(data, 28, "ARP packet")
    _, _, hlen, plen, op, sha, spa, tha, tpa = struct.unpack("!HHBBH6s4s6s4s", data[:28])
    if (hlen, plen) != (6, 4):
        raise ValueError(f"expected an Ethernet/IPv4 ARP packet (hlen 6, plen 4), got {hlen=}, {plen=}")
    return {
        "op": op,
        "sender_mac": _mac(sha),
        "sender_ip": str(ipaddress.IPv4Address(spa)),
        "target_mac": _mac(tha),
        "target_ip": str(ipaddress.IPv4Address(tpa)),
    }


def decode_ethernet(raw: bytes) -> dict[str, Any]:
    """Decode an Ethernet frame as dumped by ``tcpdump -XX``.

    Returns ``{dst, src, vlans: [{tpid, pcp, dei, vid}, ...] (outermost first),
    ethertype, ipv4, arp}``; ``ipv4``/``arp`` are None unless the ethertype says so.

    >>> decode_ethernet(bytes.fromhex("ffffffffffff525400f025e48100006408060001080006040001"
    ...                               "525400f025e4c0a801c8000000000000c0a80165"))["vlans"]
    [{'tpid': 33024, 'pcp': 0, 'dei': 0, 'vid': 100}]
    """
    _need(raw, 14, "Ethernet header")
    offset = 12
    vlans: list[dict[str, int]] = []
    (ethertype,) = struct.unpack_from("!H", raw, offset)
    while ethertype in _VLAN_TPIDS:
        _need(raw, offset + 6, f"VLAN tag {len(vlans) + 1}")
        (tci,) = struct.unpack_from("!H", raw, offset + 2)
        vlans.append({"tpid": ethertype, "pcp": tci >> 13, "dei": (tci >> 12) & 1, "vid": tci & 0x0FFF})
        offset += 4
        (ethertype,) = struct.unpack_from("!H", raw, offset)
    payload = raw[offset + 2 :]
    return {
        "dst": _mac(raw[0:6]),
        "src": _mac(raw[6:12]),
        "vlans": vlans,
        "ethertype": ethertype,
        "ipv4": _decode_ipv4(payload) if ethertype == ETHERTYPE_IPV4 else None,
        "arp": _decode_arp(payload) if ethertype == ETHERTYPE_ARP else None,
    }


_PCAP_MAGIC = {0xA1B2C3D4: 1e-6, 0xA1B23C4D: 1e-9}  # microsecond and nanosecond timestamps
LINKTYPE_ETHERNET = 1


def parse_pcap(data: bytes) -> dict[str, Any]:
    """Parse a classic pcap file (``tcpdump -w``), either byte order, µs or ns timestamps.

    Returns ``{linktype, snaplen, packets: [{timestamp (s, float), orig_len, raw}]}``;
    ``linktype`` 1 is Ethernet. pcapng and truncated records raise ValueError.

    >>> parse_pcap(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))["packets"]
    []
    """
    _need(data, 24, "pcap file header")
    for order in "<>":
        (magic,) = struct.unpack_from(f"{order}I", data)
        if magic in _PCAP_MAGIC:
            break
    else:
        kind = "pcapng" if data[:4] == b"\x0a\x0d\x0d\x0a" else "unknown"
        raise ValueError(f"expected a pcap file (magic a1b2c3d4), got {data[:4].hex()} ({kind})")
    _, _, _, _, snaplen, linktype = struct.unpack_from(f"{order}HHiIII", data, 4)
    packets, offset = [], 24
    while offset < len(data):
        _need(data[offset:], 16, f"pcap record header at byte {offset}")
        seconds, fraction, included, orig_len = struct.unpack_from(f"{order}IIII", data, offset)
        offset += 16
        _need(data[offset:], included, f"pcap record at byte {offset - 16}")
        packets.append(
            {
                "timestamp": seconds + fraction * _PCAP_MAGIC[magic],
                "orig_len": orig_len,
                "raw": data[offset : offset + included],
            }
        )
        offset += included
    return {"linktype": linktype, "snaplen": snaplen, "packets": packets}


# ``ip -s link`` text columns and the stats64 keys ``ip -s -j link`` gives them (ip/ipaddress.c at v3.10.0
# prints "overrun", from 5.x on "missed" = rx_missed_errors; JSON has both as over_errors/missed_errors).
_IP_STATS_COLUMNS = {
    "bytes": "bytes",
    "packets": "packets",
    "errors": "errors",
    "dropped": "dropped",
    "overrun": "over_errors",
    "missed": "missed_errors",
    "mcast": "multicast",
    "carrier": "carrier_errors",
    "collsns": "collisions",
    "compressed": "compressed",  # 3.10 prints it only when the driver counts compressed packets
}


def parse_ip_link_stats_text(text: str) -> dict[str, int]:
    """Parse ``ip -s link show dev X`` text (iproute2 without ``-j``: CentOS 7's 3.10) as :func:`parse_ip_link_stats`.

    Reads the ``RX:``/``TX:`` column rows and the numbers under them, whichever columns the version
    prints (3.10: ``overrun``, newer: ``missed``); ``ip -s -s``'s error rows are refused.

    >>> parse_ip_link_stats_text("2: eth0: <UP> mtu 1500\\n    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\\n"
    ...     "    RX: bytes  packets  errors  dropped overrun mcast\\n    10  1  0  0  0  0\\n"
    ...     "    TX: bytes  packets  errors  dropped carrier collsns\\n    20  2  0  0  0  0")["tx_packets"]
    2
    """
    lines = [(no, line.strip()) for no, line in enumerate(text.splitlines(), 1) if line.strip()]
    headers = [i for i, (_, line) in enumerate(lines) if re.match(r"^\d+: ", line)]
    if len(headers) != 1:
        raise ValueError(f"ip -s link: expected the output for exactly one link, got {len(headers)} header lines")
    counters: dict[str, int] = {}
    for i, (no, line) in enumerate(lines):
        if not line.startswith(("RX", "TX")):
            continue
        direction, _, columns = line.partition(":")
        if direction not in ("RX", "TX") or i + 1 >= len(lines):
            raise ValueError(
                f"ip -s link line {no}: expected 'RX: bytes packets ...' and a row of numbers, got {line!r}"
            )
        names, values = columns.split(), lines[i + 1][1].split()
        unknown = [name for name in names if name not in _IP_STATS_COLUMNS]
        if unknown or len(values) != len(names) or not all(v.isdigit() for v in values):
            raise ValueError(
                f"ip -s link line {no}: expected the columns {'/'.join(_IP_STATS_COLUMNS)} and as many numbers "
                f"under them, got {line!r} / {lines[i + 1][1]!r}"
            )
        prefix = direction.lower()
        counters.update({f"{prefix}_{_IP_STATS_COLUMNS[n]}": int(v) for n, v in zip(names, values, strict=True)})
    if "rx_bytes" not in counters or "tx_bytes" not in counters:
        raise ValueError("ip -s link: no 'RX:'/'TX:' statistics rows (was it run without -s?)")
    return counters


def parse_ip_link_stats(text: str) -> dict[str, int]:
    """Parse ``ip -s -j link show dev X`` into flat counters: ``rx_bytes``, ``tx_dropped``, ...

    Takes ``stats64`` (or ``stats`` of older iproute2); nested groups such as ``rx_errors``
    of ``ip -s -s`` are flattened too (``rx_errors_crc``).

    >>> parse_ip_link_stats('[{"ifname": "veth0", "stats64": {"rx": {"bytes": 10, "packets": 1}}}]')
    {'rx_bytes': 10, 'rx_packets': 1}
    """
    try:
        links = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"expected ip -s -j link JSON output: {exc}") from exc
    if not isinstance(links, list) or len(links) != 1 or not isinstance(links[0], dict):
        raise ValueError("expected ip -s -j link output for exactly one link")
    stats = links[0].get("stats64") or links[0].get("stats")
    if not isinstance(stats, dict):
        raise ValueError(f"link {links[0].get('ifname')!r} has no stats64 in ip -s -j output")
    counters: dict[str, int] = {}
    for direction, group in stats.items():
        for name, value in group.items():
            if isinstance(value, dict):
                counters.update({f"{direction}_{name}_{k}": v for k, v in value.items() if isinstance(v, int)})
            elif isinstance(value, int):
                counters[f"{direction}_{name}"] = value
    return counters


def parse_proc_net_snmp(text: str) -> dict[str, dict[str, int]]:
    """Parse ``/proc/net/snmp`` (pairs of lines: a protocol's field names, then its values) into
    ``{protocol: {field: value}}``, e.g. ``["Udp"]["RcvbufErrors"]``: datagrams a full socket buffer dropped.

    >>> parse_proc_net_snmp("Udp: InDatagrams RcvbufErrors\\nUdp: 5 2\\n")["Udp"]
    {'InDatagrams': 5, 'RcvbufErrors': 2}
    """
    tables: dict[str, dict[str, int]] = {}
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines or len(lines) % 2:
        raise ValueError("/proc/net/snmp: expected pairs of lines (field names, then values)")
    for names, values in zip(lines[::2], lines[1::2], strict=True):
        if names[0] != values[0] or not names[0].endswith(":") or len(names) != len(values):
            raise ValueError(f"/proc/net/snmp: the {names[0]} names and {values[0]} values do not pair up")
        try:
            tables[names[0][:-1]] = {name: int(value) for name, value in zip(names[1:], values[1:], strict=True)}
        except ValueError:
            raise ValueError(f"/proc/net/snmp: {values[0]} has a value that is not an integer") from None
    return tables


def format_tcpdump_hex(raw: bytes) -> str:
    """Format bytes as ``tcpdump -XX`` does (the inverse of ``parse_tcpdump_hex``'s hex lines).

    >>> format_tcpdump_hex(bytes.fromhex("01005e000002"))
    '\\t0x0000:  0100 5e00 0002                           ..^...'
    """
    lines = []
    for offset in range(0, len(raw), 16):
        chunk = raw[offset : offset + 16]
        groups = " ".join(chunk[i : i + 2].hex() for i in range(0, len(chunk), 2))
        lines.append(f"\t0x{offset:04x}:  {groups:<39}  {_ascii_of(chunk)}")
    return "\n".join(lines)
