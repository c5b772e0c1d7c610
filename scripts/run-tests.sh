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
.venv/bin/python -m pytest -q tests || status=1
exit $status
