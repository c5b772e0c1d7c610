"""Benchmark: where a chapter run's wall time goes, read from its ``output.xml``.

Prints the suite setup and teardown of every suite, each case's wall time (with its status), the
slowest keywords anywhere in the run, and the total, so a change can be compared with the run before
it (issue 16's per-case budget). Asserts nothing.

    .venv/bin/python benchmarks/chapter_times.py results/output.xml [--keywords 15]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from robot.api import ExecutionResult
from robot.result import Keyword, TestCase, TestSuite


def seconds(item) -> float:
    return item.elapsed_time.total_seconds()


def keywords(item) -> Iterator[Keyword]:
    """Every keyword under ``item`` (a suite's tests, setups, bodies, teardowns, control structures)."""
    children = [child for attr in ("setup", "teardown") if (child := getattr(item, attr, None))]
    children.extend(getattr(item, "body", ()))
    children.extend(getattr(item, "tests", ()))
    children.extend(getattr(item, "suites", ()))
    for child in children:
        if isinstance(child, Keyword):
            yield child
        yield from keywords(child)


def where(kw: Keyword) -> str:
    """The test or suite a keyword ran in."""
    owner = kw.parent
    while owner is not None and not isinstance(owner, (TestCase, TestSuite)):
        owner = owner.parent
    return owner.name if owner is not None else ""


def suites(suite: TestSuite) -> Iterator[TestSuite]:
    yield suite
    for child in suite.suites:
        yield from suites(child)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output_xml", type=Path)
    parser.add_argument("--keywords", type=int, default=15, help="how many of the slowest keywords to list")
    args = parser.parse_args(argv)
    result = ExecutionResult(str(args.output_xml))
    top = result.suite
    print(f"{'wall s':>8}  {'status':<6}  item")
    for suite in suites(top):
        if suite.setup:
            setup = suite.setup
            print(f"{seconds(setup):8.1f}  {setup.status:<6}  [用例集启程] {suite.name}: {setup.name}")
        for test in suite.tests:
            print(f"{seconds(test):8.1f}  {test.status:<6}  {test.name}")
        if suite.teardown:
            teardown = suite.teardown
            print(f"{seconds(teardown):8.1f}  {teardown.status:<6}  [用例集终程] {suite.name}: {teardown.name}")
    tests = list(top.all_tests)
    in_tests = sum(seconds(t) for t in tests)
    print(f"\n{seconds(top):8.1f}  total ({len(tests)} cases: {in_tests:.1f} s in cases, the rest setups/teardowns)")
    slow = sorted(keywords(top), key=seconds, reverse=True)
    # A keyword's time includes its children's: an outer keyword comes before the slow step inside it.
    print(f"\nslowest keywords (of {len(slow)}):")
    for kw in slow[: args.keywords]:
        print(f"{seconds(kw):8.1f}  {kw.name}  ({where(kw)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
