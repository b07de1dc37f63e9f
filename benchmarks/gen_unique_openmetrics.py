#!/usr/bin/env python3
"""High-cardinality OpenMetrics for benchmarks/scale.sh (LABELS=unique). Deterministic.

usage: gen_unique_openmetrics.py SERIES FROM_H TO_H STEP_S OFFSET_MS SEED > out.om

SERIES series of one counter family, each with a label value of its own (id, 32 hex digits, as a request or pod
UID would be), job="unique" and one of 64 shards, sampled every STEP_S seconds on [FROM_H, TO_H) hours after T0,
each timestamp shifted by OFFSET_MS. So the index holds about one distinct label value per series: what the
index readers and writer keep per distinct value, not per series, is what this measures.
"""
import hashlib
import random
import sys

T0_MS = 1700006400000  # as gen_node_openmetrics.py: 2023-11-15T00:00:00Z


def main():
    n, from_h, to_h, step, offset_ms, seed = (int(a) for a in sys.argv[1:7])
    rng = random.Random(seed)
    out = sys.stdout
    out.write("# TYPE unique_requests counter\n")
    start_ms = T0_MS + from_h * 3600000
    end_ms = T0_MS + to_h * 3600000
    for i in range(n):
        uid = hashlib.md5(b"series-%d" % i).hexdigest()
        labels = 'unique_requests_total{id="%s",job="unique",shard="%d"}' % (uid, i % 64)
        v = rng.randrange(1000)
        lines = []
        for t in range(start_ms, end_ms, step * 1000):
            v += rng.randrange(13)
            ts = t + offset_ms
            lines.append("%s %d %d.%03d\n" % (labels, v, ts // 1000, ts % 1000))
        out.write("".join(lines))
    out.write("# EOF\n")


if __name__ == "__main__":
    main()
