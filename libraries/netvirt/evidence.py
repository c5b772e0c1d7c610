"""Evidence in the Robot log: commands with their output, tables, preformatted blocks.

Each helper logs its evidence as HTML (as a person reads it in log.html) and hands the same evidence as
data to whoever listens (``netvirt.evidencefile`` writes it beside output.xml, and the test record is
written from that). Only the keyword's own thread calls these: Robot drops messages logged from other
threads, and the data handed on follows the same rule, so the two never differ.
"""

from __future__ import annotations

import base64
import html
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from robot.api import logger
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError
from robot.output.librarylogger import LOGGING_THREADS

from netvirt.ssh import CommandResult


def output_dir() -> Path | None:
    """Where the run writes its results (Robot's ``${OUTPUT DIR}``, beside output.xml), for evidence that is a file
    (a locked guest's console); None outside a Robot run."""
    try:
        out = BuiltIn().get_variable_value("${OUTPUT DIR}")
    except RobotNotRunningError:
        return None
    return Path(out) if out else None


def pre(title: str, text: str) -> None:
    """Log ``text`` verbatim under a bold ``title``."""
    logger.info(f"<b>{html.escape(title)}</b><pre>{html.escape(text.rstrip())}</pre>", html=True)
    _hand_on("pre", {"title": title, "text": text})


def command(result: CommandResult) -> None:
    """Log a command as a person would have typed it at the host's prompt, with its output."""
    body = result.stdout.rstrip()
    if result.stderr.strip():
        body += ("\n" if body else "") + result.stderr.rstrip()
    status = "" if result.ok else f"   [rc={result.rc}]"
    logger.info(
        f"<pre><b>[{html.escape(result.host)}]# {html.escape(result.command)}</b>{status}\n{html.escape(body)}</pre>",
        html=True,
    )
    _hand_on(
        "command",
        {
            "host": result.host,
            "command": result.command,
            "rc": result.rc,
            "ok": result.ok,
            "stdout": result.stdout,
            "stderr": result.stderr,
            "seconds": result.seconds,
        },
    )


def table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], title: str = "", highlight: Iterable[tuple[int, int]] = ()
) -> None:
    """Log an HTML table; cells at ``highlight`` (row, column) positions are marked red."""
    rows = [list(row) for row in rows]
    marked = set(highlight)
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, value in enumerate(row):
            style = ' style="background:#f8c0c0"' if (r, c) in marked else ""
            cells.append(f"<td{style}>{html.escape(str(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption = f"<b>{html.escape(title)}</b><br>" if title else ""
    logger.info(
        f'{caption}<table border="1" cellpadding="3" style="border-collapse:collapse">'
        f"<tr>{head}</tr>{''.join(body)}</table>",
        html=True,
    )
    _hand_on(
        "table",
        {
            "title": title,
            "headers": [str(h) for h in headers],
            "rows": [[str(value) for value in row] for row in rows],
            "highlight": sorted([r, c] for r, c in marked),
        },
    )


# --- evidence as data ---------------------------------------------------------------------------------

EQUIVALENT = "等效命令："
LAB_NOTE = "实验环境说明："


def equivalent(command_line: str) -> None:
    """Log the command line a person would type for a change made through an API (OVSDB)."""
    logger.info(f"{EQUIVALENT}{command_line}")
    _hand_on("equivalent", {"command": command_line})


def lab_note(text: str) -> None:
    """Log a remark about the lab itself (what the record's 服务器配置 notes under its table)."""
    logger.info(f"{LAB_NOTE}{text}")
    _hand_on("lab_note", {"text": text})


def image(title: str, png: bytes) -> None:
    """Log a PNG picture (a plot) inline under a bold ``title``."""
    data = base64.b64encode(png).decode()
    logger.info(f'<b>{html.escape(title)}</b><br><img src="data:image/png;base64,{data}">', html=True)
    _hand_on("image", {"title": title, "media_type": "image/png", "data": data})


Sink = Callable[[str, dict[str, object]], None]
_sinks: list[Sink] = []


def add_sink(sink: Sink) -> None:
    """Have ``sink(kind, payload)`` called with every piece of evidence logged from now on."""
    if sink not in _sinks:
        _sinks.append(sink)


def remove_sink(sink: Sink) -> None:
    if sink in _sinks:
        _sinks.remove(sink)


def _hand_on(kind: str, payload: dict[str, object]) -> None:
    """Evidence as data, from the threads whose messages Robot keeps (its ``LOGGING_THREADS``) only."""
    if threading.current_thread().name not in LOGGING_THREADS:
        return
    for sink in list(_sinks):
        sink(kind, payload)
