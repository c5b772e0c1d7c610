"""Helper scripts that run *on* a lab host or guest, not in the Robot process.

Each is a single file that needs only ``python3`` and its standard library, so that any
host the record names (a bare ARM server, a minimal guest) can run it. Keyword code copies
one over SFTP into a private temporary directory on the host, runs it and removes it.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def script(name: str) -> bytes:
    """The source of helper ``name`` (e.g. ``framesend.py``), to be copied to a host."""
    path = HERE / name
    if Path(name).name != name or path.suffix != ".py" or not path.is_file() or name == "__init__.py":
        raise ValueError(f"没有远端辅助脚本 {name}")
    return path.read_bytes()
