#!/usr/bin/env python3
"""OpenMetrics input for benchmarks/e2e.sh: one file per (group, replica). Deterministic.

usage: gen_e2e_openmetrics.py SERIES FROM_H TO_H STEP_S OFFSET_MS SEED > out.om

Replicas of one group use the same SEED, so they carry the same values at the same (unshifted) times.

SERIES gauges named bench_value{instance,job,shard} sampled every STEP_S seconds over [FROM_H, TO_H) hours
after T0 (a day boundary, so block ranges align), each timestamp shifted by OFFSET_MS (a replica scraping a
little later). Values are a seeded random walk with one decimal, so XOR chunks look like real data.
"""
import random
import sys

T0_MS = 1700006400000  # 2023-11-15T00:00:00Z


def main():
    series, from_h, to_h, step_s, offset_ms, seed = sys.argv[1:7]
    series, step_ms, offset_ms = int(series), int(step_s) * 1000, int(offset_ms)
    start = T0_MS + int(float(from_h) * 3600000)
    end = T0_MS + int(float(to_h) * 3600000)
    out = sys.stdout
    w = out.write
    w("# TYPE bench_value gauge\n")
    for s in range(series):
        lbl = 'bench_value{instance="host-%d:9100",job="node",shard="%d"} ' % (s, s % 16)
        # Same walk for every replica: the value at time t depends only on the series and t.
        t = T0_MS + ((start - T0_MS + step_ms - 1) // step_ms) * step_ms
        walk = random.Random(int(seed) * 1000003 + s)
        pos = T0_MS
        v = walk.uniform(0, 1000)
        while pos < t:
            v += walk.uniform(-5, 5)
            pos += step_ms
        lines = []
        while t < end:
            ts = t + offset_ms
            lines.append("%s%.1f %d.%03d\n" % (lbl, v, ts // 1000, ts % 1000))
            v += walk.uniform(-5, 5)
            t += step_ms
        w("".join(lines))
    w("# EOF\n")


if __name__ == "__main__":
    main()
