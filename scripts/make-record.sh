#!/usr/bin/env bash
# The test record: a Markdown document in the acceptance record's own format, from a run's output.xml
# and the evidence the run wrote beside it (output.evidence.jsonl, netvirt.evidencefile; pabot: one per
# process under pabot_results/). An output.xml without it is refused, saying so.
#
#   bash scripts/make-record.sh                          # results/output.xml -> results/网络虚拟化测试记录.md
#   bash scripts/make-record.sh OUTPUT_XML [RECORD_MD]   # another run (robot or pabot), another file
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-$root/.venv/bin/python}
output=${1:-$root/results/output.xml}
args=("$output")
if [ $# -ge 2 ]; then
  args+=(-o "$2")
fi
PYTHONPATH="$root/libraries${PYTHONPATH:+:$PYTHONPATH}" exec "$PYTHON" -m netvirt.record "${args[@]}"
