#!/usr/bin/env bash
# Scale benchmark: our `compact` against Prometheus 2.42's own compaction on node-exporter-like blocks of a
# given series count, with peak anonymous memory (RssAnon) of both processes and our peak heap.
#
#   benchmarks/scale.sh 20000          # two overlapping 2h blocks of 20k series each (generated once, cached)
#   benchmarks/scale.sh 500000         # the same at 500k series
#   XMX=64m benchmarks/scale.sh 100000 # our heap (default 64m); XMS= its initial size (default 16m, as the CronJob)
#   GENERATE_ONLY=1 benchmarks/scale.sh 1000000   # only build the cached blocks
#   DOWNSAMPLE=1 benchmarks/scale.sh 20000        # raw -> 5m of one 2-day block of 20k series instead
#   DOWNSAMPLE=1 HOURS=528 benchmarks/scale.sh 2000  # 22 days: also a 14d block, downsampled to 5m and then 1h
#   DOWNSAMPLE=1 HOURS=528 STEP=1 benchmarks/scale.sh 20  # the same, 20 series scraped every second (long series)
#   BUCKET=s3 benchmarks/scale.sh 100000          # the bucket on S3 (S3Proxy, a local process) instead of FILESYSTEM
#   BUCKET=s3 PART_SIZE=16777216 ...               # its objstore part_size (default: the objstore default, 64 MiB)
#   BUCKET=s3 S3_CONFIG='send_content_md5: false' ... # more lines of its objstore config, one per line
#   LABELS=unique STEP=600 benchmarks/scale.sh 1000000  # a distinct label value per series (gen_unique_openmetrics.py)
#   BLOCKS=64 OFFSET_MS=900 benchmarks/scale.sh 2000     # 64 overlapping replicas (default 2), 0.9 s apart
#   COMPACT_ARGS="--compact.max-block-series=300000" benchmarks/scale.sh 1000000  # more compact flags: partitions
#   SHARDS=2 COMPACT_ARGS=... benchmarks/scale.sh 1000000  # two processes at once, one per shard (--shard.*)
#   BUCKET=s3 FAULTS=0.1 FAULT_SEED=7 benchmarks/scale.sh 200000  # the test suite's S3 fault proxy in front of S3Proxy
#       (503s, 500s after the work, cut bodies, stalls around a 5 s read timeout; needs `mvn test-compile`)
#   KILLS="4 9 12.5" ...                           # first runs SIGKILLed after 4, 9, 12.5 s; the measured run repairs
#   BUCKET=s3 IMAGE=tsdb-compactor:dev MEMORY=320m benchmarks/scale.sh 500000  # ours in the image, as the CronJob's
#       pod runs it (user 65532, read-only root, no capabilities, a memory limit of MEMORY, default 1g; the
#       image's archive; the data dir a directory of $WORK); the container's peak memory, page cache included,
#       is printed too
#
# Blocks: benchmarks/gen_node_openmetrics.py -> promtool tsdb create-blocks-from openmetrics, cached under
# $CACHE (default benchmarks/.cache, gitignored) by series count, blocks, step and offset.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SERIES=${1:-${SERIES:-20000}}
if [ "${DOWNSAMPLE:-0}" = 1 ]; then
  # One source, two days and two 2h blocks after them (the planner leaves out the newest block and any range
  # reaching past the next newest, as Prometheus's does): a first `compact --downsampling.disable` compacts the 2h blocks to 8h and 2d, the measured second
  # run downsamples the 2d block to 5m.
  BLOCKS=1; HOURS=${HOURS:-48}; PROM=0; CHECK=0
fi
BLOCKS=${BLOCKS:-2}              # overlapping replicas of the same series, OFFSET_MS apart
STEP=${STEP:-60}                 # scrape interval, seconds
OFFSET_MS=${OFFSET_MS:-15000}    # replica i scrapes i*OFFSET_MS later: the merge keeps every replica's samples
HOURS=${HOURS:-2}
CACHE=${CACHE:-$ROOT/benchmarks/.cache}
LABELS=${LABELS:-node}           # node: node-exporter-like series; unique: a distinct label value per series

command -v promtool >/dev/null || { echo "promtool is required" >&2; exit 1; }
if [ -n "${FAULTS:-}" ] && [ "${BUCKET:-filesystem}" != s3 ]; then
  echo "FAULTS is for an S3 bucket: add BUCKET=s3" >&2; exit 2
fi
if [ -n "${IMAGE:-}" ] && { [ "${BUCKET:-filesystem}" != s3 ] || [ -n "${KILLS:-}" ] || [ "${SHARDS:-1}" != 1 ]; }; then
  echo "IMAGE is for one run on an S3 bucket: add BUCKET=s3, without KILLS or SHARDS" >&2; exit 2
fi

# generate DIR SERIES FROM_H TO_H OFFSET_MS: promtool blocks into DIR, in slabs of at most 8h of input so the
# OpenMetrics file stays a few GB.
generate() {
  local dir=$1 n=$2 from=$3 to=$4 off=$5 h om
  mkdir -p "$dir.tmp"
  for ((h = from; h < to; h += 8)); do
    om="$dir.tmp/in.om"
    python3 "$ROOT/benchmarks/gen_${LABELS}_openmetrics.py" "$n" "$h" "$(( h + 8 < to ? h + 8 : to ))" "$STEP" "$off" 1 > "$om"
    promtool tsdb create-blocks-from openmetrics -q "$om" "$dir.tmp" >/dev/null
    rm -f "$om"
  done
  mv "$dir.tmp" "$dir"
}

set_of_blocks() {
  local set="$CACHE/$LABELS-$SERIES-b$BLOCKS-h$HOURS-s$STEP-o$OFFSET_MS" i t0
  if [ ! -d "$set/done" ]; then
    for ((i = 0; i < BLOCKS; i++)); do
      [ -d "$set/r$i" ] && continue
      t0=$(date +%s)
      generate "$set/r$i" "$SERIES" 0 "$HOURS" $(( i * OFFSET_MS ))
      echo "generated $set/r$i in $(( $(date +%s) - t0 ))s" >&2
    done
    mkdir -p "$set/done"
  fi
  if [ "${DOWNSAMPLE:-0}" = 1 ] && [ ! -d "$set/tail" ]; then
    generate "$set/tail" "$SERIES" "$HOURS" $(( HOURS + 4 )) 0
  fi
  echo "$set"
}

SET=$(set_of_blocks)
[ "${GENERATE_ONLY:-0}" = 1 ] && { du -sh "$SET"/r*; exit 0; }

JAR=$ROOT/target/tsdb-compactor.jar
[ -f "$JAR" ] || mvn -o -q -B package -DskipTests
command -v prometheus >/dev/null || { echo "prometheus is required" >&2; exit 1; }
WORK=${WORK:-/tmp/tsdbc-scale-$SERIES}
XMX=${XMX:-64m}
# The CronJob's initial heap (-Xms16m): the old generation grows only when a full collection cannot make room.
XMS=${XMS:-16m}
# Our JVM: a fixed heap plus bounded non-heap (see benchmarks/README.md, "Memory"); override with JAVA_OPTS.
# The CronJob's young generation: 8 MB, with survivor spaces big enough for a compaction's working set
# (SurvivorRatio=3; benchmarks/README.md, "Survivor spaces").
# The CronJob's JIT: C2 alone with one compiler thread. C1 alone (-XX:TieredStopAtLevel=1) uses about 12 MB less
# beside the heap and about 40% more time on big blocks. The CronJob's class data sharing archive is mapped where
# it was dumped (ArchiveRelocationMode=0) rather than at a random address: relocating it writes to every page, which
# turns the whole archive into anonymous memory (benchmarks/README.md, "On S3, and class data sharing for the S3
# path").
JAVA_OPTS=${JAVA_OPTS:-"-Xmn8m -XX:SurvivorRatio=3 -XX:+UseSerialGC -XX:-TieredCompilation -XX:CICompilerCount=1 -Xss512k -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=24m -XX:MaxDirectMemorySize=16m -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0"}
# Class data sharing, as the image does it (Dockerfile, src/main/docker/cds-training.sh): training runs with the
# same JVM flags (the demo, an S3 client meeting a refused connection, a compaction on S3Proxy) record the classes a
# run loads into an archive, made again whenever the jar is newer; CDS=0 runs without it. The flags matter: a C1-only run with an
# archive trained under the default tiered JIT downsampled 2.5 times slower (benchmarks/README.md, "Class data
# sharing"). JAVA=/path/to/bin/java measures another JVM. From JDK 25 on (JEP 514, 515) a training run of the demo
# makes an AOT cache instead: the classes loaded and linked, and the methods' profiles, so the JIT compiles the hot
# loops earlier.
JAVA=${JAVA:-java}
JAVA_FEATURE=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
JAVA_FEATURE=${JAVA_FEATURE:-0}
if [ -n "${IMAGE:-}" ]; then
  JAVA_OPTS="$JAVA_OPTS -XX:SharedArchiveFile=/opt/tsdb-compactor/tsdb-compactor.jsa"   # the image's own archive
elif [ "${CDS:-1}" = 1 ]; then
  key=$(echo "$JAVA $JAVA_OPTS" | cksum | cut -d' ' -f1)
  if [ "${JAVA_FEATURE%%.*}" -ge 25 ]; then
    CDS_ARCHIVE=$CACHE/tsdb-compactor-$key.aot; use="-XX:AOTCache=$CDS_ARCHIVE"
  else
    CDS_ARCHIVE=$CACHE/tsdb-compactor-$key-s3real.jsa; use="-XX:SharedArchiveFile=$CDS_ARCHIVE"
  fi
  if [ ! -f "$CDS_ARCHIVE" ] || [ "$JAR" -nt "$CDS_ARCHIVE" ]; then
    if [ "${JAVA_FEATURE%%.*}" -ge 25 ]; then
      rm -f "$CDS_ARCHIVE"; training=$(mktemp -d)
      # shellcheck disable=SC2086
      "$JAVA" -Xmx256m $JAVA_OPTS -XX:AOTCacheOutput="$CDS_ARCHIVE" -jar "$JAR" compact --demo \
        --data-dir="$training/data" > "$training/log" 2>&1 || { cat "$training/log" >&2; exit 1; }
      rm -rf "$training"
    else
      # shellcheck disable=SC2086
      [ -f "$ROOT/benchmarks/target/benchmarks.jar" ] \
        || { echo "the archive's training needs benchmarks/target/benchmarks.jar (mvn -f benchmarks/pom.xml package)" >&2; exit 1; }
      JAVA=$JAVA S3_SERVER_JAR=$ROOT/benchmarks/target/benchmarks.jar \
        "$ROOT/src/main/docker/cds-training.sh" "$JAR" "$CDS_ARCHIVE" -Xmx256m $JAVA_OPTS >/dev/null
    fi
  fi
  JAVA_OPTS="$JAVA_OPTS $use"
fi
rm -rf "$WORK"; mkdir -p "$WORK"
echo "blocks: $SET ($(du -sh "$SET" | cut -f1)); work dir: $WORK; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# peak_rss_anon PID OUT: samples RssAnon (kB) of PID every 50 ms until it exits; writes the peak to OUT, and
# the CPU seconds (user + system, all threads) last seen to OUT.cpu. CPU time is what to compare on a busy
# machine, where wall time mostly measures the wait for a core. Every sample also appends each thread's
# /proc stat line to OUT.threads, for thread_cpu.
peak_rss_anon() {
  local pid=$1 out=$2 peak=0 v c tck
  tck=$(getconf CLK_TCK)
  while v=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null) && [ -n "$v" ]; do
    [ "$v" -gt "$peak" ] && peak=$v
    c=$(awk -v t="$tck" '{print ($14 + $15) / t}' "/proc/$pid/stat" 2>/dev/null) && [ -n "$c" ] && echo "$c" > "$out.cpu"
    cat /proc/"$pid"/task/*/stat >> "$out.threads" 2>/dev/null || true
    echo "$peak" > "$out"
    sleep 0.05
  done
}

# thread_cpu OUT.threads: the CPU seconds of the busiest threads, user + system, each thread as last sampled,
# threads of one pool (a name ending in its number) summed. User and system apart tell the code's cost from the
# kernel's: on this machine the same write(2)s cost 0.4 s or 1.6 s of system time depending on the work directory
# (benchmarks/README.md, "The JIT at each size, again; a column kernel; inlining; the work directory").
thread_cpu() {
  [ -s "$1" ] || return 0
  awk -v t="$(getconf CLK_TCK)" '
    { p = index($0, "("); q = length($0); while (substr($0, q, 1) != ")") q--
      name[$1] = substr($0, p + 1, q - p - 1); split(substr($0, q + 2), f, " "); u[$1] = f[12]; s[$1] = f[13] }
    END { for (id in name) { n = name[id]; sub(/[0-9]+$/, "#", n); U[n] += u[id] / t; S[n] += s[id] / t }
          for (n in U) printf "%.2f\t%s %.2f + %.2f\n", U[n] + S[n], n, U[n], S[n] }' "$1" |
    sort -rn | head -5 | cut -f2 | paste -sd';' | sed 's/;/; /g; s/^/  threads, CPU s user + system: /' || true
}

# ---- ours: `compact` once on a bucket holding the blocks (replica label r0, r1; dropped by
# --deduplication.replica-label, so the blocks overlap in one group and are merged vertically). FILESYSTEM by
# default; BUCKET=s3: S3Proxy in a process of its own (its CPU is printed, not counted as ours), serving the
# directory the blocks are copied into (jclouds' filesystem store: bucket "scale" is $WORK/s3/scale).
if [ "${BUCKET:-filesystem}" = s3 ]; then BDIR=$WORK/s3/scale; else BDIR=$WORK/bucket; fi
mkdir -p "$BDIR" "$WORK/data"
for ((i = 0; i < BLOCKS; i++)); do
  for b in "$SET/r$i"/*/ $([ "${DOWNSAMPLE:-0}" = 1 ] && echo "$SET"/tail/*/); do
    u=$(basename "$b"); cp -r "$b" "$BDIR/$u"
    python3 - "$BDIR/$u/meta.json" "$i" <<'PY'
import json, sys
p, r = sys.argv[1:3]
m = json.load(open(p))
m["thanos"] = {"labels": {"cluster": "scale", "replica": r}, "downsample": {"resolution": 0},
               "source": "sidecar", "index_stats": {}, "upload_time": "0001-01-01T00:00:00Z"}
json.dump(m, open(p, "w"), indent="\t")
PY
  done
done
if [ "${BUCKET:-filesystem}" = s3 ]; then
  BENCH_JAR=$ROOT/benchmarks/target/benchmarks.jar
  [ -f "$BENCH_JAR" ] || { echo "BUCKET=s3 needs $BENCH_JAR (mvn -f benchmarks/pom.xml package)" >&2; exit 1; }
  java -Xmx1g -cp "$BENCH_JAR" io.tsdbcompactor.benchmarks.S3ProxyMain "$WORK/s3" "$WORK/s3.port" > "$WORK/s3proxy.log" 2>&1 &
  s3pid=$!
  trap 'kill $s3pid 2>/dev/null || true' EXIT
  for ((t = 0; t < 600; t++)); do [ -f "$WORK/s3.port" ] && break; kill -0 $s3pid || break; sleep 0.1; done
  [ -f "$WORK/s3.port" ] || { echo "S3Proxy did not start:" >&2; cat "$WORK/s3proxy.log" >&2; exit 1; }
  printf 'type: S3\nconfig:\n  bucket: scale\n  endpoint: 127.0.0.1:%s\n  region: us-east-1\n  access_key: test-access-key\n  secret_key: test-secret-Zq8uTT2mVb1x\n  insecure: true\n%s' \
    "$(cat "$WORK/s3.port")" "$([ -n "${PART_SIZE:-}" ] && printf '  part_size: %s\n' "$PART_SIZE")" > "$WORK/objstore.yml"
  if [ -n "${S3_CONFIG:-}" ]; then printf '%s\n' "$S3_CONFIG" | sed 's/^/  /' >> "$WORK/objstore.yml"; fi
  if [ -n "${FAULTS:-}" ]; then
    # The fault proxy between us and S3Proxy (test source set: bucket.S3FaultProxyMain); the client retries more and
    # gives up on a stalled response after 5 s (a 64 MiB part, proxied whole, takes about 1 s to answer).
    [ -d "$ROOT/target/test-classes" ] || { echo "FAULTS needs target/test-classes (mvn test-compile)" >&2; exit 1; }
    java -Xmx3g -cp "$ROOT/target/test-classes" io.tsdbcompactor.bucket.S3FaultProxyMain "$WORK/s3.port" \
      "$WORK/fault.port" "$FAULTS" "${FAULT_SEED:-1}" > "$WORK/faults.log" 2>&1 &
    fpid=$!
    trap 'kill $s3pid $fpid 2>/dev/null || true' EXIT
    for ((t = 0; t < 600; t++)); do [ -f "$WORK/fault.port" ] && break; kill -0 $fpid || break; sleep 0.1; done
    [ -f "$WORK/fault.port" ] || { echo "the fault proxy did not start:" >&2; cat "$WORK/faults.log" >&2; exit 1; }
    sed -i "s/^  endpoint: .*/  endpoint: 127.0.0.1:$(cat "$WORK/fault.port")/" "$WORK/objstore.yml"
    printf '  max_retries: 10\n  http_config:\n    response_header_timeout: 5s\n' >> "$WORK/objstore.yml"
  fi
else
  printf 'type: FILESYSTEM\nconfig:\n  directory: %s\n' "$BDIR" > "$WORK/objstore.yml"
fi
# s3proxy_cpu: the S3 server's CPU seconds so far (0 without one).
s3proxy_cpu() {
  if [ -n "${s3pid:-}" ]; then awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15) / t}' "/proc/$s3pid/stat"; else echo 0; fi
}
if [ "${DOWNSAMPLE:-0}" = 1 ]; then
  echo "compacting the 2h blocks to a 2d block first (not measured)"
  java -Xmx256m -XX:+UseSerialGC -jar "$JAR" compact --objstore.config-file="$WORK/objstore.yml" \
    --data-dir="$WORK/data" --consistency-delay=0s --delete-delay=0s --downsampling.disable ${COMPACT_ARGS:-} \
    > "$WORK/prepare.log" 2>&1
  rm -rf "$WORK/data"; mkdir -p "$WORK/data"
fi
# KILLS="a b ...": runs SIGKILLed after a, b, ... seconds before the measured run, which must repair what they left.
for k in ${KILLS:-}; do
  "$JAVA" -Xmx"$XMX" -Xms"$XMS" $JAVA_OPTS -jar "$JAR" compact --objstore.config-file="$WORK/objstore.yml" \
    --data-dir="$WORK/data" --consistency-delay=0s --deduplication.replica-label=replica --delete-delay=0s \
    ${COMPACT_ARGS:-} > "$WORK/killed-$k.log" 2>&1 &
  kp=$!
  sleep "$k"
  if kill -9 $kp 2>/dev/null; then echo "run SIGKILLed after $k s"; else echo "run ended before its kill at $k s"; fi
  wait $kp 2>/dev/null || true
done
s3cpu0=$(s3proxy_cpu)
# SHARDS=N: N processes at once, one per shard (--shard.total/--shard.index, as the Indexed Job's pods), each with
# its own data dir: time is the last one's end, RssAnon and heap the biggest process's, CPU their sum.
SHARDS=${SHARDS:-1}
t0=$(date +%s.%N)
pids=(); samplers=()
for ((i = 0; i < SHARDS; i++)); do
  if [ "$SHARDS" = 1 ]; then sfx=""; shard_args=""; else sfx="-$i"; shard_args="--shard.total=$SHARDS --shard.index=$i"; fi
  mkdir -p "$WORK/data$sfx"
  if [ -n "${IMAGE:-}" ]; then
    # The pod's restrictions (cronjob/base); the host's network, to reach S3Proxy on 127.0.0.1. The JVM is the
    # container's first process, so its RssAnon is sampled from the host's /proc as a local one's would be.
    mkdir -p "$WORK/logs"; chown 65532:65532 "$WORK/data" "$WORK/logs"
    # shellcheck disable=SC2086
    cid=$(docker run -d --network host --user 65532:65532 --read-only --cap-drop ALL \
      --security-opt no-new-privileges --memory "${MEMORY:-1g}" --tmpfs /tmp:rw,exec,uid=65532,gid=65532 \
      --mount type=bind,source="$WORK/data",target=/data --mount type=bind,source="$WORK/logs",target=/logs \
      --mount type=bind,source="$WORK/objstore.yml",target=/etc/thanos/objstore.yml,readonly \
      --entrypoint java "$IMAGE" -Xmx"$XMX" -Xms"$XMS" $JAVA_OPTS -XX:+ExitOnOutOfMemoryError \
      -Xlog:gc:file=/logs/gc.log -jar /opt/tsdb-compactor/tsdb-compactor.jar compact \
      --objstore.config-file=/etc/thanos/objstore.yml --data-dir=/data --consistency-delay=0s \
      --deduplication.replica-label=replica --delete-delay=0s ${COMPACT_ARGS:-})
    peak_rss_anon "$(docker inspect -f '{{.State.Pid}}' "$cid")" "$WORK/ours.rss" &
    samplers+=($!)
    # The cgroup's own peak (cgroup v1), read until the container's cgroup goes with it.
    cgroup=/sys/fs/cgroup/memory/docker/$(docker inspect -f '{{.Id}}' "$cid")
    echo 0 > "$WORK/container.peak"
    (while v=$(cat "$cgroup/memory.max_usage_in_bytes" 2>/dev/null); do echo "$v" > "$WORK/container.peak"; sleep 0.05; done) &
    samplers+=($!)
    container_rc=$(docker wait "$cid")
    docker logs "$cid" > "$WORK/ours.log" 2>&1
    # The container's own run, from its process's start to its exit (the docker commands around it excluded).
    container_s=$(docker inspect -f '{{.State.StartedAt}} {{.State.FinishedAt}}' "$cid" \
      | python3 -c 'import sys, datetime as d; a, b = (d.datetime.fromisoformat(t[:26].rstrip("Z")) for t in sys.stdin.read().split()); print((b - a).total_seconds())')
    docker rm "$cid" > /dev/null
    cp "$WORK/logs/gc.log" "$WORK/gc.log"
    [ "$container_rc" = 0 ] || pids+=(fail)
    continue
  fi
  # shellcheck disable=SC2086
  "$JAVA" -Xmx"$XMX" -Xms"$XMS" $JAVA_OPTS -XX:+ExitOnOutOfMemoryError -Xlog:gc:file="$WORK/gc$sfx.log" \
    -jar "$JAR" compact --objstore.config-file="$WORK/objstore.yml" --data-dir="$WORK/data$sfx" \
    --consistency-delay=0s --deduplication.replica-label=replica --delete-delay=0s $shard_args ${COMPACT_ARGS:-} \
    > "$WORK/ours$sfx.log" 2>&1 &
  pids+=($!)
  peak_rss_anon $! "$WORK/ours$sfx.rss" &
  samplers+=($!)
done
rc=0; for p in "${pids[@]}"; do if [ "$p" = fail ]; then rc=1; else wait "$p" || rc=$?; fi; done
t1=$(date +%s.%N)
for p in "${samplers[@]}"; do wait "$p" || true; done
[ -z "${IMAGE:-}" ] || container_peak=$(cat "$WORK/container.peak")
if [ "$SHARDS" != 1 ]; then
  cat "$WORK"/ours-*.log > "$WORK/ours.log"; cat "$WORK"/gc-*.log > "$WORK/gc.log"
  sort -n "$WORK"/ours-*.rss | tail -1 > "$WORK/ours.rss"
  cat "$WORK"/ours-*.rss.cpu | paste -sd+ | bc > "$WORK/ours.rss.cpu"
fi
if [ $rc != 0 ]; then echo "ours FAILED (exit $rc):" >&2; tail -20 "$WORK/ours.log" >&2; exit 1; fi
ours_s=$(echo "$t1 - $t0" | bc)
s3proxy_s=$(echo "$(s3proxy_cpu) - $s3cpu0" | bc)
ours_rss=$(( $(cat "$WORK/ours.rss") / 1024 ))
ours_cpu=$(cat "$WORK/ours.rss.cpu")
# Heap in use before each collection (SerialGC/G1 "Pause ... A->B(C)" lines): the peak the heap reached.
ours_heap=$(sed -n 's/.* \([0-9]*\)M->[0-9]*M([0-9]*M).*/\1/p' "$WORK/gc.log" | sort -n | tail -1)
gcs=$(grep -c 'Pause' "$WORK/gc.log" || true)
if [ "$SHARDS" != 1 ]; then
  # A sharded compaction's inputs are retired by the next run once every partition is in the bucket.
  java -Xmx256m -XX:+UseSerialGC -jar "$JAR" compact --objstore.config-file="$WORK/objstore.yml" \
    --data-dir="$WORK/data-finish" --consistency-delay=0s --deduplication.replica-label=replica --delete-delay=0s \
    ${COMPACT_ARGS:-} > "$WORK/finish.log" 2>&1 || { echo "the finishing run failed:" >&2; tail -20 "$WORK/finish.log" >&2; exit 1; }
  grep -o 'msg="[^"]*\(compacted\|deleted\|marked\)[^"]*"' "$WORK/finish.log" | head -5 | sed 's/^/  finishing run: /' || true
fi
grep -E 'level=(warn|error)' "$WORK/ours.log" || true
if [ -n "${fpid:-}" ]; then
  kill $fpid; wait $fpid 2>/dev/null || true; grep '^faults injected' "$WORK/faults.log" || true
  grep -o 'msg="s3 retries.*' "$WORK/ours.log" | sed 's/^/  /' || true
fi

if [ "${DOWNSAMPLE:-0}" = 1 ]; then
  echo
  echo "series=$SERIES ${HOURS}h at ${STEP}s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  printf "tsdb-compactor: %.2fs whole process (compaction to 2d and downsampling; %.1f s CPU), peak RssAnon %d MB, peak heap %s MB (-Xmx%s)\n" \
    "$ours_s" "$ours_cpu" "$ours_rss" "$ours_heap" "$XMX"
  [ -n "${s3pid:-}" ] && printf '  on S3 (S3Proxy, its own process: %.1f s CPU meanwhile)\n' "$s3proxy_s"
  [ -n "${IMAGE:-}" ] && printf '  in the image %s, memory limit %s: the container ran %.2f s; its peak memory %d MB (page cache included)\n' \
    "$IMAGE" "${MEMORY:-1g}" "$container_s" "$(( container_peak / 1048576 ))"
  grep -o 'download [0-9]* ms, downsample and verify [0-9]* ms, upload [0-9]* ms' "$WORK/ours.log" | sed 's/^/  /' || true
  [ "$SHARDS" = 1 ] && thread_cpu "$WORK/ours.rss.threads"
  # Each downsampling step, end to end from the bucket (download, downsample, verify, upload), by the log's
  # timestamps: from its start to the start of the next step; its input from the bucket's metas. The measured run
  # downsamples every raw block of 40 h or more (the first run did not downsample), and, when HOURS covers a
  # whole 14d range (HOURS=528 from T0), the 14d 5m block to 1h.
  python3 - "$WORK/ours.log" "$BDIR" <<'PY'
import datetime, json, os, re, sys
started = {}
for line in open(sys.argv[1]):
    m = re.match(r'ts=(\S+) .*msg="step started" step="?([^"]*)"?$', line.strip())
    if m:
        started.setdefault(m.group(2), datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00")))
metas = []
for u in os.listdir(sys.argv[2]):
    p = os.path.join(sys.argv[2], u, "meta.json")
    if os.path.exists(p):
        metas.append(json.load(open(p)))

def step(name, next_step, resolution, min_range_ms, what):
    a, b = started.get(name), started.get(next_step)
    n = sum(m["stats"]["numSamples"] for m in metas
            if m["thanos"]["downsample"]["resolution"] == resolution and m["maxTime"] - m["minTime"] >= min_range_ms)
    if not (a and b and n):
        return False
    s = (b - a).total_seconds()
    print("downsampling %s: %d %s in %.2fs end to end = %.1f M/s" % (name.split(" ", 1)[1], n, what, s, n / s / 1e6))
    return True

if not step("downsample raw -> 5m", "compact 5m", 0, 40 * 3600000, "raw samples (raw blocks of 40 h or more)"):
    sys.exit("no raw block of 40 h or more was downsampled (see %s)" % sys.argv[1])
step("downsample 5m -> 1h", "compact 1h", 300000, 10 * 86400000, "5m windows (5m blocks of 10 d or more)")
PY
  exit 0
fi

# ---- Prometheus 2.42 on a copy of the same blocks (PROM=0: skip it)
prom_s=0; prom_rss=0
if [ "${PROM:-1}" = 1 ]; then
mkdir -p "$WORK/prom"
for ((i = 0; i < BLOCKS; i++)); do cp -r "$SET/r$i"/[0-9A-Z]*/ "$WORK/prom/"; done
printf 'global:\n  scrape_interval: 1h\n' > "$WORK/prometheus.yml"
log="$WORK/prom.log"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prom" \
  --storage.tsdb.retention.time=100y --web.listen-address=127.0.0.1:${PORT:-0} >"$log" 2>&1 &
ppid_=$!
peak_rss_anon $ppid_ "$WORK/prom.rss" &
psampler=$!
# Prometheus compacts about a minute after start; stop it once its log has been quiet for 15 s after the
# first compaction (at most 20 minutes).
deadline=$(( $(date +%s) + 1200 )); last=""; quiet=0
while [ "$(date +%s)" -lt "$deadline" ]; do
  sleep 5
  n=$(grep -c 'msg="compact blocks"' "$log" || true)
  if [ "$n" -gt 0 ] && [ "$n" = "$last" ]; then quiet=$((quiet + 5)); else quiet=0; fi
  last=$n
  [ "$quiet" -ge 15 ] && break
  kill -0 $ppid_ 2>/dev/null || { echo "prometheus exited early:" >&2; tail -5 "$log" >&2; exit 1; }
done
prom_rss=$(( $(cat "$WORK/prom.rss") / 1024 ))
prom_cpu=$(cat "$WORK/prom.rss.cpu")
kill $ppid_; wait $ppid_ 2>/dev/null || true; wait $psampler 2>/dev/null || true
prom_s=$(grep 'msg="compact blocks"' "$log" | sed -n 's/.*duration=\([^ ]*\).*/\1/p' | python3 -c '
import re, sys
units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
print("%.3f" % sum(float(n) * units[u] for line in sys.stdin for n, u in re.findall(r"([0-9.]+)(ns|us|µs|ms|s|m|h)", line)))')
fi

# ---- correctness: promtool dump slices of input and output, promtool analyze of the output
if [ "${CHECK:-1}" = 1 ]; then
  mkdir -p "$WORK/check-in/wal" "$WORK/check-out/wal"
  for ((i = 0; i < BLOCKS; i++)); do cp -r "$SET/r$i"/[0-9A-Z]*/ "$WORK/check-in/"; done
  for m in "$BDIR"/*/meta.json; do
    d=$(dirname "$m"); [ -f "$d/deletion-mark.json" ] && continue; cp -r "$d" "$WORK/check-out/"
  done
  T0=1700006400000
  for slice in "0 300000" "3600000 3660000" "$(( HOURS * 3600000 - 300000 )) $(( HOURS * 3600000 ))"; do
    read -r a b <<<"$slice"
    promtool tsdb dump --min-time=$((T0 + a)) --max-time=$((T0 + b - 1)) "$WORK/check-in" > "$WORK/slice-in.txt"
    promtool tsdb dump --min-time=$((T0 + a)) --max-time=$((T0 + b - 1)) "$WORK/check-out" > "$WORK/slice-out.txt"
    if cmp -s "$WORK/slice-in.txt" "$WORK/slice-out.txt"; then
      echo "dump [$a, $b) ms after T0: equal ($(wc -l < "$WORK/slice-in.txt") samples)"
    else echo "dump [$a, $b) ms after T0: DIFFERS" >&2; exit 1; fi
  done
  rm -f "$WORK"/slice-*.txt
  for d in "$WORK"/check-out/*/; do
    u=$(basename "$d"); [[ "$u" =~ ^[0-9A-Z]{26}$ ]] || continue
    promtool tsdb analyze "$WORK/check-out" "$u" > "$WORK/analyze.txt" || { echo "analyze failed on $u" >&2; exit 1; }
    echo "promtool tsdb analyze $u: ok ($(sed -n "s/^Series: //p" "$WORK/analyze.txt") series)"
  done
fi

echo
echo "series=$SERIES blocks=$BLOCKS (${HOURS}h at ${STEP}s, replicas ${OFFSET_MS} ms apart); load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'tsdb-compactor: %.2fs whole process (%.1f s CPU), peak RssAnon %d MB, peak heap %s MB (-Xmx%s, %s collections)\n' \
  "$ours_s" "$ours_cpu" "$ours_rss" "$ours_heap" "$XMX" "$gcs"
[ -n "${s3pid:-}" ] && printf '  on S3 (S3Proxy, its own process: %.1f s CPU meanwhile)\n' "$s3proxy_s"
[ -n "${IMAGE:-}" ] && printf '  in the image %s, memory limit %s: the container ran %.2f s; its peak memory %d MB (page cache included)\n' \
  "$IMAGE" "${MEMORY:-1g}" "$container_s" "$(( container_peak / 1048576 ))"
grep -o 'download [0-9]* ms, merge.*' "$WORK/ours.log" | sed 's/^/  /' || true
[ "$SHARDS" = 1 ] && thread_cpu "$WORK/ours.rss.threads"
[ "${PROM:-1}" = 1 ] || exit 0
printf 'prometheus 2.42: %.2fs compacting (its log; %.1f s CPU for the whole process, start to stop), peak RssAnon %d MB\n' "$prom_s" "$prom_cpu" "$prom_rss"
printf 'ratios ours/prometheus: time %.2f (ours whole process / its compaction), CPU %.2f, RssAnon %.2f\n' \
  "$(echo "$ours_s / $prom_s" | bc -l)" "$(echo "$ours_cpu / $prom_cpu" | bc -l)" "$(echo "$ours_rss / $prom_rss" | bc -l)"
