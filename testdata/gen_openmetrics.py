#!/usr/bin/env python3
"""Writes the OpenMetrics inputs for testdata/make-testdata.sh. Deterministic (fixed seeds)."""
import math
import random
import sys

BASE = 1700000000  # 2023-11-14T22:13:20Z, seconds


def fmt(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(float(v))


def emit(out, family, series, step, start, end, value_fn, jitter=0.0, rnd=None):
    """series: list of label dicts; value_fn(i, t, labels) -> float."""
    out.write(f"# TYPE {family} gauge\n")
    for labels in series:
        lbl = ",".join(f'{k}="{v}"' for k, v in labels.items())
        t = start
        i = 0
        while t < end:
            ts = t + (rnd.uniform(-jitter, jitter) if jitter and rnd else 0.0)
            out.write(f"{family}{{{lbl}}} {fmt(value_fn(i, ts, labels))} {ts:.3f}\n")
            t += step
            i += 1


def basic(out):
    rnd = random.Random(42)
    start, end = BASE, BASE + 5 * 3600  # five hours: three 2h-aligned blocks
    # Counters with resets.
    resets = {}

    def counter(i, t, labels):
        key = tuple(labels.items())
        c = resets.setdefault(key, [0.0])
        if rnd.random() < 0.01:
            c[0] = 0.0
        c[0] += rnd.randint(0, 50)
        return c[0]

    emit(out, "http_requests_total", [
        {"code": c, "handler": h, "instance": "web-1:9090", "job": "web"}
        for c in ("200", "404", "500") for h in ("/", "/api/v1/query")
    ], 15, start, end, counter, jitter=0.2, rnd=rnd)
    # Gauges with fractional values and special floats.
    specials = [float("nan"), float("inf"), float("-inf"), -0.0, 5e-324, 1.7976931348623157e308, 1e21, 1e-5, 0.1]

    def gauge(i, t, labels):
        if i % 97 == 13:
            return specials[(i // 97) % len(specials)]
        return 20 + 5 * math.sin(i / 40.0) + rnd.random()

    emit(out, "node_temperature_celsius", [
        {"instance": f"node-{n}", "job": "node", "sensor": s} for n in range(3) for s in ("cpu", "disk")
    ], 30, start, end, gauge, rnd=rnd)
    # Unicode and escaped label values.
    emit(out, "weird_labels", [
        {"path": "/ü/日本/emoji-😀"},
        {"path": "quote \\\" backslash \\\\ newline \\n end"},
        {"path": "tab\tand nbsp\u00a0here"},
        {"path": ""},
    ], 60, start, end, lambda i, t, l: float(i), rnd=rnd)
    # Many short series (churn): each lives 20 minutes.
    out.write("# TYPE pod_up gauge\n")
    for p in range(120):
        s = start + p * 120
        t = s
        while t < min(s + 1200, end):
            out.write(f'pod_up{{namespace="ns-{p % 4}",pod="pod-{p:03d}"}} 1 {t:.3f}\n')
            t += 30
    out.write("# EOF\n")


def overlap(out, variant):
    """Two overlapping inputs: same series, shifted time ranges, some identical samples."""
    rnd = random.Random(7 + variant)
    start = BASE + (0 if variant == 0 else 3600)
    end = start + 4 * 3600
    emit(out, "overlap_metric", [
        {"job": "a", "replica": "shared"}, {"job": "b", "replica": "shared"}
    ], 30, start, end, lambda i, t, l: math.floor(t) % 1000, rnd=rnd)
    # A series only one input has.
    emit(out, f"only_in_{variant}", [{"job": "x"}], 60, start, end, lambda i, t, l: i * 1.5, rnd=rnd)
    # Different timestamps in the overlap: interleaving samples.
    offset = 0 if variant == 0 else 7
    emit(out, "interleaved", [{"job": "i"}], 20, start + offset, end, lambda i, t, l: float(int(t)), rnd=rnd)
    out.write("# EOF\n")


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "basic":
        basic(sys.stdout)
    elif kind == "overlap0":
        overlap(sys.stdout, 0)
    elif kind == "overlap1":
        overlap(sys.stdout, 1)
    else:
        sys.exit("unknown kind " + kind)
