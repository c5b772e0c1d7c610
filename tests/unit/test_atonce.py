"""netvirt.atonce: independent steps in threads of their own, all awaited, results in order."""

import threading

import pytest

from netvirt import atonce


def test_calls_overlap_and_results_keep_the_items_order():
    # Each call waits for all three: run one after another, the barrier would break after 10 s.
    barrier = threading.Barrier(3, timeout=10)

    def call(item: int) -> int:
        barrier.wait()
        return item * 10

    assert atonce.results(call, [3, 1, 2], "t") == [30, 10, 20]


def test_a_failure_is_raised_once_every_call_has_ended():
    ended = []

    def call(item: int) -> int:
        if item == 0:
            raise ValueError("zero")
        ended.append(item)
        return item

    assert [type(o).__name__ for o in atonce.outcomes(call, [1, 0, 2], "t")] == ["int", "ValueError", "int"]
    ended.clear()
    with pytest.raises(ValueError, match="zero"):
        atonce.results(call, [1, 0, 2], "t")
    assert sorted(ended) == [1, 2]
    assert atonce.results(call, [], "t") == []
