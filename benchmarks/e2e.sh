#!/usr/bin/env bash
# End-to-end compaction benchmark: our compactor against Prometheus 2.42's own compaction, on the same
# promtool-made blocks.
#
#   benchmarks/e2e.sh            # 10k series, 16h of data at 120s, three groups
#   SERIES=2000 CHECK=1 benchmarks/e2e.sh   # smaller, and compare promtool dumps before/after
#   WORK=/tmp/x REUSE=1 OURS_ONLY=1 benchmarks/e2e.sh   # rerun on the blocks of an earlier run, ours only
#   RUNS=5 VERIFY=fast CONCURRENCY=2 benchmarks/e2e.sh  # best of 5 runs of ours; fast output check; 2 groups at once
#   PROM_RUNS=2 ...                                   # best of 2 Prometheus runs per group
#
# Groups (external label cluster=...; Prometheus gets one data dir per group):
#   a  40% of the series, two replicas (replica="0" on [0,16h), replica="1" on [6h,16h)) with the same
#      samples: their overlapping blocks are merged vertically, duplicates kept once
#   b  30%, two replicas 7s apart on [0,16h) and [0,10h): overlaps merged, both sample streams kept
#   c  30%, one source with a gap on [5h,9h)
# Both compactors run the same planner with Prometheus's ranges (2h, 6h, 18h, ... as Prometheus derives them
# from its default block durations), so they do the same compactions. Our time covers download from the
# filesystem bucket, merge, verification and upload, through the same code as `compact` (GroupCompactor,
# compact.BucketPort on sync.BlockTransfer and Markers); Prometheus's is the sum of its "compact blocks" durations.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SERIES=${SERIES:-10000}
STEP=${STEP:-120}
HOURS=${HOURS:-16}
XMX=${XMX:-512m}
CONCURRENCY=${CONCURRENCY:-1}   # --compact.concurrency: groups compacted at once
VERIFY=${VERIFY:-full}          # output check before upload: full (block.BlockVerifier) or fast
CHECK=${CHECK:-0}
PORT=${PORT:-19090}
WORK=${WORK:-$(mktemp -d /tmp/tsdbc-e2e.XXXXXX)}
RANGES=2h,6h,18h,54h,162h,486h

command -v promtool >/dev/null || { echo "promtool is required" >&2; exit 1; }
command -v prometheus >/dev/null || { echo "prometheus is required" >&2; exit 1; }
JAR=$ROOT/target/tsdb-compactor.jar
[ -f "$JAR" ] || mvn -o -q -B package -DskipTests
echo "work dir: $WORK"
mkdir -p "$WORK"/{import,bucket,prom,data,harness}
# The harness (benchmarks/src/.../CompactBucketHarness.java) drives the production compaction path of the jar.
javac -d "$WORK/harness" -cp "$JAR" "$ROOT/benchmarks/src/main/java/io/tsdbcompactor/benchmarks/CompactBucketHarness.java"

sa=$((SERIES * 4 / 10)); sb=$((SERIES * 3 / 10)); sc=$((SERIES - sa - sb))
# group replica series from_h to_h offset_ms seed
IMPORTS=(
  "a 0 $sa 0 $HOURS 0 1"
  "a 1 $sa 6 $HOURS 0 1"
  "b 0 $sb 0 $HOURS 0 2"
  "b 1 $sb 0 10 7000 2"
  "c 0 $sc 0 5 0 3"
  "c 1 $sc 9 $HOURS 0 3"
)
t_import=$(date +%s)
# REUSE=1 keeps the promtool blocks of an earlier run in $WORK/import and only rebuilds bucket and copies.
if [ "${REUSE:-0}" = 1 ]; then rm -rf "$WORK"/{bucket,bucket0,prom,data,check-*}; mkdir -p "$WORK"/{bucket,prom,data}; fi
for spec in "${IMPORTS[@]}"; do
  read -r g r n from to off seed <<<"$spec"
  dir="$WORK/import/$g-$r"
  if [ "${REUSE:-0}" != 1 ]; then
    om="$WORK/import/$g-$r.om"
    python3 "$ROOT/benchmarks/gen_e2e_openmetrics.py" "$n" "$from" "$to" "$STEP" "$off" "$seed" > "$om"
    promtool tsdb create-blocks-from openmetrics -q "$om" "$dir" >/dev/null
    rm -f "$om"
  fi
  mkdir -p "$WORK/prom/$g"
  for b in "$dir"/*/; do
    ulid=$(basename "$b")
    cp -r "$b" "$WORK/prom/$g/$ulid"
    cp -r "$b" "$WORK/bucket/$ulid"
    # Thanos section: external labels (group, replica); sidecar as source.
    python3 - "$WORK/bucket/$ulid/meta.json" "$g" "$r" <<'PY'
import json, sys
p, g, r = sys.argv[1:4]
m = json.load(open(p))
labels = {"cluster": g}
if g != "c":
    labels["replica"] = r
m["thanos"] = {"labels": labels, "downsample": {"resolution": 0}, "source": "sidecar",
               "index_stats": {}, "upload_time": "0001-01-01T00:00:00Z"}
json.dump(m, open(p, "w"), indent="\t")
PY
  done
done
nblocks=$(ls "$WORK/bucket" | wc -l)
cp -r "$WORK/bucket" "$WORK/bucket0" # pristine copy for repeated runs
echo "imported $nblocks blocks ($SERIES series, ${HOURS}h at ${STEP}s) in $(( $(date +%s) - t_import ))s"

if [ "$CHECK" = 1 ]; then
  for g in a b c; do
    mkdir -p "$WORK/prom/$g/wal"
    promtool tsdb dump "$WORK/prom/$g" > "$WORK/dump-in-$g.txt"
  done
fi

# ---- ours, RUNS times on fresh copies of the bucket (the machine is shared: the best run is reported)
echo "== tsdb-compactor"
ours=""
all_runs=""
for run in $(seq 1 "${RUNS:-1}"); do
  rm -rf "$WORK/bucket" "$WORK/data"; cp -r "$WORK/bucket0" "$WORK/bucket"; mkdir -p "$WORK/data"
  t0=$(date +%s.%N)
  ${TIME_CMD:-} java -Xmx"$XMX" ${JAVA_OPTS:-} -cp "$JAR:$WORK/harness" io.tsdbcompactor.benchmarks.CompactBucketHarness --bucket "$WORK/bucket" \
    --data-dir "$WORK/data" --replica-label replica --ranges "$RANGES" --concurrency "$CONCURRENCY" \
    --verification "$VERIFY" > "$WORK/ours-$run.txt" 2>&1
  t1=$(date +%s.%N)
  grep -v -e ' INFO ' -e 'level=info' "$WORK/ours-$run.txt" || true
  secs=$(sed -n 's/.*compaction_seconds=\([0-9.]*\).*/\1/p' "$WORK/ours-$run.txt")
  # GroupCompactor logs "download D ms, merge and verify M ms, upload U ms" per compaction (merge and verification
  # run as one pass since partitioned output).
  steps=$(grep -E 'download [0-9]+ ms, merge and verify' "$WORK/ours-$run.txt" \
    | sed 's/.*download \([0-9]*\) ms, merge and verify \([0-9]*\) ms, upload \([0-9]*\) ms.*/\1 \2 \3/' \
    | awk '{d+=$1;m+=$2;u+=$3} END {printf "download %.2fs, merge and verify %.2fs, upload %.2fs", d/1000, m/1000, u/1000}')
  echo "run $run: ${secs}s ($steps)"
  all_runs="$all_runs $secs"
  if [ -z "$ours" ] || [ "$(echo "$secs < $ours" | bc)" = 1 ]; then
    ours=$secs; ours_steps=$steps
    heap=$(sed -n 's/.*peak_heap_mb=\([0-9.]*\).*/\1/p' "$WORK/ours-$run.txt")
    ours_wall=$(echo "$t1 - $t0" | bc)
  fi
done

[ "${OURS_ONLY:-0}" = 1 ] && exit 0

# ---- Prometheus 2.42, one data dir per group
echo "== prometheus $(prometheus --version 2>&1 | head -1)"
printf 'global:\n  scrape_interval: 1h\n' > "$WORK/prometheus.yml"
prom_total=0
for g in a b c; do
  best=""
  for prun in $(seq 1 "${PROM_RUNS:-1}"); do
  log="$WORK/prom-$g-$prun.log"
  # A fresh copy of the group's promtool blocks for every run.
  rm -rf "$WORK/prom/$g"; mkdir -p "$WORK/prom/$g"
  for dir in "$WORK"/import/"$g"-*/; do cp -r "$dir"/[0-9A-Z]*/ "$WORK/prom/$g/"; done
  prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prom/$g" \
    --storage.tsdb.retention.time=100y --web.listen-address=127.0.0.1:$PORT >"$log" 2>&1 &
  pid=$!
  # Prometheus compacts about a minute after start; wait until its log has been quiet for 20s after the
  # first compaction, at most 10 minutes.
  deadline=$(( $(date +%s) + 600 )); last=""; quiet=0
  while [ "$(date +%s)" -lt "$deadline" ]; do
    sleep 5
    n=$(grep -c 'msg="compact blocks"' "$log" || true)
    if [ "$n" -gt 0 ] && [ "$n" = "$last" ]; then quiet=$((quiet + 5)); else quiet=0; fi
    last=$n
    [ "$quiet" -ge 20 ] && break
    kill -0 $pid 2>/dev/null || { echo "prometheus exited early:" >&2; tail -5 "$log" >&2; exit 1; }
  done
  kill $pid; wait $pid 2>/dev/null || true
  secs=$(grep 'msg="compact blocks"' "$log" | sed -n 's/.*duration=\([^ ]*\).*/\1/p' | python3 -c '
import re, sys
units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
total = 0.0
for line in sys.stdin:
    for num, unit in re.findall(r"([0-9.]+)(ns|us|µs|ms|s|m|h)", line.strip()):
        total += float(num) * units[unit]
print("%.3f" % total)')
  n=$(grep -c 'msg="compact blocks"' "$log" || true)
  echo "group $g run $prun: $n compactions, ${secs}s"
  if [ -z "$best" ] || [ "$(echo "$secs < $best" | bc)" = 1 ]; then best=$secs; fi
  done
  prom_total=$(echo "$prom_total + $best" | bc)
done

if [ "$CHECK" = 1 ]; then
  for g in a b c; do
    db="$WORK/check-$g"; mkdir -p "$db/wal"
    for m in "$WORK"/bucket/*/meta.json; do
      d=$(dirname "$m")
      [ -f "$d/deletion-mark.json" ] && continue
      grep -q "\"cluster\": \"$g\"" "$m" || continue
      cp -r "$d" "$db/"
    done
    promtool tsdb dump "$db" > "$WORK/dump-out-$g.txt"
    if cmp -s "$WORK/dump-in-$g.txt" "$WORK/dump-out-$g.txt"; then echo "group $g: dump equal"; else
      echo "group $g: DUMP DIFFERS" >&2; exit 1; fi
    for d in "$db"/*/; do
      u=$(basename "$d"); [[ "$u" =~ ^[0-9A-Z]{26}$ ]] || continue
      promtool tsdb analyze "$db" "$u" >/dev/null || { echo "analyze failed on $u" >&2; exit 1; }
    done
  done
fi

ratio=$(echo "scale=2; $prom_total / $ours" | bc)
echo
echo "series=$SERIES hours=$HOURS step=${STEP}s blocks=$nblocks"
echo "tsdb-compactor (concurrency $CONCURRENCY, verification $VERIFY): ${ours}s compacting, best of${all_runs}"
echo "  ($ours_steps; ${ours_wall}s with JVM start), peak heap ${heap} MB (-Xmx$XMX)"
echo "prometheus 2.42: ${prom_total}s compacting (sum over groups of each group's best of ${PROM_RUNS:-1})"
echo "speed-up (prometheus / ours): ${ratio}x"
