#!/bin/sh
# The parallel experiments again, for CPython 3.12.1 and 3.13.0, appending rounds to
# results/timings-<c|pyo3>-<version>.txt with the load average each round started at.
# This machine's two cores are shared with other builds, so a round only starts when the
# 1-minute load average is below 1.5 (both cores mostly free), until each experiment has
# two such rounds or 40 minutes have passed. Needs run-all.sh's builds.
cd "$(dirname "$0")"
mkdir -p results
quiet_rounds() {
    n=$(grep -c "^--- quiet round" "$1" 2>/dev/null)
    echo "${n:-0}"
}
deadline=$(( $(date +%s) + 2400 ))
while [ "$(date +%s)" -lt $deadline ]; do
    pending=0
    for v in 3.12.1 3.13.0; do
        for kind in c pyo3; do
            out="results/timings-$kind-$v.txt"
            [ "$(quiet_rounds "$out")" -ge 2 ] && continue
            pending=1
            load=$(cut -d' ' -f1-3 /proc/loadavg)
            [ "$(echo "${load%% *} < 1.5" | bc)" = 1 ] || continue
            echo "--- quiet round, $(date -u +%H:%M:%S), load average $load" >> "$out"
            if [ $kind = c ]; then
                c-own-gil/build/own_gil-$v parallel 4000000 | grep GIL >> "$out" 2>&1
            else
                pyo3-subinterp/target/$v/release/pyo3-subinterp parallel 6000000 | grep GIL >> "$out" 2>&1
            fi
        done
    done
    [ $pending = 0 ] && break
    sleep 10
done
for f in results/timings-*.txt; do echo "$f: $(quiet_rounds "$f") quiet rounds"; done
