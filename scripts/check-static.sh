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
[ $status = 0 ] || exit $status
echo "check-static: $# binaries need only glibc and the C/C++ runtime"

# As root: run each plugin's VERSION in a chroot holding nothing but the plugin and those libraries,
# as Multus does when it execs plugins chrooted into a host root that may lack libnl and friends.
[ "$(id -u)" = 0 ] || exit 0
chroot=$(command -v chroot)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
for binary in "$@"; do
    cp "$binary" "$root/"
    for lib in $(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
done
for binary in "$@"; do
    name=$(basename "$binary")
    out=$(env -i CNI_COMMAND=VERSION "$chroot" "$root" "/$name" < /dev/null 2>&1) || true
    case $out in
    *supportedVersions*) ;;
    *) echo "check-static: $name does not run in a chroot with only glibc and the C++ runtime: $out" >&2; status=1 ;;
    esac
done
[ $status = 0 ] && echo "check-static: $# binaries answer VERSION in a chroot holding only them and $(find "$root" -name '*.so*' | wc -l) runtime libraries"
exit $status
