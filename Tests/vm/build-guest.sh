#!/bin/bash
# Builds (or finds in the cache) the stock-kernel guest: Debian's kernel, the one linux-image-amd64
# depends on, and a small busybox initramfs with the modules listed in Tests/vm/modules.
#
#   Tests/vm/build-guest.sh            prints KERNEL=<path> and INITRD=<path> (shell assignments)
#
# Cache: $VM_CACHE (default /var/cache/swift-cni-vm)/<kernel version>/ holds vmlinuz and the unpacked
# modules (after depmod); initramfs-<hash>.cpio is rebuilt only when the init, the module list,
# busybox or this script change. Nothing is written into the repository.
# Environment: VM_CACHE, VM_KERNEL_PACKAGE (default: what linux-image-amd64 depends on).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${VM_CACHE:-/var/cache/swift-cni-vm}
log() { echo "scni-vm: $*" >&2; }
die() { echo "scni-vm: error: $*" >&2; exit 1; }

for tool in busybox cpio depmod dpkg-deb apt-get flock sha256sum xz; do
    command -v "$tool" >/dev/null || die "$tool is missing: run 'make vm-deps' (Debian packages qemu-system-x86 busybox-static cpio kmod xz-utils)"
done
[ "$(id -u)" = 0 ] || die "building the guest needs root (apt-get download into $cache)"
busybox_bin=$(command -v busybox)
if ldd "$busybox_bin" >/dev/null 2>&1; then die "$busybox_bin is not static: install busybox-static"; fi

# The kernel package: what the linux-image-amd64 metapackage depends on, e.g. linux-image-6.1.0-56-amd64.
kernel_package() {
    apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}
pkg=${VM_KERNEL_PACKAGE:-$(kernel_package)}
if [ -z "$pkg" ]; then
    log "apt has no package lists: apt-get update"
    apt-get update -qq
    pkg=$(kernel_package)
fi
[ -n "$pkg" ] || die "cannot tell which kernel linux-image-amd64 depends on (apt-cache depends linux-image-amd64)"
kver=${pkg#linux-image-}
dir=$cache/$kver

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9   # one build at a time; a concurrent run waits and then finds the cache

# 1. The kernel and its modules, once per kernel version.
if [ ! -e "$dir/.complete" ]; then
    log "fetching $pkg (once; cached in $dir)"
    rm -rf "$dir" "$dir.tmp"
    mkdir -p "$dir.tmp/deb"
    download() { (cd "$dir.tmp" && apt-get download "$pkg" >/dev/null 2>"$dir.tmp/download.err"); }
    if ! download; then
        log "apt-get download failed: apt-get update (stale package lists?) and once more"
        apt-get update -qq
        pkg=${VM_KERNEL_PACKAGE:-$(kernel_package)}
        [ "${pkg#linux-image-}" = "$kver" ] || die "linux-image-amd64 now depends on $pkg: run again"
        download || { cat "$dir.tmp/download.err" >&2; die "apt-get download $pkg failed"; }
    fi
    dpkg-deb -x "$dir.tmp"/*.deb "$dir.tmp/deb"
    # usrmerge or not, the modules are in lib/modules or usr/lib/modules.
    moddir=$(find "$dir.tmp/deb" -maxdepth 3 -type d -path "*lib/modules" | head -1)
    [ -n "$moddir" ] && [ -d "$moddir/$kver" ] || die "$pkg has no modules for $kver"
    mkdir -p "$dir.tmp/root/lib"
    mv "$moddir" "$dir.tmp/root/lib/modules"
    mv "$dir.tmp/deb/boot/vmlinuz-$kver" "$dir.tmp/vmlinuz"
    mv "$dir.tmp/deb/boot/config-$kver" "$dir.tmp/config"
    # Booting the uncompressed ELF through its PVH entry point skips the firmware's real-mode loader
    # and the xz decompression, which cost several seconds under TCG. Fall back to the bzImage.
    if grep -q '^CONFIG_PVH=y' "$dir.tmp/config" && grep -q '^CONFIG_KERNEL_XZ=y' "$dir.tmp/config"; then
        offset=$( { LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$dir.tmp/vmlinuz" | LC_ALL=C cut -d: -f1 | head -n1; } 2>/dev/null || true)
        if [ -n "$offset" ] && xz -dc --single-stream < <(tail -c +"$((offset + 1))" "$dir.tmp/vmlinuz") >"$dir.tmp/vmlinux" 2>/dev/null \
            && [ "$(head -c 4 "$dir.tmp/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ]; then
            :
        else
            rm -f "$dir.tmp/vmlinux"
        fi
    fi
    depmod -b "$dir.tmp/root" "$kver"   # the package ships no modules.dep
    rm -rf "$dir.tmp/deb" "$dir.tmp"/*.deb "$dir.tmp/download.err"
    touch "$dir.tmp/.complete"
    mv "$dir.tmp" "$dir"
fi
modroot=$dir/root/lib/modules/$kver

# 2. The initramfs, keyed by everything that goes into it.
key=$( { cat "$here/init" "$here/modules" "$0"; sha256sum "$busybox_bin"; echo "$kver"; } | sha256sum | cut -c1-16)
initrd=$dir/initramfs-$key.cpio
if [ ! -e "$initrd" ]; then
    log "building the initramfs ($initrd)"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work"/{bin,dev,proc,sys,lower,rw,newroot,lib/modules}
    cp "$busybox_bin" "$work/bin/busybox"
    cp "$here/init" "$work/init"
    chmod 0755 "$work/init"

    # Insertion order from modules.dep: every module after the modules it depends on. modules.dep lists
    # a module's whole dependency closure; visiting it in reverse (as modprobe does) and recursing
    # gives a valid order even when lines disagree.
    wanted=$(sed -e 's/#.*//' "$here/modules" | tr -s ' \t' '\n\n' | sed '/^$/d')
    order=$(awk -v wanted="$wanted" '
        BEGIN { n = split(wanted, want, "\n") }
        {
            path = $1; sub(/:$/, "", path)
            deps[path] = ""
            for (i = NF; i >= 2; i--) deps[path] = deps[path] " " $i
            name = path; sub(/.*\//, "", name); sub(/\.ko(\.[a-z]+)?$/, "", name); gsub(/-/, "_", name)
            byname[name] = path
        }
        function visit(p,    d, k, i) {
            if (p in seen) return
            seen[p] = 1
            k = split(deps[p], d, " ")
            for (i = 1; i <= k; i++) visit(d[i])
            print p
        }
        END {
            for (i = 1; i <= n; i++) {
                m = want[i]; gsub(/-/, "_", m)
                if (!(m in byname)) { print "MISSING " want[i]; continue }
                visit(byname[m])
            }
        }' "$modroot/modules.dep")
    if missing=$(grep '^MISSING ' <<<"$order"); then
        die "modules not in $kver: $(echo "$missing" | cut -d' ' -f2 | tr '\n' ' ')(see Tests/vm/modules)"
    fi
    while read -r path; do
        file=$(basename "$path")
        case "$file" in
            *.ko) cp "$modroot/$path" "$work/lib/modules/$file" ;;
            *.ko.xz) xz -dc "$modroot/$path" >"$work/lib/modules/${file%.xz}" ;;
            *.ko.zst) zstd -qdc "$modroot/$path" >"$work/lib/modules/${file%.zst}" ;;
            *) die "unknown module format: $path" ;;
        esac
        echo "${file%.ko*}"
    done <<<"$order" >"$work/lib/modules/order"
    echo "$kver" >"$work/kernel-version"
    (cd "$work" && find . -mindepth 1 | sort | cpio -o -H newc --quiet -R 0:0) >"$initrd.tmp"
    mv "$initrd.tmp" "$initrd"
    # Older initramfs of this kernel are stale now.
    find "$dir" -maxdepth 1 -name 'initramfs-*.cpio' ! -name "$(basename "$initrd")" -delete
    log "initramfs: $(wc -l <"$work/lib/modules/order") modules, $(( $(stat -c %s "$initrd") / 1024 )) KiB"
fi

if [ -e "$dir/vmlinux" ]; then echo "KERNEL=$dir/vmlinux"; else echo "KERNEL=$dir/vmlinuz"; fi
echo "INITRD=$initrd"
echo "KERNEL_VERSION=$kver"
