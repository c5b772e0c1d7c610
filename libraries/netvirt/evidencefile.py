"""The run's evidence as data, beside its output.xml (``output.xml`` -> ``output.evidence.jsonl``).

``EvidenceListener`` is a Robot library and listener (``resources/lab.resource`` imports it): it takes
what ``netvirt.evidence`` hands on (commands with host, rc and output; tables with headers, rows and
highlighted cells; preformatted texts; equivalent commands; notes about the lab; images) and the
run's warnings and errors, and writes one JSON object per line, as they come::

    {"format": "netvirt-evidence", "version": 1, "output": "output.xml", "robot": "7.5"}
    {"seq": 1, "owner": ["test", "<test longname>"], "path": ["<start time>", ...], "id": "s1-s1-t1-k2",
     "keyword": "OVSLibrary.显示OVS配置", "kind": "command", "payload": {"host": "hostb", ...}}

``owner`` is the test (``["test", longname]``) or the suite phase (``["suite", longname, "setup"]``)
the evidence belongs to; ``path`` the start times of the keywords and control structures from there
down to the one that logged it (the suite's setup or teardown keyword itself is not in it). Start
times are what output.xml keeps of every step, and pabot keeps them when it merges the suite setups
of its processes into one, so ``location`` finds the same step in output.xml (``id`` is only for a
reader: pabot renumbers merged suites). ``netvirt.record`` writes the test record from this file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import robot
from robot.libraries.BuiltIn import BuiltIn
from robot.result import TestCase, TestSuite

from netvirt import evidence

FORMAT = "netvirt-evidence"
VERSION = 1
SUFFIX = ".evidence.jsonl"
NOTED_LEVELS = ("WARN", "ERROR")  # messages the record keeps as notes for the reader

Owner = tuple[str, ...]
Location = tuple[Owner, tuple[str, ...]]


def path_for(output_xml: Path) -> Path:
    """Where the evidence of the run whose output is ``output_xml`` is written."""
    return output_xml.with_name(output_xml.stem + SUFFIX)


def location(item: Any) -> Location:
    """Where a result item (test, keyword, control structure) sits: its owner and the start times of
    the steps from the owner down to it. The same for the running result and for output.xml."""
    path: list[str] = []
    while not isinstance(item, TestCase | TestSuite):
        parent = item.parent
        if isinstance(parent, TestSuite):  # the suite's setup or teardown keyword
            return ("suite", parent.full_name, str(item.type).lower()), tuple(reversed(path))
        path.append(_time(item.start_time))
        item = parent
    if isinstance(item, TestCase):
        return ("test", item.full_name), tuple(reversed(path))
    return ("suite", item.full_name), ()


def _time(start: object) -> str:
    return start.isoformat() if hasattr(start, "isoformat") else str(start or "")


@dataclass(frozen=True)
class Item:
    """One piece of evidence as the file holds it."""

    seq: int
    owner: Owner
    path: tuple[str, ...]
    keyword: str
    kind: str
    payload: dict[str, Any]


class EvidenceFileError(Exception):
    """The evidence file is missing or is not one this module wrote."""


def read(path: Path) -> Iterator[Item]:
    """The items of an evidence file, in the order they were logged."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as err:
        raise EvidenceFileError(f"没有证据文件 {path}") from err
    try:
        header = json.loads(lines[0]) if lines else {}
    except json.JSONDecodeError:
        header = {}
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise EvidenceFileError(f"{path} 不是 netvirt 证据文件（格式 {FORMAT} 版本 {VERSION}）")
    for number, line in enumerate(lines[1:], start=2):
        try:
            data = json.loads(line)
        except json.JSONDecodeError as err:
            if number == len(lines):  # the last line of a run that was killed while writing it
                return
            raise EvidenceFileError(f"{path} 第 {number} 行不是 JSON：{err}") from err
        yield Item(
            seq=data["seq"],
            owner=tuple(data["owner"]),
            path=tuple(data["path"]),
            keyword=data.get("keyword", ""),
            kind=data["kind"],
            payload=data["payload"],
        )


class EvidenceListener:
    """A Robot listener that writes the run's evidence as data beside output.xml (see the module).

    ``robot.toml`` registers it for every run of the project (``--listener
    netvirt.evidencefile.EvidenceListener`` for a run without it). Runs without an output file
    (``--output NONE``) write nothing.
    """

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self) -> None:
        self._steps: list[Any] = []  # the running result's keywords and control structures, innermost last
        self._seq = 0
        self._file: TextIO | None = None
        self._opened = False

    def start_suite(self, data: Any, result: Any) -> None:
        if self._opened:
            return
        self._opened = True
        output = BuiltIn().get_variable_value("${OUTPUT FILE}", "NONE")
        if str(output).upper() == "NONE":
            return
        self._file = path_for(Path(output)).open("w", encoding="utf-8")
        self._write({"format": FORMAT, "version": VERSION, "output": Path(output).name, "robot": robot.__version__})
        evidence.add_sink(self.take)

    def _write(self, data: dict[str, Any]) -> None:
        assert self._file is not None
        self._file.write(json.dumps(data, ensure_ascii=False) + "\n")
        self._file.flush()  # a killed run keeps what it logged, as its output.xml does

    def take(self, kind: str, payload: dict[str, Any]) -> None:
        """Write one piece of evidence (``netvirt.evidence`` calls this in the keyword's thread)."""
        if self._file is None or not self._steps:
            return
        current = self._steps[-1]
        owner, path = location(current)
        self._seq += 1
        keyword = getattr(current, "full_name", "") or str(getattr(current, "type", ""))
        self._write(
            {
                "seq": self._seq,
                "owner": list(owner),
                "path": list(path),
                "id": current.id,
                "keyword": keyword,
                "kind": kind,
                "payload": payload,
            }
        )

    def start_test(self, data: Any, result: Any) -> None:
        # Evidence a library's listener logs as the test starts, before any step (VMLibrary restarting a guest
        # that does not answer), is the test's own.
        self._steps.append(result)

    def end_test(self, data: Any, result: Any) -> None:
        self.end_body_item(data, result)

    def start_body_item(self, data: Any, result: Any) -> None:
        self._steps.append(result)

    def end_body_item(self, data: Any, result: Any) -> None:
        if self._steps and self._steps[-1] is result:
            self._steps.pop()

    def log_message(self, message: Any) -> None:
        """Warnings and errors, kept in the record as notes (they are Robot's own data, not HTML)."""
        if message.level in NOTED_LEVELS and not message.html:
            self.take("message", {"level": message.level, "text": message.message})

    def close(self) -> None:
        evidence.remove_sink(self.take)
        if self._file is not None:
            self._file.close()
            self._file = None
