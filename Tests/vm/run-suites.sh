#!/bin/bash
# Runs the VM lane's suites (Tests/vm/suites, or the lines in $VM_SUITES separated by newlines or `;`)
# one after the other and prints a summary; exits non-zero if any failed. Meant to run inside the
# stock-kernel guest: `Tests/vm/run.sh Tests/vm/run-suites.sh` (what `make test-vm` does).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
test_binary=${SCNI_TEST_BINARY:-$repo/.build/debug/swift-cniPackageTests.xctest}
cd "$repo"

if [ -n "${VM_SUITES:-}" ]; then
    list=$(tr ';' '\n' <<<"$VM_SUITES")
else
    list=$(cat "$here/suites")
fi

summary=() failed=0 count=0
while read -r -a words; do
    [ ${#words[@]} -gt 0 ] && [ "${words[0]:0:1}" != "#" ] || continue
    kind=${words[0]}
    case "$kind" in
        swift)
            [ ${#words[@]} -ge 2 ] || { echo "run-suites: 'swift' needs a filter: ${words[*]}"; exit 2; }
            if [ ! -x "$test_binary" ]; then
                echo "run-suites: no test binary at $test_binary: run 'swift build --build-tests' on the host (make test-vm does)"
                exit 2
            fi
            command=("$test_binary" --testing-library swift-testing --filter "${words[1]}" "${words[@]:2}") ;;
        script)
            [ ${#words[@]} -ge 2 ] || { echo "run-suites: 'script' needs a path: ${words[*]}"; exit 2; }
            command=("$repo/${words[1]}" "${words[@]:2}") ;;
        *)
            echo "run-suites: unknown kind '$kind' in: ${words[*]} (use swift or script)"; exit 2 ;;
    esac
    count=$((count + 1))
    echo
    echo "=== suite ${count}: ${words[*]}"
    started=$EPOCHREALTIME
    "${command[@]}"
    status=$?
    took=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    if [ $status = 0 ]; then verdict=passed; else verdict="FAILED (exit $status)"; failed=$((failed + 1)); fi
    echo "=== suite ${count} ${verdict} in ${took} s: ${words[*]}"
    summary+=("  ${verdict} ${took} s  ${words[*]}")
done <<<"$list"

[ $count -gt 0 ] || { echo "run-suites: no suites to run"; exit 2; }
leftover=$(ip netns list | grep '^scni' || true)
echo
echo "VM lane on $(uname -r): $((count - failed)) of $count suites passed"
printf '%s\n' "${summary[@]}"
if [ -n "$leftover" ]; then
    echo "tests left network namespaces behind:" $leftover
    failed=$((failed + 1))
fi
[ $failed = 0 ]
