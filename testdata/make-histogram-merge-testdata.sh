#!/usr/bin/env bash
# Regenerates testdata/blocks/histogram-overlap (two overlapping blocks of the same native-histogram series, as an
# HA pair of Prometheus 2.42 replicas writes them) and testdata/blocks/histogram-overlap-compacted (the block
# Prometheus 2.42 itself made by compacting those two vertically). The exporter runs in its "stable" mode: fixed
# bucket layouts, because 2.42's compactor appends merged histograms without checking their layout.
# Every wait polls with a deadline. Blocks get fresh ULIDs on each run.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v prometheus >/dev/null || { echo "prometheus not found: apt-get install -y prometheus" >&2; exit 1; }
SCRAPES=${SCRAPES:-150}
OUT=testdata/blocks/histogram-overlap
OUTC=testdata/blocks/histogram-overlap-compacted

mvn -o -q -B test-compile
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "timed out waiting for: $*" >&2; exit 1; fi
    sleep 0.2
  done
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

java -cp target/test-classes io.tsdbcompactor.chunk.NativeHistogramExporter "$TMP/exporter.port" stable &
PIDS+=($!)
wait_for 30 test -s "$TMP/exporter.port"
EXPORTER_PORT=$(cat "$TMP/exporter.port")

# start_prometheus NAME PORT [extra flags]: data in $TMP/NAME.
start_prometheus() {
  local name=$1 port=$2; shift 2
  cat > "$TMP/$name.yml" <<YAML
global:
  scrape_interval: 250ms
  scrape_timeout: 200ms
  external_labels: {replica: $name}
scrape_configs:
  - job_name: hist
    static_configs:
      - targets: ['127.0.0.1:$EXPORTER_PORT']
YAML
  prometheus --config.file="$TMP/$name.yml" --storage.tsdb.path="$TMP/$name" --storage.tsdb.retention.time=100y \
    --web.listen-address="127.0.0.1:$port" --web.enable-admin-api \
    --enable-feature=native-histograms --log.level=warn "$@" > "$TMP/$name.log" 2>&1 &
  PIDS+=($!)
}
PA=$(free_port); start_prometheus a "$PA"
PB=$(free_port); start_prometheus b "$PB"

scraped_enough() { [ "$(curl -sf "http://127.0.0.1:$EXPORTER_PORT/scrapes")" -ge $(( 2 * SCRAPES )) ]; }
wait_for $(( SCRAPES / 2 + 90 )) scraped_enough

rm -rf "$OUT" "$OUTC"
mkdir -p "$OUT" "$OUTC" "$TMP/c"
for p in "$PA" "$PB"; do
  SNAP=$(curl -sf -XPOST "http://127.0.0.1:$p/api/v1/admin/tsdb/snapshot" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["name"])')
  for d in "$TMP"/*/snapshots/"$SNAP"/*/; do cp -r "$d" "$OUT/"; cp -r "$d" "$TMP/c/"; done
done
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
PIDS=()

# A third Prometheus over the two blocks: its compaction loop (every minute) merges overlapping blocks.
PC=$(free_port)
cat > "$TMP/c.yml" <<YAML
global:
  scrape_interval: 1h
YAML
prometheus --config.file="$TMP/c.yml" --storage.tsdb.path="$TMP/c" --storage.tsdb.retention.time=100y \
  --web.listen-address="127.0.0.1:$PC" --enable-feature=native-histograms --log.level=warn > "$TMP/c.log" 2>&1 &
PIDS+=($!)
compacted() { grep -l '"level": 2' "$TMP"/c/*/meta.json; }
wait_for 200 compacted
sleep 1 # the sources are deleted right after the new block is in place
kill "${PIDS[0]}"; wait 2>/dev/null || true; PIDS=()
cp -r "$(dirname "$(compacted)")" "$OUTC/"
ls -R "$OUT" "$OUTC"
du -sh "$OUT" "$OUTC"
