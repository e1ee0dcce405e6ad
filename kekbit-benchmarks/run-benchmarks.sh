#!/usr/bin/env bash
# Runs every Kekbit benchmark beside its peers in one JMH run, then makes the latency chart and the ratio tables.
#
#   kekbit-benchmarks/run-benchmarks.sh                      # the full set: 3 warmup + 5 measurement iterations of 1 s
#   WI=1 I=3 kekbit-benchmarks/run-benchmarks.sh             # a short run (about 9 min)
#   kekbit-benchmarks/run-benchmarks.sh RoundTripBenchmark   # extra arguments go to JMH (here: one scenario)
#
# Environment: WI, I (warmup and measurement iterations), W, R (their durations), F (forks), SKIP_BUILD=1 to reuse
# the jar, KEKBIT_BENCH_DISK_DIR (folder on the real disk for the durable benchmarks; default below).
# Writes kekbit-benchmarks/target/results.json (JMH JSON, with -prof gc), results.txt (the console log) and
# benchmarks-report.md (ratios against each peer), and docs/benchmarks-latency.png.
# Every benchmark JVM gets the same flags from BenchmarkConfiguration (@Fork on BenchmarkDefaults, which every class extends); -foe true makes a
# failing benchmark fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."

WI="${WI:-3}"
I="${I:-5}"
W="${W:-1s}"
R="${R:-1s}"
F="${F:-1}"
TARGET=kekbit-benchmarks/target
JAR="$TARGET/kekbit-benchmarks.jar"

if [[ "${SKIP_BUILD:-0}" != "1" || ! -f "$JAR" ]]; then
    mvn -B -ntp -DskipTests package
fi

export KEKBIT_BENCH_DISK_DIR="${KEKBIT_BENCH_DISK_DIR:-$PWD/$TARGET/bench-disk}"
mkdir -p "$KEKBIT_BENCH_DISK_DIR"
echo "durable benchmarks on disk in $KEKBIT_BENCH_DISK_DIR: $(df -h --output=source,fstype "$KEKBIT_BENCH_DISK_DIR" | tail -1)"

INCLUDE=("$@")
if [[ ${#INCLUDE[@]} -eq 0 ]]; then
    INCLUDE=("org\.kekbit\.benchmarks\..*Benchmark")
fi

java -jar "$JAR" "${INCLUDE[@]}" \
    -foe true -wi "$WI" -i "$I" -w "$W" -r "$R" -f "$F" \
    -prof gc \
    -rf json -rff "$TARGET/results.json" 2>&1 | tee "$TARGET/results.txt"

java -cp "$JAR" org.kekbit.benchmarks.report.LatencyChart \
    "$TARGET/results.json" docs/benchmarks-latency.png \
    "writer -> reader -> reply, JMH sample mode, -wi $WI -i $I -w $W -r $R -f $F on $(nproc) cores, $(date -u +%F)"
java -cp "$JAR" org.kekbit.benchmarks.report.RatioReport "$TARGET/results.json" > "$TARGET/benchmarks-report.md"
echo "wrote $TARGET/results.json, $TARGET/benchmarks-report.md and docs/benchmarks-latency.png"
