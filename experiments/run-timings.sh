#!/bin/sh
# The parallel experiments only, each three times, each run waiting (up to 10 minutes) for
# the machine's 1-minute load average to fall below 1.0 so that both cores are free; the
# load at the start of each run is recorded with it. Needs run-all.sh's builds.
cd "$(dirname "$0")"
mkdir -p results
wait_quiet() {
    i=0
    while [ $i -lt 120 ]; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        if [ "$(echo "$load < 1.0" | bc)" = 1 ]; then return 0; fi
        sleep 5; i=$((i + 1))
    done
    return 1
}
for v in 3.12.1 3.13.0; do
    for kind in c pyo3; do
        out="results/timings-$kind-$v.txt"
        : > "$out"
        for round in 1 2 3; do
            wait_quiet || echo "(the load stayed at or above 1.0 for 10 minutes: run anyway)" >> "$out"
            echo "--- round $round, load average $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out"
            if [ $kind = c ]; then
                c-own-gil/build/own_gil-$v parallel 4000000 | grep GIL >> "$out" 2>&1
            else
                pyo3-subinterp/target/$v/release/pyo3-subinterp parallel 6000000 | grep GIL >> "$out" 2>&1
            fi
        done
        echo "$out"
    done
done
