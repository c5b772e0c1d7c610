#!/usr/bin/env bash
# Main job: set up the machine, then run chapter 5.4 on the embedded lab (results in results/).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
.venv/bin/robot "$@" suites/5.4_网络虚拟化
