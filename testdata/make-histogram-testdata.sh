#!/usr/bin/env bash
# Regenerates testdata/blocks/histogram: a real block of native histograms written by Prometheus 2.42 itself.
# A test-only exporter (src/test/java/.../chunk/NativeHistogramExporter.java) serves native histograms over the
# protobuf exposition format; prometheus (--enable-feature=native-histograms) scrapes it every 250ms; after
# SCRAPES scrapes the exporter stops (Prometheus writes stale markers for every histogram series), the raw
# samples are recorded from /api/v1/query as the expected values, and the head is written out as a block by the
# admin snapshot API. Every wait polls with a deadline. The block gets a fresh ULID on each run.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v prometheus >/dev/null || { echo "prometheus not found: apt-get install -y prometheus" >&2; exit 1; }
SCRAPES=${SCRAPES:-170}
OUT=testdata/blocks/histogram
METRICS="test_hist_growing test_hist_neg test_hist_gauge test_fhist test_hist_vanish"

mvn -o -q -B test-compile
TMP=$(mktemp -d)
EXPORTER_PID=""; PROM_PID=""
cleanup() {
  [ -n "$EXPORTER_PID" ] && kill "$EXPORTER_PID" 2>/dev/null || true
  [ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2s until it succeeds or the deadline passes.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "timed out waiting for: $*" >&2; exit 1; fi
    sleep 0.2
  done
}

java -cp target/test-classes io.tsdbcompactor.chunk.NativeHistogramExporter "$TMP/exporter.port" &
EXPORTER_PID=$!
wait_for 30 test -s "$TMP/exporter.port"
EXPORTER_PORT=$(cat "$TMP/exporter.port")
PROM_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cat > "$TMP/prometheus.yml" <<YAML
global:
  scrape_interval: 250ms
  scrape_timeout: 200ms
scrape_configs:
  - job_name: hist
    static_configs:
      - targets: ['127.0.0.1:$EXPORTER_PORT']
YAML
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-admin-api \
  --enable-feature=native-histograms --log.level=warn > "$TMP/prometheus.log" 2>&1 &
PROM_PID=$!
API="http://127.0.0.1:$PROM_PORT/api/v1"

scraped_enough() { [ "$(curl -sf "http://127.0.0.1:$EXPORTER_PORT/scrapes")" -ge "$SCRAPES" ]; }
wait_for $(( SCRAPES / 2 + 90 )) scraped_enough

# Stop the target: the next scrape fails and Prometheus appends a stale marker to every series it had.
kill "$EXPORTER_PID"; wait "$EXPORTER_PID" 2>/dev/null || true; EXPORTER_PID=""
target_down() { curl -sf "$API/query?query=up%7Bjob%3D%22hist%22%7D" | grep -q '"value":\[[0-9.]*,"0"\]'; }
wait_for 30 target_down
sleep 1 # let the failed scrape's stale markers commit (nothing else is appended to the histogram series)

NOW=$(date +%s)
# One query per metric: Prometheus 2.42 returns only one histogram series for a regex matcher over several.
for m in $METRICS; do
  curl -sf -G "$API/query" --data-urlencode "query=$m[1h]" --data-urlencode "time=$NOW" > "$TMP/q-$m.json"
done
SNAP=$(curl -sf -XPOST "$API/admin/tsdb/snapshot" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["name"])')
kill "$PROM_PID"; wait "$PROM_PID" 2>/dev/null || true; PROM_PID=""

rm -rf "$OUT"
mkdir -p "$OUT"
cp -r "$TMP/data/snapshots/$SNAP"/* "$OUT/"
# expected-histogram-query.json: {metric name: the /api/v1/query response for name[1h]}.
python3 - "$TMP" $METRICS > testdata/expected-histogram-query.json <<'PY'
import json, sys
tmp = sys.argv[1]
print(json.dumps({m: json.load(open(f"{tmp}/q-{m}.json")) for m in sys.argv[2:]}, indent=1))
PY
ls -R "$OUT"
du -sh "$OUT"
