#!/bin/sh
# Builds every experiment for CPython 3.12.1 and 3.13.0 (pyenv) and Debian's 3.11, runs
# them, and writes what each printed to results/<experiment>-<version>.txt (with its exit
# status). Takes a few minutes; timings are only meaningful on an otherwise idle machine.
set -u
cd "$(dirname "$0")"
mkdir -p results
VERSIONS="3.12.1 3.13.0"

c-own-gil/build.sh >/dev/null || exit 1

python_of() {
    case "$1" in
        3.11-debian) echo /usr/bin/python3.11 ;;
        *) echo "$(pyenv prefix "$1")/bin/python3" ;;
    esac
}

for v in $VERSIONS 3.11-debian; do
    (cd pyo3-subinterp && PYO3_PYTHON=$(python_of "$v") \
        RUSTFLAGS='--cfg pyo3_disable_reference_pool' CARGO_TARGET_DIR="target/$v" \
        cargo build --release --quiet) || exit 1
done
for v in $VERSIONS; do
    (cd pyo3-ext && PYO3_PYTHON=$(python_of "$v") CARGO_TARGET_DIR="target/$v" \
        cargo build --release --quiet) || exit 1
    mkdir -p "pyo3-ext/build/$v" && cp "pyo3-ext/target/$v/release/libpyo3_ext.so" "pyo3-ext/build/$v/pyo3_ext.so"
done

# SELECT=regex runs only the experiments whose result name matches.
selected() {
    [ -z "${SELECT:-}" ] || echo "$1" | grep -Eq "$SELECT"
}

# run NAME VERSION COMMAND...: COMMAND's output and status into results/NAME-VERSION.txt.
run() {
    name=$1; v=$2; shift 2
    selected "$name-$v" || return 0
    out="results/$name-$v.txt"
    echo "\$ $*" | sed "s|$PWD/||g" > "$out"
    RUST_BACKTRACE=0 timeout 300 "$@" >> "$out" 2>&1
    echo "[exit status $?]" >> "$out"
    echo "$out"
}

# run_backtrace: as run, with Rust's backtrace, keeping its lines that name pyo3 or the program.
run_backtrace() {
    name=$1; v=$2; shift 2
    selected "$name-$v" || return 0
    out="results/$name-$v.txt"
    echo "\$ RUST_BACKTRACE=1 $* (backtrace lines naming pyo3 kept)" | sed "s|$PWD/||g" > "$out"
    RUST_BACKTRACE=1 timeout 300 "$@" > "$out.tmp" 2>&1
    echo "[exit status $?]" >> "$out.tmp"
    awk '/^ +at / { next } /^ +[0-9]+: / && !/pyo3/ { next } { print }' "$out.tmp" >> "$out"
    rm -f "$out.tmp"
    echo "$out"
}

# exit_abort VERSION: each module alone imported into an own-GIL interpreter, which is then
# ended, then Py_FinalizeEx: the import's result and the exit status.
exit_abort() {
    v=$1
    selected "c-imports-exit-abort-$v" || return 0
    out="results/c-imports-exit-abort-$v.txt"
    echo "# each module alone imported into an own-GIL interpreter (ONLY=<module> own_gil-$v imports)," > "$out"
    echo "# the interpreter ended, then Py_FinalizeEx: the import's result, the exit status" >> "$out"
    for m in re threading tempfile pickle random inspect pdb email.utils http.cookies json \
        datetime decimal dbm calendar urllib.parse traceback dis _hashlib _sha2 _blake2 _ssl \
        hashlib hmac secrets _asyncio asyncio; do
        result=$(ONLY="$m" timeout 60 "c-own-gil/build/own_gil-$v" imports 2>&1)
        status=$?
        line=$(echo "$result" | grep -E "^  (ok|REFUSED) " | sed 's/^ *//')
        abort=$(echo "$result" | grep -o 'free(): invalid pointer')
        echo "$line; exit status $status${abort:+ ($abort)}" >> "$out"
    done
    echo "$out"
}

for v in $VERSIONS; do
    c=c-own-gil/build/own_gil-$v
    p=pyo3-subinterp/target/$v/release/pyo3-subinterp
    run c-parallel "$v" "$c" parallel 4000000
    run c-handoff "$v" "$c" handoff
    run c-swap "$v" "$c" swap
    run c-imports "$v" "$c" imports
    run c-imports-asyncio "$v" env ONLY=_asyncio "$c" imports
    run c-imports-asyncio-shared "$v" env ONLY=_asyncio SHARED=1 "$c" imports
    exit_abort "$v"
    run pyo3-parallel "$v" "$p" parallel 6000000
    run pyo3-attach-own "$v" "$p" attach own
    run pyo3-attach-shared "$v" "$p" attach shared
    run pyo3-drop-uncounted-py "$v" "$p" drop-uncounted py
    run pyo3-drop-uncounted-pyerr "$v" "$p" drop-uncounted pyerr
    run_backtrace pyo3-drop-uncounted-add "$v" "$p" drop-uncounted add
    run pyo3-drop-counted "$v" "$p" drop-counted
    run pyo3-nested "$v" "$p" nested
    run pyo3-entry-cost "$v" "$p" entry-cost
    run pyo3-statics "$v" "$p" statics
    run pyo3-multiphase "$v" "$p" multiphase
    run pyo3-pymodule "$v" "$p" pymodule "$PWD/pyo3-ext/build/$v"
    run pyo3-finalize "$v" "$p" finalize
    run pyo3-finalize-asyncio "$v" "$p" finalize asyncio
    run pyo3-finalize-wrong-order "$v" env WRONG_ORDER=1 "$p" finalize
done
v=3.11-debian
run c-handoff "$v" c-own-gil/build/own_gil-3.11-debian handoff
run pyo3-attach-shared "$v" pyo3-subinterp/target/$v/release/pyo3-subinterp attach shared
run pyo3-drop-uncounted-pyerr "$v" pyo3-subinterp/target/$v/release/pyo3-subinterp drop-uncounted pyerr
run pyo3-drop-counted "$v" pyo3-subinterp/target/$v/release/pyo3-subinterp drop-counted
