#!/bin/sh
# Differential test of StaticLibs/mnl.c (linked into the release plugins) against Debian's libmnl:
# the same pseudo-random program of message building, attribute parsing, validation, callbacks and
# batches runs against each; the outputs must be identical.
# Usage: check-mnl.sh WORKDIR [MNL_OBJECT] [ROUNDS]
set -eu
work=$1
object=${2:-}
rounds=${3:-3000}
cc=${CC:-cc}
src=$(dirname "$0")/../StaticLibs
mkdir -p "$work"
if [ -z "$object" ]; then
    object=$work/mnl.o
    $cc -c -O2 -fPIC -o "$object" "$src/mnl.c"
fi
$cc -O1 -Wall -o "$work/with-libmnl" "$src/mnl-check.c" -lmnl
$cc -O1 -Wall -o "$work/with-ours" "$src/mnl-check.c" "$object"
"$work/with-libmnl" "$rounds" > "$work/libmnl.out"
"$work/with-ours" "$rounds" > "$work/ours.out"
if cmp -s "$work/libmnl.out" "$work/ours.out"; then
    echo "check-mnl: StaticLibs/mnl.c matches libmnl over $rounds rounds ($(wc -l < "$work/ours.out") lines of output)"
else
    echo "check-mnl: StaticLibs/mnl.c differs from libmnl; first difference:" >&2
    diff "$work/libmnl.out" "$work/ours.out" | head -20 >&2
    exit 1
fi
