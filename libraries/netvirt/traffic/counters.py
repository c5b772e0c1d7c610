"""Interface counters before and after traffic: ``ip -s -j link`` (``ip -s link`` text where the host's
iproute2 has no JSON) and, where it answers, ``ethtool -S``.

The kernel's link counters exist on every interface; the NIC's own (``ethtool -S``, e.g.
the record's ``rx_vport_multicast_packets`` on ConnectX-4) depend on the driver, so a
host without ethtool or a driver without statistics gives the link counters alone.
"""

from __future__ import annotations

import shlex
from typing import Any

from netvirt import structured
from netvirt.parsers.net import parse_ethtool_stats
from netvirt.parsers.traffic import parse_ip_link_stats, parse_ip_link_stats_text
from netvirt.ssh import CommandResult, SshSession

SECTIONS = ("link", "ethtool")


def read(session: SshSession, interface: str) -> tuple[dict[str, Any], list[CommandResult]]:
    """``{host, interface, link: {...}, ethtool: {...}}`` and the commands that gave them."""

    def show(json: bool) -> CommandResult:
        return session.run(shlex.join(["ip", "-s", *(["-j"] if json else []), "link", "show", "dev", interface]), 30)

    # ip -s -j where the host's iproute2 has JSON; the text on CentOS 7's iproute2 3.10
    reading = structured.read(session, "ip", show, parse_ip_link_stats, parse_ip_link_stats_text)
    link = reading.result
    if reading.value is None:
        raise RuntimeError(f"{session.name} 上无法读取接口 {interface} 的计数器：{link.stderr.strip()}")
    # ethtool may be missing or have nothing to say for this driver: the link counters still count.
    ethtool = session.run(f"! command -v ethtool >/dev/null || {shlex.join(['ethtool', '-S', interface])}", timeout=30)
    nic = parse_ethtool_stats(ethtool.stdout) if ethtool.ok and ethtool.stdout.strip() else {}
    counters = {"host": session.name, "interface": interface, "link": reading.value, "ethtool": nic}
    return counters, [*reading.results, ethtool]


def difference(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``after - before`` for every counter both readings have, section by section."""
    for key in ("host", "interface"):
        if before.get(key) != after.get(key):
            raise ValueError(
                f"两次读数不是同一接口：{before.get('host')}:{before.get('interface')} 与 "
                f"{after.get('host')}:{after.get('interface')}"
            )
    delta: dict[str, Any] = {"host": after["host"], "interface": after["interface"]}
    for section in SECTIONS:
        old, new = before.get(section, {}), after.get(section, {})
        delta[section] = {name: new[name] - old[name] for name in new if name in old}
    return delta


def changed_rows(before: dict[str, Any], after: dict[str, Any], delta: dict[str, Any]) -> list[list[object]]:
    """``[section, counter, before, after, delta]`` for the counters that moved."""
    return [
        [section, name, before[section][name], after[section][name], value]
        for section in SECTIONS
        for name, value in delta[section].items()
        if value
    ]
