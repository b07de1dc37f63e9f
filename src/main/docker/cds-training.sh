#!/bin/sh
# Makes the class data sharing archive the image starts with (Dockerfile) and benchmarks/scale.sh measures with.
#
#   src/main/docker/cds-training.sh JAR ARCHIVE [JVM flags of the training runs...]
#   JAVA=/path/to/bin/java src/main/docker/cds-training.sh ...    # another JVM than the one on the PATH
#
# Two training runs record the classes they load (-XX:DumpLoadedClassList): `compact --demo`, which compacts,
# downsamples and cleans a generated FILESYSTEM bucket, and a `compact` against an S3 endpoint that refuses the
# connection (127.0.0.1:1), which builds the AWS SDK's client, signs a listing request, sends it and handles the
# failure. No S3 server is needed, so the image build runs it too. The two lists make one static archive
# (-Xshare:dump) for the classpath `-jar JAR` gives, so later starts map those classes read-only instead of loading,
# parsing and verifying them: an S3 run's start about 0.5 s shorter than with an archive of the demo alone
# (benchmarks/README.md, "On S3, and class data sharing for the S3 path"). Runs with another JVM, or with the jar
# changed, cannot use the archive; the JVM says so in one line and starts without it.
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

# One list, each class once, in the order first loaded.
awk '!seen[$0]++' "$work/demo.classes" "$work/s3.classes" > "$work/all.classes"
rm -f "$archive"
"$java" "$@" -Xshare:dump -XX:SharedClassListFile="$work/all.classes" -XX:SharedArchiveFile="$archive" -cp "$jar" \
  > "$work/dump.log" 2>&1 || { cat "$work/dump.log" >&2; echo "$0: -Xshare:dump failed" >&2; exit 1; }
echo "$archive: $(wc -l < "$work/all.classes") classes listed, $(wc -c < "$archive") bytes"
