"""Independent remote steps run at once: each in a thread of its own, all awaited, results in order.

A TCG guest spends its time starting a process and waiting (a dropped ping's deadline, tcpdump getting ready,
QEMU ending), so steps that share nothing go together. The calls must not write to Robot's log (only Robot's
own thread may): the caller logs their results afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def outcomes(call: Callable[[T], R], items: Sequence[T], name: str) -> list[R | Exception]:
    """``call(item)`` for every item at once; per item, in order, what it returned or the Exception it raised.

    >>> outcomes(lambda x: 10 // x, [5, 0], "demo")[0]
    2
    """

    def one(item: T) -> R | Exception:
        try:
            return call(item)
        except Exception as err:  # noqa: BLE001 - handed back with the others' results
            return err

    with ThreadPoolExecutor(max_workers=max(len(items), 1), thread_name_prefix=name) as pool:
        return list(pool.map(one, items))


def results(call: Callable[[T], R], items: Sequence[T], name: str) -> list[R]:
    """``call(item)`` for every item at once; what each returned, in order. The first failure (in the items'
    order) is raised once every call has ended."""
    found = outcomes(call, items, name)
    for outcome in found:
        if isinstance(outcome, Exception):
            raise outcome
    return found  # type: ignore[return-value]
