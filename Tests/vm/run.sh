#!/bin/bash
# Runs one command inside a QEMU guest booting Debian's stock kernel, and exits with its exit code.
#
#   Tests/vm/run.sh [--timeout SECONDS] [--] COMMAND [ARG...]
#
# The guest (Tests/vm/build-guest.sh, cached) sees this machine's root filesystem read-only over 9p,
# with writes going to its own RAM, so every binary built here (the Swift test binary, the plugins,
# ip, nft) runs inside unchanged. COMMAND runs as root in a chroot of it, in the current directory,
# with these variables passed through when set: SWIFT_CNI_BIN CNI_RUNNER BLACKBOX_IMPLS VM_SUITES
# and any SCNI_*. Its output comes back through the serial console.
#
# Environment: VM_TIMEOUT (seconds for the whole run, default 600), VM_MEMORY (MiB, default 1024),
# VM_CPUS (default 1: under TCG a second vCPU made the same work cost twice the host CPU, measured),
# VM_CPU (QEMU CPU model, default max), VM_APPEND (more kernel command line), VM_LOG (a copy of the
# console, default .build/vm/console.log under the repo), VM_CACHE (see build-guest.sh).
set -euo pipefail
shopt -s lastpipe

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
timeout=${VM_TIMEOUT:-600}
memory=${VM_MEMORY:-1024}
cpus=${VM_CPUS:-1}
logfile=${VM_LOG:-$repo/.build/vm/console.log}

while [ $# -gt 0 ]; do
    case "$1" in
        --timeout) timeout=$2; shift 2 ;;
        --) shift; break ;;
        -*) echo "usage: $0 [--timeout SECONDS] [--] COMMAND [ARG...]" >&2; exit 2 ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--timeout SECONDS] [--] COMMAND [ARG...]" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "scni-vm: qemu-system-x86_64 is missing: run 'make vm-deps'" >&2; exit 1; }

start=$EPOCHREALTIME
eval "$("$here/build-guest.sh")"   # KERNEL INITRD KERNEL_VERSION
prepared=$EPOCHREALTIME

# The job: a POSIX sh script the guest's init copies out of the host root (it is read before the
# guest's /tmp is covered by a tmpfs, so a host temp dir is fine), and the paths it must see.
jobdir=$(mktemp -d /tmp/scni-vm.XXXXXX)
trap 'rm -rf "$jobdir"' EXIT
quote() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }
{
    echo "# written by Tests/vm/run.sh"
    echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8"
    echo "export SCNI_VM=1"
    for name in SWIFT_CNI_BIN CNI_RUNNER BLACKBOX_IMPLS VM_SUITES $(compgen -e | grep '^SCNI_' || true); do
        [ -n "${!name+set}" ] && echo "export $name=$(quote "${!name}")"
    done
    echo "cd $(quote "$PWD") || exit 126"
    printf 'exec'
    for arg in "$@"; do printf ' %s' "$(quote "$arg")"; done
    echo
} >"$jobdir/job"
# What the job must see even where the guest mounts a fresh tmpfs (a clone under /tmp, say).
printf '%s\n' "$repo" "$PWD" >"$jobdir/keep"
case "$repo$PWD" in *[[:space:]]*) echo "scni-vm: paths with whitespace are not supported: $repo, $PWD" >&2; exit 2 ;; esac
tag=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')

mkdir -p "$(dirname "$logfile")"
: >"$logfile"
echo "scni-vm: booting $KERNEL_VERSION under TCG (vCPUs: ${cpus}, ${memory} MiB, timeout ${timeout} s): $*"

# -accel tcg: nested KVM hangs on these machines (FACTS.md). The serial console is the guest's only
# output; stdin is /dev/null so QEMU never puts a terminal into raw mode. --foreground keeps QEMU in
# our process group, so Ctrl-C (or killing make) stops the guest too.
status=none booted= rc=
set +e
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
    -accel tcg -cpu "${VM_CPU:-max}" -smp "$cpus" -m "$memory" \
    -nodefaults -no-user-config -display none -no-reboot \
    -chardev stdio,id=console,signal=off -serial chardev:console \
    -kernel "$KERNEL" -initrd "$INITRD" \
    -append "console=ttyS0 quiet panic=-1 ${VM_APPEND:-} scni.tag=$tag scni.job=$jobdir" \
    -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
    </dev/null 2>&1 |
while IFS= read -r line || [ -n "$line" ]; do
    line=${line%$'\r'}
    printf '%s\n' "$line" >>"$logfile"
    case "$line" in
        "scni-vm-exit $tag "*) rc=${line##* }; status=exited; continue ;;
        "scni-vm: booted"*) booted=$EPOCHREALTIME ;;
    esac
    printf '%s\n' "$line"
done
qemu_status=${PIPESTATUS[0]}
set -e
end=$EPOCHREALTIME

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
[ -n "$booted" ] && echo "scni-vm: boot took $(secs "$prepared" "$booted") s (QEMU start to the job's start)"
echo "scni-vm: total $(secs "$start" "$end") s (guest image $(secs "$start" "$prepared") s, console log $logfile)"

if [ "$status" = exited ]; then
    [ "$rc" = 0 ] || echo "scni-vm: FAILED: '$*' exited $rc inside the guest"
    exit "$rc"
fi
if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
    echo "scni-vm: FAILED: the guest did not finish within $timeout s and was killed (hung?); the console output is above and in $logfile"
else
    echo "scni-vm: FAILED: the guest stopped without reporting an exit code (QEMU exited $qemu_status: kernel panic or a failed boot?); see the console output above and $logfile"
fi
exit 1
