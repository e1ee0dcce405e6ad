#!/usr/bin/env bash
# Runs SustainedStreamingBenchmark: one writer and one reader thread moving 20M records end to end per measurement,
# through Kekbit channels, a Kekbit journal (64 MiB and 1 GiB segments), the fresh-memory floor (pre-faulted), the
# new-memory floor (memory taken from the system in the window, as a journal that keeps everything does),
# Agrona's ring, Aeron IPC and Chronicle Queue, at 32 and 288 B, first on /dev/shm, then on a tmpfs mounted
# huge=always (mounted here when running as root; skipped with the reason otherwise). Each system runs in its own
# JVM, one after the other, with `uptime` before and after; each deletes its files after every measurement.
#
#   kekbit-benchmarks/run-sustained.sh                          # 1 small warmup + 3 measurements per system and size
#   I=1 RECORDS=5000000 kekbit-benchmarks/run-sustained.sh      # a quick look
#   SYSTEMS="kekbit freshMemory" STORAGES=shm kekbit-benchmarks/run-sustained.sh
#   KEEP=1 SKIP_BUILD=1 SYSTEMS="journalReplay kekbitReaderAlone freshMemoryReaderAlone chronicleReplay" \
#       kekbit-benchmarks/run-sustained.sh                      # add the replays to the last report
#   KEEP=1 SYSTEMS="kekbitWriterAlone kekbitReaderAlone freshMemoryWriterAlone freshMemoryReaderAlone" \
#       kekbit-benchmarks/run-sustained.sh                      # add the controlled variants to the last report
#
# Environment: I (measurements, default 3), WI (warmup iterations of at most 2M records, default 1), RECORDS
# (default 20000000), PAYLOADS (default 32,288), SEGMENT_CAPACITIES (the journal's, default 67108864,1073741824),
# RETAINED_SEGMENTS (the journal's, default 0 = keeps everything; "0,2" adds a bounded journal that keeps 2 sealed
# segments and re-uses the retired ones), RING_CAPACITIES (the ring's, default 67108864; "67108864,268435456" adds a
# ring with a recycling journal's working set: docs/benchmarks.md 0e), HELPER_IDLE (where the journal's helper
# agents run: SLEEP, the default, a helper thread sleeping 1 ms; "SLEEP,INVOKER" adds the journal with them on the
# writer's thread, docs/benchmarks.md 0j-0k; PARK a helper thread woken at each roll),
# SETTLE (true: before each iteration wait until the host has taken back the memory the last one freed, see
# HostMemory; default false), SYSTEMS, STORAGES ("shm huge"), HUGE_DIR (default
# /mnt/kekbit-huge), SKIP_BUILD=1 to reuse the jar, KEEP=1 to keep the results of earlier runs in the report (by
# default they are deleted first; a system run again replaces its own).
# Writes kekbit-benchmarks/target/sustained-report.md (tables, load averages), sustained-log.txt (console) and one
# JMH JSON per storage and system (sustained-<storage>-<system>.json).
set -euo pipefail
cd "$(dirname "$0")/.."

I="${I:-3}"
WI="${WI:-1}"
RECORDS="${RECORDS:-20000000}"
PAYLOADS="${PAYLOADS:-32,288}"
SEGMENT_CAPACITIES="${SEGMENT_CAPACITIES:-67108864,1073741824}"
RETAINED_SEGMENTS="${RETAINED_SEGMENTS:-0}"
RING_CAPACITIES="${RING_CAPACITIES:-67108864}"
HELPER_IDLE="${HELPER_IDLE:-SLEEP}"
SETTLE="${SETTLE:-false}"
SYSTEMS="${SYSTEMS:-kekbit journal freshMemory newMemory ringBuffer aeron chronicle}"
STORAGES="${STORAGES:-shm huge}"
HUGE_DIR="${HUGE_DIR:-/mnt/kekbit-huge}"
TARGET=kekbit-benchmarks/target
JAR="$TARGET/kekbit-benchmarks.jar"
REPORT="$TARGET/sustained-report.md"
LOG="$TARGET/sustained-log.txt"
LOADS="$TARGET/sustained-loads.md"

if [[ "${SKIP_BUILD:-0}" != "1" || ! -f "$JAR" ]]; then
    mvn -B -ntp package -DskipTests -pl kekbit-benchmarks -am
fi

if [[ "${KEEP:-0}" != "1" ]]; then
    rm -f "$TARGET"/sustained-*.json
    : > "$LOG"
    : > "$LOADS"
fi
mounted_here=0
cleanup()
{
    if [[ "$mounted_here" == "1" ]]; then
        umount "$HUGE_DIR" || echo "could not unmount $HUGE_DIR" | tee -a "$LOG"
    fi
}
trap cleanup EXIT

huge_note=""
if [[ " $STORAGES " == *" huge "* ]]; then
    if grep -qE "^[^ ]+ $HUGE_DIR tmpfs [^ ]*huge=always" /proc/mounts; then
        huge_note="huge-page tmpfs: $HUGE_DIR was already mounted huge=always"
    elif [[ "$(id -u)" != "0" ]]; then
        huge_note="huge-page tmpfs skipped: not root, cannot mount $HUGE_DIR"
    elif ! mkdir -p "$HUGE_DIR" || ! mount_err=$(mount -t tmpfs -o huge=always,size=12g kekbit-huge "$HUGE_DIR" 2>&1); then
        huge_note="huge-page tmpfs skipped: mount failed: ${mount_err:-mkdir $HUGE_DIR failed}"
    else
        mounted_here=1
        huge_note="huge-page tmpfs: mounted $HUGE_DIR with -o huge=always,size=12g"
    fi
    echo "$huge_note" | tee -a "$LOG"
fi

run_system()
{
    local storage="$1" dir="$2" system="$3"
    local json="$TARGET/sustained-$storage-$system.json"
    local out="$TARGET/sustained-$storage-$system.txt"
    local before after
    rm -f "$json"
    while true; do
        before="$(uptime)"
        echo "== $storage $system: $before" | tee -a "$LOG"
        set +e
        KEKBIT_BENCH_SHM_DIR="$dir" java -jar "$JAR" "SustainedStreamingBenchmark\.$system\$" \
            -p payloadLength="$PAYLOADS" -p records="$RECORDS" -p segmentCapacity="$SEGMENT_CAPACITIES" \
            -p retainedSegments="$RETAINED_SEGMENTS" -p ringCapacity="$RING_CAPACITIES" -p settleHostMemory="$SETTLE" \
            -p helperIdle="$HELPER_IDLE" \
            -wi "$WI" -i "$I" -f 1 -foe true -rf json -rff "$json" > "$out" 2>&1
        local rc=$?
        set -e
        cat "$out" >> "$LOG"
        if grep -q "Unable to acquire the JMH lock" "$out"; then
            echo "JMH lock held by another run: waiting 20 s" | tee -a "$LOG"
            sleep 20
            continue
        fi
        after="$(uptime)"
        echo "== $storage $system done (rc=$rc): $after" | tee -a "$LOG"
        grep -E "^SustainedStreamingBenchmark|^created|^journal:" "$out" || true
        echo "| $storage | $system | ${before##*load average: } | ${after##*load average: } |" >> "$LOADS"
        return "$rc"
    done
}

args=()
for storage in $STORAGES; do
    case "$storage" in
        shm) dir=/dev/shm; label="/dev/shm (4 KiB pages)" ;;
        huge)
            if [[ "$huge_note" == *skipped* ]]; then continue; fi
            dir="$HUGE_DIR"; label="tmpfs huge=always ($HUGE_DIR, 2 MiB pages)" ;;
        *) echo "unknown storage: $storage" >&2; exit 1 ;;
    esac
    for system in $SYSTEMS; do
        run_system "$storage" "$dir" "$system"
    done
    files=("$TARGET"/sustained-"$storage"-*.json)
    args+=("$label=$(IFS=,; echo "${files[*]}")")
done

{
    echo "## Sustained streaming, $(date -u '+%F %H:%M UTC'), commit $(git rev-parse --short HEAD)"
    echo
    echo "\`I=$I WI=$WI RECORDS=$RECORDS PAYLOADS=$PAYLOADS SEGMENT_CAPACITIES=$SEGMENT_CAPACITIES RETAINED_SEGMENTS=$RETAINED_SEGMENTS RING_CAPACITIES=$RING_CAPACITIES HELPER_IDLE=$HELPER_IDLE SETTLE=$SETTLE kekbit-benchmarks/run-sustained.sh\`"
    echo "(last: $SYSTEMS): $I measurement(s)"
    echo "per system and size, each moving $RECORDS records end to end (one JMH single-shot invocation), after $WI"
    echo "warmup iteration(s) of at most 2M records; $(nproc) cores. ${huge_note}"
    echo
    java -cp "$JAR" org.kekbit.benchmarks.report.SustainedReport "${args[@]}"
    echo "### Load averages (1, 5, 15 min) before and after each system"
    echo
    echo "| storage | system | before | after |"
    echo "|---|---|---|---|"
    cat "$LOADS"
} > "$REPORT"
cat "$REPORT"
echo "wrote $REPORT and $LOG"
