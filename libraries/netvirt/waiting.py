"""One way to wait for something: poll a condition until it holds or its time is up.

Used by the real lab's and the embedded lab's code alike (a socket that appears, a NIC that shows
up in a guest, VFs the driver probes). A loop that does more than poll (escalates from SIGTERM to
SIGKILL, logs what it judged, reconnects) stays a loop of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(RuntimeError):
    """What was waited for did not happen in time; the message names it (and the last error, if any)."""


def wait_until(
    condition: Callable[[], T],
    timeout: float,
    interval: float = 0.1,
    what: str = "条件成立",
    retry_on: tuple[type[BaseException], ...] = (),
) -> T:
    """Call ``condition`` every ``interval`` seconds until it returns a truthy value, and return that value.

    ``condition`` is called at least once, and once more after ``timeout`` has passed. An exception of a
    type in ``retry_on`` counts as "not yet"; any other is raised at once. After ``timeout`` seconds
    ``WaitTimeout`` says what was waited for (``what``) and, if the last attempt raised, why.

    >>> wait_until(lambda: 42, timeout=1, what="答案")
    42
    """
    deadline = time.monotonic() + timeout
    while True:
        last_error: BaseException | None = None
        try:
            value = condition()
        except retry_on as err:
            value, last_error = None, err
        if value:
            return value
        if time.monotonic() >= deadline:
            reason = f"（最后一次：{last_error}）" if last_error else ""
            raise WaitTimeout(f"等待超时（{timeout:g} 秒）：{what}{reason}") from last_error
        time.sleep(min(interval, max(deadline - time.monotonic(), 0)))
