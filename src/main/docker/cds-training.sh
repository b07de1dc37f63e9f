#!/bin/sh
# Makes the class data sharing archive the image starts with (Dockerfile) and benchmarks/scale.sh measures with.
#
#   src/main/docker/cds-training.sh JAR ARCHIVE [JVM flags of the training runs...]
#   JAVA=/path/to/bin/java src/main/docker/cds-training.sh ...    # another JVM than the one on the PATH
#   S3_SERVER_JAR=benchmarks/target/benchmarks.jar src/main/docker/cds-training.sh ...   # train on a real S3 server
#
# Training runs record the classes they load (-XX:DumpLoadedClassList), and their lists make one static archive
# (-Xshare:dump) for the classpath `-jar JAR` gives, so later starts map those classes read-only instead of loading,
# parsing and verifying them. The runs:
# - `compact --demo`, which compacts, downsamples and cleans a generated FILESYSTEM bucket;
# - a `compact` against an S3 endpoint that refuses the connection (127.0.0.1:1), which builds the AWS SDK's
#   client, signs a listing request, sends it and handles the failure: no S3 server needed;
# - with S3_SERVER_JAR (a jar holding io.tsdbcompactor.benchmarks.S3ProxyMain, as the benchmarks module's does),
#   a `compact` of a generated bucket on S3Proxy, started here on 127.0.0.1: listing, downloads, uploads, markers
#   and deletions through the SDK, whose response handling the refused connection never reaches. (The demo's block
#   files are smaller than a part, so multipart uploads are not recorded; their few classes load when first used.)
#   The image build runs it (the Dockerfile mounts the jar for that step only).
# An S3 run starts about 0.5 s sooner with the first two lists than with the demo's alone, and the third takes 2-7 MB
# off its peak anonymous memory (benchmarks/README.md, "On S3, and class data sharing for the S3 path", "Training
# the archive on a real S3 server"). Runs with another JVM, or with the jar changed, cannot use the archive; the JVM
# then starts without it and says nothing (-Xlog:cds says why; -Xshare:on refuses to start instead).
set -eu
[ $# -ge 2 ] || { echo "usage: $0 JAR ARCHIVE [JVM flags...]" >&2; exit 2; }
jar=$1
archive=$2
shift 2
java=${JAVA:-java}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$java" "$@" -XX:DumpLoadedClassList="$work/demo.classes" -jar "$jar" compact --demo --data-dir="$work/demo" \
  > "$work/demo.log" 2>&1 || { cat "$work/demo.log" >&2; echo "$0: the demo training run failed" >&2; exit 1; }

printf 'type: S3\nconfig:\n  bucket: cds-training\n  endpoint: 127.0.0.1:1\n  region: us-east-1\n  access_key: training\n  secret_key: training\n  insecure: true\n' \
  > "$work/s3.yml"
if "$java" "$@" -XX:DumpLoadedClassList="$work/s3.classes" -jar "$jar" compact \
    --objstore.config-file="$work/s3.yml" --data-dir="$work/s3" > "$work/s3.log" 2>&1; then
  echo "$0: the S3 training run was to fail on a refused connection, and succeeded" >&2; exit 1
fi
grep -q 'connection refused' "$work/s3.log" \
  || { cat "$work/s3.log" >&2; echo "$0: the S3 training run failed otherwise than on a refused connection" >&2; exit 1; }

lists="$work/demo.classes $work/s3.classes"
if [ -n "${S3_SERVER_JAR:-}" ]; then
  "$java" -Xmx256m -cp "$S3_SERVER_JAR" io.tsdbcompactor.benchmarks.S3ProxyMain "$work/s3proxy" "$work/s3proxy.port" \
    > "$work/s3proxy.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
  i=0
  while [ ! -f "$work/s3proxy.port" ] && kill -0 $server 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
  [ -f "$work/s3proxy.port" ] || { cat "$work/s3proxy.log" >&2; echo "$0: S3Proxy did not start" >&2; exit 1; }
  mkdir -p "$work/s3proxy/training"
  # S3ProxyMain's keys (those of the tests' S3ProxyServer).
  printf 'type: S3\nconfig:\n  bucket: training\n  endpoint: 127.0.0.1:%s\n  region: us-east-1\n  access_key: %s\n  secret_key: %s\n  insecure: true\n' \
    "$(cat "$work/s3proxy.port")" test-access-key test-secret-Zq8uTT2mVb1x > "$work/s3proxy.yml"
  # A fresh demo bucket of four days (a dry run generates it and changes nothing; four days make a 2d block to
  # downsample), copied to S3 unrecorded; then the recorded run.
  "$java" "$@" -jar "$jar" compact --demo --demo.days=4 --dry-run --data-dir="$work/gen" > "$work/gen.log" 2>&1 \
    && "$java" "$@" -jar "$jar" tools bucket replicate --single-run \
      --objstore.config="$(printf 'type: FILESYSTEM\nconfig:\n  directory: %s\n' "$work/gen/demo-bucket")" \
      --objstore-to.config-file="$work/s3proxy.yml" >> "$work/gen.log" 2>&1 \
    || { cat "$work/gen.log" >&2; echo "$0: copying the demo bucket to S3Proxy failed" >&2; exit 1; }
  "$java" "$@" -XX:DumpLoadedClassList="$work/s3real.classes" -jar "$jar" compact \
    --objstore.config-file="$work/s3proxy.yml" --data-dir="$work/s3real" --consistency-delay=0s --delete-delay=0s \
    > "$work/s3real.log" 2>&1 || { cat "$work/s3real.log" >&2; echo "$0: the S3Proxy training run failed" >&2; exit 1; }
  grep -q 'downsampled  *[1-9]' "$work/s3real.log" \
    || { cat "$work/s3real.log" >&2; echo "$0: the S3Proxy training run downsampled nothing" >&2; exit 1; }
  kill $server 2>/dev/null || true
  lists="$lists $work/s3real.classes"
fi

# One list, each class once, in the order first loaded.
# shellcheck disable=SC2086
awk '!seen[$0]++' $lists > "$work/all.classes"
rm -f "$archive"
"$java" "$@" -Xshare:dump -XX:SharedClassListFile="$work/all.classes" -XX:SharedArchiveFile="$archive" -cp "$jar" \
  > "$work/dump.log" 2>&1 || { cat "$work/dump.log" >&2; echo "$0: -Xshare:dump failed" >&2; exit 1; }
echo "$archive: $(wc -l < "$work/all.classes") classes listed, $(wc -c < "$archive") bytes"
