"""Evidence in the Robot log: commands with their output, tables, preformatted blocks.

Only the keyword's own thread calls these (Robot drops messages logged from others).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from robot.api import logger

from netvirt.ssh import CommandResult


def pre(title: str, text: str) -> None:
    """Log ``text`` verbatim under a bold ``title``."""
    logger.info(f"<b>{html.escape(title)}</b><pre>{html.escape(text.rstrip())}</pre>", html=True)


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


def table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], title: str = "", highlight: Iterable[tuple[int, int]] = ()
) -> None:
    """Log an HTML table; cells at ``highlight`` (row, column) positions are marked red."""
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
