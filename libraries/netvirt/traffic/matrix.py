"""Connectivity matrices: every endpoint pings every other, laid out like the record's tables.

An endpoint is ``host=address`` (``hosta=5.5.5.11``): the host pings from that address
(``ping -I address``), so two endpoints on one host are two sources, as the record's
``5.5.5.22(host)`` and a VM are. Cells read ``Y``, ``N`` or ``self`` (the diagonal).

Pings run concurrently, one worker thread per cell (a source host's pings share its SSH
connection, one channel each), so a matrix takes about as long as its slowest ping (an
unreachable cell waits out the ping deadline) instead of the sum of each source's row;
the workers hand their outcomes back and only the keyword's thread logs them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from netvirt import atonce, validate
from netvirt.ssh import SshSession
from netvirt.traffic.ping import PingOutcome, ping_argv, run_ping

CELLS = ("Y", "N", "self")
Cell = tuple[int, int]


@dataclass(frozen=True)
class Endpoint:
    host: str
    address: str

    @property
    def label(self) -> str:
        """How the record heads a row or column: ``5.5.5.11(hosta)``."""
        return f"{self.address}({self.host})"


@dataclass(frozen=True)
class Mismatch:
    cell: Cell
    source: Endpoint
    destination: Endpoint
    measured: str
    expected: str

    def __str__(self) -> str:
        return f"{self.source.label} → {self.destination.label}：实测 {self.measured}，期望 {self.expected}"


def parse_endpoints(items: Sequence[str]) -> list[Endpoint]:
    """``['hosta=5.5.5.11', ...]`` -> endpoints; at least two, addresses valid and distinct."""
    endpoints = []
    for item in items:
        host, sep, address = str(item).partition("=")
        host, address = host.strip(), address.strip()
        if not sep or not host or not address:
            raise ValueError(f"端点 {item!r} 应写成 主机=地址（例如 hosta=5.5.5.11）")
        validate.ip_address(address, f"端点 {item!r} 的地址")
        endpoints.append(Endpoint(host, address))
    if len(endpoints) < 2:
        raise ValueError(f"连通性矩阵至少需要两个端点，得到 {len(endpoints)} 个")
    addresses = [e.address for e in endpoints]
    repeated = sorted({a for a in addresses if addresses.count(a) > 1})
    if repeated:
        raise ValueError(f"端点地址重复：{', '.join(repeated)}")
    return endpoints


def parse_expected(rows: Sequence[str | Sequence[str]], size: int) -> list[list[str]]:
    """The expected matrix: ``size`` rows of ``size`` cells, each row a list or ``'self Y N'``."""
    if len(rows) != size:
        raise ValueError(f"期望矩阵有 {len(rows)} 行，端点有 {size} 个：应为 {size} 行")
    matrix = []
    for r, row in enumerate(rows):
        cells = row.split() if isinstance(row, str) else [str(cell) for cell in row]
        if len(cells) != size:
            raise ValueError(f"期望矩阵第 {r + 1} 行有 {len(cells)} 格（{' '.join(cells)}），应为 {size} 格")
        for c, cell in enumerate(cells):
            if cell not in CELLS:
                raise ValueError(f"期望矩阵第 {r + 1} 行第 {c + 1} 格为 {cell!r}，只能是 Y、N 或 self")
            if (cell == "self") != (r == c):
                raise ValueError(f"期望矩阵第 {r + 1} 行第 {c + 1} 格为 {cell!r}：self 只能且必须在对角线上")
        matrix.append(cells)
    return matrix


def pairs(endpoints: Sequence[Endpoint]) -> list[Cell]:
    """Every (source, destination) index pair off the diagonal, in table order."""
    return [(r, c) for r in range(len(endpoints)) for c in range(len(endpoints)) if r != c]


def measure(
    endpoints: Sequence[Endpoint],
    sessions: dict[str, SshSession],
    count: int = 2,
    deadline: int = 2,
    pinger: Callable[[SshSession, list[str]], PingOutcome] = run_ping,
) -> dict[Cell, PingOutcome]:
    """Ping every pair, all at once (one worker per cell); returns the outcome of each cell.

    ``sessions`` maps each endpoint's host to its SSH session (opened by the caller, so
    an unknown or unreachable host fails before any thread starts).
    """
    cells = pairs(endpoints)

    def worker(cell: Cell) -> PingOutcome:
        r, c = cell
        argv = ping_argv(endpoints[c].address, count, source=endpoints[r].address, deadline=deadline)
        return pinger(sessions[endpoints[r].host], argv)

    return dict(zip(cells, atonce.results(worker, cells, "ping-matrix"), strict=True))


def to_matrix(size: int, outcomes: dict[Cell, PingOutcome]) -> list[list[str]]:
    """Cells ``Y``/``N``/``self`` from the outcomes of ``measure``."""
    return [
        ["self" if r == c else ("Y" if outcomes[(r, c)].reached else "N") for c in range(size)] for r in range(size)
    ]


def compare(endpoints: Sequence[Endpoint], measured: list[list[str]], expected: list[list[str]]) -> list[Mismatch]:
    """The cells where ``measured`` differs from ``expected``, in table order."""
    return [
        Mismatch((r, c), endpoints[r], endpoints[c], measured[r][c], expected[r][c])
        for r, c in pairs(endpoints)
        if measured[r][c] != expected[r][c]
    ]


def table(
    endpoints: Sequence[Endpoint], measured: list[list[str]], expected: list[list[str]] | None = None
) -> tuple[list[str], list[list[str]], list[Cell]]:
    """Headers, rows and highlighted (row, column) cells of the record's ``ping to`` table.

    A mismatching cell reads ``N（期望 Y）``; its position is returned for highlighting.
    """
    headers = ["ping to", *(e.label for e in endpoints)]
    rows, marked = [], []
    for r, source in enumerate(endpoints):
        row = [source.label]
        for c, value in enumerate(measured[r]):
            if expected is not None and value != expected[r][c]:
                marked.append((r, c + 1))
                value = f"{value}（期望 {expected[r][c]}）"
            row.append(value)
        rows.append(row)
    return headers, rows, marked
