"""Bit rates for people: the log shows ``6.26 Gbit/s``, keywords compute in bits per second."""

from __future__ import annotations

_SCALES = ((1e12, "Tbit/s"), (1e9, "Gbit/s"), (1e6, "Mbit/s"), (1e3, "Kbit/s"))


def scale_for(bps: float) -> tuple[float, str]:
    """The divisor and unit that show ``bps`` with 1 to 3 integer digits."""
    for divisor, unit in _SCALES:
        if abs(bps) >= divisor:
            return divisor, unit
    return 1.0, "bit/s"


def format_bps(bps: float | None) -> str:
    """``6255163478.6`` -> ``'6.26 Gbit/s'``; None -> ``'—'``.

    >>> format_bps(10.3e9)
    '10.3 Gbit/s'
    """
    if bps is None:
        return "—"
    divisor, unit = scale_for(bps)
    return f"{bps / divisor:.3g} {unit}"
