#!/usr/bin/env bash
# The main job end to end on the bundled example (`make demo`): serve the sample LMS API on
# 127.0.0.1, infer its workload from the spec and a day of its production log, generate the
# test plan and scripts, run a compressed stress profile with k6 while sampling the service's
# resources, and write the report. The service is stopped however the script ends.
set -euo pipefail

BIN=${BIN:-.venv/bin}
OUT=${OUT:-demo-out}
SPEC=fixtures/lms/openapi.yaml
LOG=fixtures/lms/access.log.gz

mkdir -p "$OUT"
PORT=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE_URL="http://127.0.0.1:$PORT"

echo "== the sample service: a seeded database, served on $BASE_URL"
"$BIN/python" -m examples.lms seed --db "$OUT/lms.sqlite3" > /dev/null
"$BIN/python" -m examples.lms serve --db "$OUT/lms.sqlite3" --port "$PORT" > "$OUT/service.log" 2>&1 &
SERVICE=$!
trap 'kill "$SERVICE" 2> /dev/null || true; wait "$SERVICE" 2> /dev/null || true' EXIT
"$BIN/python" -m examples.lms wait --port "$PORT" || { echo "see $OUT/service.log" >&2; exit 1; }

echo "== spec: the operation catalog"
"$BIN/inferload" spec "$SPEC"
echo "== logs + model: workload.yaml from the spec and a day of access log"
"$BIN/inferload" infer --spec "$SPEC" --logs "$LOG" -o "$OUT/workload.yaml" --force
echo "== design + emit: test plan, k6 and Artillery scripts"
"$BIN/inferload" generate "$OUT/workload.yaml" --targets examples/lms/targets.yaml -o "$OUT/loadtest" --force

echo "== run: stress profile with k6, think times x0.02 and stages x0.05 (about two minutes)"
status=0
"$BIN/inferload" run "$OUT/loadtest" --tool k6 --profile stress --base-url "$BASE_URL" -o "$OUT/results" \
  --think-scale 0.02 --duration-scale 0.05 --users-csv examples/lms/users.csv \
  --target-pid "$SERVICE" --metrics-url "$BASE_URL/metrics" --force || status=$?
[ "$status" -le 1 ] || exit "$status"  # 1: thresholds crossed, which a stress run is meant to find

echo "== analyse: the report"
status=0
"$BIN/inferload" report "$OUT/results" -o "$OUT/report" --force || status=$?
[ "$status" -le 1 ] || exit "$status"

echo
echo "workload model:  $OUT/workload.yaml (reference: docs/workload.md)"
echo "test plan:       $OUT/loadtest/TEST-PLAN.md"
echo "scripts:         $OUT/loadtest/k6/script.js, $OUT/loadtest/artillery/script.yml"
echo "raw results:     $OUT/results/ (manifest.json, k6-points.json, resources.jsonl)"
echo "report:          $OUT/report/REPORT.md, $OUT/report/report.html, $OUT/report/report.json"
