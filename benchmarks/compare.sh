#!/usr/bin/env bash
# Compares two versions of the library on the same JMH benchmarks, run interleaved on this machine.
#
#   benchmarks/compare.sh REV_A REV_B [JMH arguments...]
#   benchmarks/compare.sh main HEAD BlockBenchmark -p blockDir=/data/blocks -f 1 -wi 3 -i 5
#
# Compiles the library of each git revision from `git archive` (no worktree, tests skipped) into
# $WORK/<sha>/target/classes, uses the benchmarks jar of the current checkout (built if missing: install the
# library first, `mvn -B install -DskipTests`), then runs $ROUNDS rounds (default 3) of A then B. Each JVM
# (and each JMH fork) has that revision's library classes first on the class path, so the same benchmark code
# measures both. Classes only one revision has come from the benchmarks jar; a benchmark that calls an API
# the older revision lacks fails with NoSuchMethodError there. Prints every score side by side and the ratio
# of the medians (B / A; above 1 means B is faster for throughput scores).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
[ $# -ge 2 ] || { sed -n '2,14p' "$0"; exit 2; }
rev_a=$1
rev_b=$2
shift 2
work=${WORK:-/tmp/tsdbc-compare}
rounds=${ROUNDS:-3}
mkdir -p "$work"

classes_of() {
  local sha dir
  sha=$(git rev-parse --short "$1")
  dir="$work/$sha"
  if [ ! -d "$dir/target/classes/io" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    git archive "$sha" | tar -x -C "$dir"
    (cd "$dir" && mvn -B -q -o compile) >&2
  fi
  echo "$dir/target/classes"
}

classes_a=$(classes_of "$rev_a")
classes_b=$(classes_of "$rev_b")
bench=benchmarks/target/benchmarks.jar
[ -f $bench ] || mvn -B -q -f benchmarks/pom.xml package

for round in $(seq 1 "$rounds"); do
  for side in a b; do
    if [ $side = a ]; then classes=$classes_a; else classes=$classes_b; fi
    echo "== round $round, $side ($classes)" >&2
    java -cp "$classes:$bench" org.openjdk.jmh.Main "$@" -rf csv -rff "$work/$side-$round.csv" >&2
  done
done

python3 - "$work" "$rounds" "$rev_a" "$rev_b" <<'PY'
import csv, statistics, sys
work, rounds, rev_a, rev_b = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
scores = {}
for side in "ab":
    for r in range(1, rounds + 1):
        with open(f"{work}/{side}-{r}.csv") as f:
            for row in csv.DictReader(f):
                params = " ".join(f"{k[7:]}={v}" for k, v in row.items() if k.startswith("Param: "))
                key = (row["Benchmark"] + (" " + params if params else ""), row["Unit"])
                scores.setdefault(key, {"a": [], "b": []})[side].append(float(row["Score"]))
print(f"{'benchmark':60} {'unit':8} {'A = ' + rev_a:>28} {'B = ' + rev_b:>28} {'B/A':>6}")
for (name, unit), s in scores.items():
    fmt = lambda xs: " ".join(f"{x:.4g}" for x in xs)
    ratio = statistics.median(s["b"]) / statistics.median(s["a"]) if s["a"] and s["b"] else float("nan")
    print(f"{name:60} {unit:8} {fmt(s['a']):>28} {fmt(s['b']):>28} {ratio:6.2f}")
PY
