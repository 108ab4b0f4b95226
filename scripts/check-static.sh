#!/bin/sh
# Fails unless each given executable is fully static and stripped, holds no NSS code, and (as root)
# answers VERSION and fails an ADD cleanly in an empty chroot: no loader, no library, no /proc, /dev or
# /etc. Multus may run a plugin chrooted into a host root where anything may be missing or of another
# version; an image FROM scratch holds nothing but the executable either.
# Usage: check-static.sh BINARY...
set -eu
[ $# -gt 0 ] || { echo "check-static: no binaries given" >&2; exit 2; }
status=0
fail() { echo "check-static: $1" >&2; status=1; }
for binary in "$@"; do
    [ -x "$binary" ] || { fail "$binary is missing"; continue; }
    headers=$(readelf -lW "$binary")
    sections=$(readelf -SW "$binary")
    # Static and not static-pie: no program interpreter (the dynamic loader) and no dynamic section.
    printf '%s\n' "$headers" | grep -q 'Elf file type is EXEC' || fail "$binary is not a plain (non-PIE) executable"
    printf '%s\n' "$headers" | grep -Eq '^ *(INTERP|DYNAMIC) ' && fail "$binary is dynamically linked: $(printf '%s\n' "$headers" | grep -A1 INTERP | tail -1 | tr -s ' ')"
    printf '%s\n' "$sections" | grep -Eq ' \.(symtab|debug_[a-z]+) ' && fail "$binary is not stripped"
    # glibc's NSS reads its configuration from this file: without NSS code, the string is absent.
    grep -qa /etc/nsswitch.conf "$binary" && fail "$binary contains glibc's NSS (a user, group or host name lookup linked in)"
done
[ $status = 0 ] || exit $status
echo "check-static: $# binaries are static (no loader, no shared library), stripped, without NSS"

# As root: each plugin alone in an empty directory, chrooted, with nothing but CNI_* in its environment.
[ "$(id -u)" = 0 ] || exit 0
chroot=$(command -v chroot)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
for binary in "$@"; do cp "$binary" "$root/"; done
for binary in "$@"; do
    name=$(basename "$binary")
    out=$(env -i CNI_COMMAND=VERSION "$chroot" "$root" "/$name" < /dev/null 2>&1) || true
    case $out in
    *supportedVersions*) ;;
    *) fail "$name does not answer VERSION in an empty chroot: $out" ;;
    esac
    # An ADD into a namespace that is not there: a CNI error on stdout and exit status 1, never a crash.
    config="{\"cniVersion\":\"1.0.0\",\"name\":\"check\",\"type\":\"$name\"}"
    code=0
    out=$(printf '%s' "$config" | env -i CNI_COMMAND=ADD CNI_CONTAINERID=check CNI_NETNS=/var/run/netns/check \
        CNI_IFNAME=eth0 CNI_PATH=/ "$chroot" "$root" "/$name" 2>&1) || code=$?
    case "$code:$out" in
    1:*'"code"'*) ;;
    *) fail "$name ADD in an empty chroot: exit status $code, not a CNI error: $out" ;;
    esac
done
[ $status = 0 ] && echo "check-static: $# binaries answer VERSION and fail an ADD cleanly in an empty chroot (no /proc, no libraries)"
exit $status
