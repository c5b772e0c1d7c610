#!/usr/bin/env bash
# The project's tests: lint and format checks, then pytest (unit and embedded-lab integration tests).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
status=0
.venv/bin/ruff check libraries variables tests benchmarks || status=1
.venv/bin/ruff format --check libraries variables tests benchmarks || status=1
.venv/bin/robocop check resources suites tests/fixtures/robot || status=1
.venv/bin/robocop format --check resources suites tests/fixtures/robot || status=1
# Keyword documentation for every library and resource; fails naming undocumented keywords.
docs=$(mktemp -d)
bash scripts/make-docs.sh "$docs" >/dev/null || status=1
rm -rf "$docs"
.venv/bin/robot --dryrun --output NONE --log NONE --report NONE suites || status=1
# Two pytest workers, a test file each at a time (every integration module has a lab id of its own): the tests
# mostly wait (guests booting, SSH, timeouts; one worker kept the 2 cores 27 % busy, 344 s), two took 207 s
# at 49 % busy. Three took 163 s at 70 %: too close to starving a TCG guest when other labs share the machine.
# Files in collection order (--no-loadscope-reorder): xdist's default hands out the files with the most tests
# first, which leaves the few-test, guest-booting integration modules (test_aarch64, test_verdict_table, 60-90 s
# each) for the end, one worker idle meanwhile; integration first, then the many short unit files, fills both
# (2026-12-05: 329 s against 351-364 s, 585 s of worker time).
.venv/bin/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=15 tests || status=1
# The main job as a test: chapter 5.4 and 7.3, one after the other, on an embedded lab of their own, each
# judged against the record's verdict table (netvirt.verdicts): a case that came out otherwise, or is missing,
# fails the test command and is named. Robot's own status is not used: the record's FAIL cases must FAIL.
# A TCG guest can lock up (a kernel soft lockup: seen at load 14, and on a quiet machine in the guest's network
# receive path); the case it happened in fails, and the next starts by restarting the guest (VMLibrary's listener).
# The failed cases are run once more on a fresh lab (robot --rerunfailed) and judged as they came out there; both
# runs stay in the results, and this says so.
# Not side by side: that saved 1.5 of 15.6 minutes, but with 7.3's generator beside it (trafgen at nice -20, flat
# out on one core) and the two labs' PMDs on the other, a chapter guest stopped answering in one of three runs.
lab=${NETVIRT_TEST_CHAPTER_LAB:-nvcc}
for chapter in 5.4_网络虚拟化 7.3_虚拟层性能; do
  out=results/test-run/$chapter
  rm -rf "$out"
  .venv/bin/robot -V "variables/embedded_lab.py:$lab" -d "$out" --console dotted "suites/$chapter"
  .venv/bin/python benchmarks/chapter_times.py --keywords 0 "$out/output.xml" | grep " total ("
  if ! .venv/bin/python -m netvirt.verdicts --complete "$out/output.xml"; then
    echo "run-tests: $chapter 与记录的结果表不符；失败的用例在新的实验环境上重跑一次（见 $out/rerun），按重跑的结果判定" >&2
    .venv/bin/robot -V "variables/embedded_lab.py:$lab" -d "$out/rerun" --console dotted \
      --rerunfailed "$out/output.xml" "suites/$chapter"
    .venv/bin/python -m netvirt.verdicts --complete "$out/output.xml" --rerun "$out/rerun/output.xml" || status=1
  fi
done
exit $status
