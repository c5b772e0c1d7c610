"""The one wait helper (``netvirt.waiting.wait_until``): returns the condition's value, retries what it is told
to, names what it waited for and why the last attempt failed."""

from __future__ import annotations

import time

import pytest

from netvirt.waiting import WaitTimeout, wait_until


def test_returns_the_first_truthy_value():
    answers = iter([None, 0, "", "eth1"])
    assert wait_until(lambda: next(answers), timeout=5, interval=0.01, what="网卡出现") == "eth1"


def test_times_out_naming_what_it_waited_for_after_trying_once_more():
    calls = []
    start = time.monotonic()
    with pytest.raises(WaitTimeout, match=r"^等待超时（0\.2 秒）：vm01 中出现 MAC 为 52:54:00:00:00:01 的网卡$"):
        wait_until(lambda: calls.append(1), 0.2, 0.05, "vm01 中出现 MAC 为 52:54:00:00:00:01 的网卡")
    assert 0.2 <= time.monotonic() - start < 1.0
    assert len(calls) >= 3  # the first call at once, the last one after the deadline


def test_retries_the_errors_it_is_told_to_and_names_the_last_one():
    attempts = iter([ValueError("VF 0 不存在"), ValueError("VF 0 还没有 netdev"), "0005:01:00.1"])

    def vf():
        got = next(attempts)
        if isinstance(got, Exception):
            raise got
        return got

    assert wait_until(vf, 5, 0.01, "VF 0 出现", retry_on=(ValueError,)) == "0005:01:00.1"

    def never():
        raise ValueError("VF 1 不存在")

    with pytest.raises(WaitTimeout, match=r"：VF 1 出现（最后一次：VF 1 不存在）$") as err:
        wait_until(never, 0.05, 0.01, "VF 1 出现", retry_on=(ValueError,))
    assert isinstance(err.value.__cause__, ValueError)


def test_other_errors_are_raised_at_once():
    def broken():
        raise KeyError("x")

    start = time.monotonic()
    with pytest.raises(KeyError):
        wait_until(broken, 10, 0.01, "不会等")
    assert time.monotonic() - start < 1
