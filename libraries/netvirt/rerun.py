"""A chapter's failed cases run once more when the lab lost a guest, and the two runs made one.

    python -m netvirt.rerun wanted results/output.xml
    python -m netvirt.rerun merge results/output.xml results/rerun/output.xml

A case in which a guest of the lab stopped answering (``health.GUEST_SILENT``: the embedded lab's TCG guests
locked up now and then before their timestamp holder, ``netvirt.embedded.guestboot``) is not judged by that
alone: the hang may be the emulator's or the product's, and running the case again tells which, the first
failure staying in its message. The test that starts next restarts the guest (VMLibrary), and ``run-chapter.sh``
runs the failed cases once more on a fresh lab (``robot --rerunfailed``). ``wanted`` says whether to: a test
carries that tag and the run departs from the record's verdict table (``netvirt.verdicts``). ``merge`` puts each
rerun test in place of the first run's, as it came out there (a SKIP too: an inconclusive rerun is inconclusive;
``rebot --merge`` would keep the first result), its message ending with a ``【重跑】`` line quoting the first run's
status and message, and the tag ``rerun``: the log, the report and the test record all say so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from robot.api import ExecutionResult
from robot.errors import DataError

from netvirt import health, verdicts

TAG = "rerun"
MARK = "【重跑】"


def wanted(output_xml: Path) -> str | None:
    """Why the failed cases of the run in ``output_xml`` are to be run once more, or None when not."""
    result = ExecutionResult(str(output_xml))
    lost = [t.name for t in result.suite.all_tests if t.failed and health.GUEST_SILENT in t.tags]
    if not lost:
        return None
    outcomes, _, _, _ = verdicts.check(output_xml)
    departed = [o.name for o in outcomes if not o.as_expected]
    if not departed:
        return None
    return (
        f"失败时实验环境中有虚拟机不应答的用例：{'；'.join(lost)}（标签 {health.GUEST_SILENT}）；"
        f"与记录的结果表不符的用例：{'；'.join(departed)}"
    )


def merge(first_xml: Path, rerun_xml: Path, out: Path) -> list[str]:
    """The first run with each test of the rerun in place of its first result, saved to ``out``; the names of
    the tests replaced. A rerun test the first run does not have is an error (not a rerun of that run)."""
    result = ExecutionResult(str(first_xml))
    again = {test.full_name: test for test in ExecutionResult(str(rerun_xml)).suite.all_tests}
    first = {test.full_name: test for test in result.suite.all_tests}
    strangers = sorted(set(again) - set(first))
    if strangers:
        raise ValueError(f"{rerun_xml} 中有 {first_xml} 没有的用例：{'；'.join(strangers)}")
    for name, new in again.items():
        old = first[name]
        said = " | ".join(old.message.splitlines()) or "（没有消息）"
        note = (
            f"{MARK}第一次运行 {old.status}，失败的用例在新的实验环境上重跑了一次，本用例的结果是重跑的结果；"
            f"第一次运行的消息：{said}"
        )
        new.message = f"{new.message}\n{note}" if new.message else note
        new.tags.add(TAG)
        tests = old.parent.tests
        tests[tests.index(old)] = new
    result.save(str(out))
    return sorted(again)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netvirt.rerun", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("wanted", help="退出码 0（并说明原因）：应当重跑失败的用例；1：不必重跑")
    ask.add_argument("output_xml", type=Path)
    join = commands.add_parser("merge", help="把重跑的结果合并进第一次运行的 output.xml（原地改写）")
    join.add_argument("output_xml", type=Path, help="第一次运行的 output.xml：合并后的结果写回这里")
    join.add_argument("rerun_xml", type=Path, help="robot --rerunfailed 的 output.xml")
    args = parser.parse_args(argv)
    try:
        if args.command == "wanted":
            reason = wanted(args.output_xml)
            if reason:
                print(reason)
            return 0 if reason else 1
        names = merge(args.output_xml, args.rerun_xml, args.output_xml)
    except (ValueError, OSError, DataError) as error:
        print(f"rerun: {error}", file=sys.stderr)
        return 2
    print(f"rerun: {len(names)} 个用例按重跑的结果写入 {args.output_xml}：{'；'.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
