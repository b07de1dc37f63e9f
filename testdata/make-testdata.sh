#!/usr/bin/env bash
# Regenerates testdata/blocks from the OpenMetrics inputs with Prometheus's own promtool (2.42, Debian's
# `prometheus` package). Blocks get fresh random ULIDs each time, so run it only to change the data.
set -euo pipefail
cd "$(dirname "$0")"
command -v promtool >/dev/null || { echo "promtool not found: apt-get install -y prometheus" >&2; exit 1; }

mkdir -p input
python3 gen_openmetrics.py basic > input/basic.om
python3 gen_openmetrics.py overlap0 > input/overlap0.om
python3 gen_openmetrics.py overlap1 > input/overlap1.om

rm -rf blocks
mkdir -p blocks/basic blocks/overlap
promtool tsdb create-blocks-from openmetrics -q input/basic.om blocks/basic
# Two imports into one directory: their blocks overlap in time, as replicas or re-imports do.
promtool tsdb create-blocks-from openmetrics -q input/overlap0.om blocks/overlap
promtool tsdb create-blocks-from openmetrics -q input/overlap1.om blocks/overlap
# promtool tsdb dump needs a wal folder; keep the dumps as the expected output of our reader.
for d in basic overlap; do
  mkdir -p "blocks/$d/wal"
  promtool tsdb dump "blocks/$d" > "expected-dump-$d.txt"
  rmdir "blocks/$d/wal"; rm -rf "blocks/$d/chunks_head"
done
du -sh blocks input
