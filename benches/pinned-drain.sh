#!/usr/bin/env bash
# drain (procpump) against drain-threads (a thread per pipe, 64 KiB reads) on
# `emit --stdout SIZE`, alternating, with the reader and the child pinned to
# different CPUs ("cross") and to the same CPU ("same"). Prints each run's
# seconds and the medians. Build first:
#   cargo build --release -p procpump --example drain -p procpump-benches
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-4G}
runs=${2:-5}
t=target/release
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { "$@" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p'; }
for placement in cross same; do
    if [ "$placement" = cross ]; then child_cpu=1; else child_cpu=0; fi
    : > /tmp/pinned-drain.procpump; : > /tmp/pinned-drain.threads
    for _ in $(seq "$runs"); do
        seconds taskset -c 0 $t/drain-threads taskset -c $child_cpu $t/emit --stdout "$size" >> /tmp/pinned-drain.threads
        seconds taskset -c 0 $t/examples/drain taskset -c $child_cpu $t/emit --stdout "$size" >> /tmp/pinned-drain.procpump
    done
    p=$(median < /tmp/pinned-drain.procpump); b=$(median < /tmp/pinned-drain.threads)
    echo "$placement: procpump drain median ${p}s [$(tr '\n' ' ' < /tmp/pinned-drain.procpump)]" \
        "thread-per-pipe median ${b}s [$(tr '\n' ' ' < /tmp/pinned-drain.threads)]" \
        "speed ratio $(awk -v p="$p" -v b="$b" 'BEGIN {printf "%.2f", b / p}')x"
done
