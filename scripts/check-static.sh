#!/bin/sh
# Fails when one of the given executables needs a shared library beyond glibc and the C/C++ runtime:
# Multus may run a plugin chrooted into the host's root, where libnl, libmnl or libnftnl may be missing.
# Usage: check-static.sh BINARY...
set -eu
allowed='^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libutil\.so\.1|libstdc\+\+\.so\.6|libgcc_s\.so\.1|/lib64/ld-linux-x86-64\.so\.2|/lib/ld-linux-aarch64\.so\.1)$'
status=0
[ $# -gt 0 ] || { echo "check-static: no binaries given" >&2; exit 2; }
for binary in "$@"; do
    [ -x "$binary" ] || { echo "check-static: $binary is missing" >&2; status=1; continue; }
    libs=$(ldd "$binary" | awk '{print $1}')
    extra=$(printf '%s\n' "$libs" | grep -Ev "$allowed" || true)
    if [ -n "$extra" ]; then
        echo "check-static: $binary needs shared libraries beyond glibc and the C++ runtime:" $extra >&2
        status=1
    fi
done
[ $status = 0 ] && echo "check-static: $# binaries need only glibc and the C/C++ runtime"
exit $status
