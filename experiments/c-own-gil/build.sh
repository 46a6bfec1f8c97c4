#!/bin/sh
# Builds own_gil into build/ for each pyenv CPython with PEP 684 (3.12 and later), and for
# Debian's 3.11 (there only the legacy part of `handoff` runs), each linked with an rpath to
# its own libpython.
set -e
cd "$(dirname "$0")"
mkdir -p build
for v in ${VERSIONS:-3.12.1 3.13.0}; do
    prefix=$(pyenv prefix "$v")
    config="$prefix/bin/python3-config"
    cc -O2 -Wall -o "build/own_gil-$v" own_gil.c $("$config" --includes) \
        $("$config" --embed --ldflags) -Wl,-rpath,"$prefix/lib" -lpthread
    echo "built build/own_gil-$v"
done
cc -O2 -Wall -o build/own_gil-3.11-debian own_gil.c $(/usr/bin/python3-config --includes) \
    $(/usr/bin/python3-config --embed --ldflags) -lpthread
echo "built build/own_gil-3.11-debian"
