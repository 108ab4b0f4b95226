#!/bin/sh
# Runs every fuzz target for SECONDS over the committed corpus (Fuzz/corpus/<target>, which holds the
# regression inputs of every crash found so far) plus a working corpus under DIR that grows between runs.
# A crash stops with the input saved as DIR/artifacts/<target>-crash-*: fix it, then copy the input
# into Fuzz/corpus/<target>/ (named after what it caught) so every later run replays it.
# Usage: run.sh DIR SECONDS [TARGET...]
set -eu
dir=$1
seconds=$2
shift 2
targets=${*:-config cniargs result pluginmain networktypes sysctl}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/artifacts"
# libFuzzer reports the crash; Swift's own backtracer would only slow it down.
export SWIFT_BACKTRACE=enable=no
status=0
for target in $targets; do
    mkdir -p "$dir/corpus-$target"
    log=$dir/$target.log
    if "$dir/fuzz-$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -dict="$here/json.dict" -artifact_prefix="$dir/artifacts/$target-" -print_final_stats=1 \
        "$dir/corpus-$target" "$here/corpus/$target" > "$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
        echo "fuzz $target: ${seconds}s, $runs runs ($rate/s), $cov, no crash"
    else
        echo "fuzz $target: CRASH (log: $log)" >&2
        grep -E "property violated|Fatal error|deadly signal|Test unit written|ERROR: libFuzzer" "$log" | head -5 >&2
        status=1
    fi
done
exit $status
