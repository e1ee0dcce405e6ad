#!/usr/bin/env bash
# Profiles benchmarks with async-profiler through JMH's -prof async, for the profiles behind docs/benchmarks.md.
# perf's hardware counters are not exposed on our VMs, so the default event is cpu (the kernel's cpu-clock, a
# software event) rather than cycles.
#
#   kekbit-benchmarks/profile-benchmark.sh 'StreamingBenchmark.kekbitClaim' -p payloadLength=32
#   EVENT=page-faults kekbit-benchmarks/profile-benchmark.sh 'RoundTripBenchmark.kekbit$' -p burst=1
#
# Environment: EVENT (cpu, page-faults, alloc, lock...; default cpu), INTERVAL (ns for cpu; default 1 ms), WI and I
# (warmup and measurement iterations, default 2 and 3), SKIP_BUILD=1 to reuse the jar. async-profiler (Linux x64)
# comes from Maven Central. Writes kekbit-benchmarks/target/profiles/<benchmark>/summary-<event>.txt: the hottest
# stacks, then a flat table of the hottest frames.
set -euo pipefail
cd "$(dirname "$0")/.."

ASYNC_PROFILER_VERSION=4.2
EVENT="${EVENT:-cpu}"
INTERVAL="${INTERVAL:-1000000}"
WI="${WI:-2}"
I="${I:-3}"
TARGET=kekbit-benchmarks/target
JAR="$TARGET/kekbit-benchmarks.jar"
PROFILER_DIR="$TARGET/async-profiler"
LIB="$PROFILER_DIR/linux-x64/libasyncProfiler.so"

if [[ $# -eq 0 ]]; then
    echo "usage: $0 <benchmark regex> [JMH options]" >&2
    exit 2
fi

if [[ "${SKIP_BUILD:-0}" != "1" || ! -f "$JAR" ]]; then
    mvn -B -ntp -DskipTests package
fi

if [[ ! -f "$LIB" ]]; then
    mvn -B -ntp dependency:copy \
        -Dartifact="tools.profiler:async-profiler:$ASYNC_PROFILER_VERSION:jar:linux-x64" \
        -DoutputDirectory="$PROFILER_DIR"
    (cd "$PROFILER_DIR" && unzip -o -q "async-profiler-$ASYNC_PROFILER_VERSION-linux-x64.jar" 'linux-x64/*')
fi

java -jar "$JAR" "$@" -foe true -wi "$WI" -i "$I" -f 1 \
    -prof "async:libPath=$PWD/$LIB;output=text;event=$EVENT;interval=$INTERVAL;dir=$PWD/$TARGET/profiles"
