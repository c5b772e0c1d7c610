"""Verdicts that rest on emulated behaviour: what a test drove that the lab only emulates.

The embedded lab emulates what this machine cannot give (the SR-IOV NICs' embedded switches and
VFs, ``netvirt.embedded.nicemu``). Whatever emulated part a keyword drives calls ``used(tag,
what)``; ``LabLibrary``, a listener, starts each test with ``begin()`` and ends it with
``declare()``: the test gets each tag and its message (PASS, FAIL or SKIP alike) a line that
starts with ``MARK`` and says what was emulated. The log, the report and the generated test
record (``netvirt.record``) show both. A real lab never calls ``used``.
"""

from __future__ import annotations

TAG_PREFIX = "emulated-"
MARK = "【模拟】"

_used: dict[str, list[str]] = {}


def used(tag: str, what: str) -> None:
    """Record that the current test drives emulated behaviour ``what`` (tag ``emulated-...``).

    The first use of each ``what`` in a test is logged, so the log shows where the emulation begins.
    Example: ``used("emulated-nic", "hostb:enP5p1s0 模拟 SR-IOV 网卡（型号 cx4-ofed4.3）")``
    """
    if not tag.startswith(TAG_PREFIX):
        raise ValueError(f"模拟行为的标签必须以 {TAG_PREFIX} 开头：{tag!r}")
    seen = _used.setdefault(tag, [])
    if what in seen:
        return
    seen.append(what)
    from robot.api import logger

    logger.info(f"{MARK}本用例的判定依赖模拟行为：{what}")


def begin() -> None:
    """A test starts: nothing of it is emulated yet."""
    _used.clear()


def current() -> dict[str, list[str]]:
    """What the running test has used so far, by tag (a copy; the record is kept).

    For state that outlives a test: a forwarding path built over an emulated NIC is measured again by later
    tests, which must say so too (``PerfLibrary`` keeps this and gives it to ``again``).
    """
    return {tag: list(whats) for tag, whats in _used.items()}


def again(found: dict[str, list[str]]) -> None:
    """The running test uses what ``found`` (from ``current``) lists: e.g. it measures a path built before it."""
    for tag, whats in found.items():
        for what in whats:
            used(tag, what)


def take() -> dict[str, list[str]]:
    """What the test that ends used, by tag; the record starts empty again."""
    found = {tag: list(whats) for tag, whats in _used.items()}
    _used.clear()
    return found


def message_line(found: dict[str, list[str]]) -> str:
    """The line appended to a test's message: ``【模拟】本判定依赖模拟行为：...；...``."""
    whats = [what for whats in found.values() for what in whats]
    return f"{MARK}本判定依赖本机模拟的行为，不是真实硬件的判定：{'；'.join(whats)}"


def declare(result) -> None:
    """Add the tags and the message line of what the ending test used to its ``result``."""
    found = take()
    if not found:
        return
    result.tags.add(sorted(found))
    line = message_line(found)
    result.message = f"{result.message}\n{line}" if result.message else line


def emulated_line(message: str) -> str | None:
    """The ``【模拟】...`` line of a test message, or None."""
    for line in message.splitlines():
        if line.startswith(MARK):
            return line
    return None
