"""Structured tool output first, text as the fallback, probed once per host.

``ip -j`` exists from iproute2 4.14 and ``tc -j`` prints classes as JSON from 6.2; the record's
CentOS 7.5 has iproute2 3.10, which answers ``Option "-j" is unknown``. Whether a host's tool gives
JSON is asked once per SSH session (a host of a lab; a reconnected guest asks again) with a command
that cannot change anything (``ip -j link show dev lo``, ``tc -j class show dev lo``), and
remembered. A reading then runs the JSON form where the host has it and the text form otherwise,
or when the JSON form's output cannot be read (the reason is kept); ``Reading.log`` logs the
commands and which source was read.

Example::

    reading = structured.read(session, "ip", lambda json: session.run(...), parse_ip_link_json, parse_ip_links)
    reading.value, reading.results, reading.source
"""

from __future__ import annotations

import json
import shlex
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from robot.api import logger

from netvirt import evidence
from netvirt.ssh import CommandResult, SshSession

# tool -> (probe argv, JSON source, text source); the probes read the loopback, which every host has.
TOOLS: dict[str, tuple[list[str], str, str]] = {
    "ip": (["ip", "-j", "link", "show", "dev", "lo"], "ip -j（JSON）", "ip 文本输出"),
    "tc-class": (["tc", "-j", "class", "show", "dev", "lo"], "tc -j（JSON）", "tc 文本输出"),
}
_known: weakref.WeakKeyDictionary[Any, dict[str, bool]] = weakref.WeakKeyDictionary()


@dataclass
class Reading:
    """What a tool said: the parsed ``value`` (None if the command failed), every command run, and the source read."""

    value: Any
    results: list[CommandResult] = field(default_factory=list)
    source: str = ""

    @property
    def result(self) -> CommandResult:
        """The command whose output ``value`` is (the last one run)."""
        return self.results[-1]

    def log(self) -> None:
        """Log every command run, with its output, and the source read (evidence for the Robot log)."""
        for result in self.results:
            evidence.command(result)
        if self.results:
            logger.info(f"{self.result.host}：读取来源 {self.source}")


def gives_json(session: SshSession, tool: str) -> bool:
    """Whether ``tool`` on ``session``'s host prints JSON (asked once per session, then remembered)."""
    known = _known.setdefault(session, {})
    if tool not in known:
        probe = TOOLS[tool][0]
        result = session.run(shlex.join(probe), timeout=30)
        try:
            known[tool] = result.ok and isinstance(json.loads(result.stdout), list)
        except json.JSONDecodeError:
            known[tool] = False
        said = "支持 JSON 输出" if known[tool] else "不支持 JSON 输出，读文本"
        detail = (result.stderr or result.stdout).strip()[:120]
        detail = f"（{detail}）" if detail and not known[tool] else ("（无输出）" if not known[tool] else "")
        logger.info(f"{session.name} 的 {shlex.join(probe)}：{said}{detail}")
    return known[tool]


def read(
    session: SshSession,
    tool: str,
    run: Callable[[bool], CommandResult],
    parse_json: Callable[[str], Any],
    parse_text: Callable[[str], Any],
) -> Reading:
    """Run ``run(True)`` (the JSON form) where the host's ``tool`` gives JSON, else ``run(False)``; parse it.

    A JSON form that fails is returned as it is (value None: the device is missing, say); one whose
    output cannot be parsed falls back to the text form, saying why. Text that cannot be parsed raises
    the parser's ValueError.
    """
    _, json_source, text_source = TOOLS[tool]
    reading = Reading(None)
    why = "该主机的工具不支持 -j"
    if gives_json(session, tool):
        result = run(True)
        reading.results.append(result)
        if not result.ok:
            reading.source = json_source
            return reading
        try:
            reading.value, reading.source = parse_json(result.stdout), json_source
        except ValueError as err:
            why = f"JSON 输出读不懂：{err}"
            logger.warn(f"{session.name}：{result.command} 的 {why}，改读文本输出")
        else:
            return reading
    result = run(False)
    reading.results.append(result)
    reading.source = f"{text_source}（{why}）"
    if result.ok:
        reading.value = parse_text(result.stdout)
    return reading


def forget(session: SshSession) -> None:
    """Drop what is known of ``session``'s tools (tests; a host whose tools changed)."""
    _known.pop(session, None)
