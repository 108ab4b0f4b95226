#!/bin/sh
# make image: an OCI image archive FROM scratch holding only the given static binaries at /, entrypoint
# /swift-cni-node. No Docker engine and no RUN: umoci writes the layer (unpack of the empty image,
# the binaries copied in, repack: Debian's umoci 0.4.7 `insert` writes truncated layers), the config
# and the manifest into an OCI layout, which tar turns into an oci-archive (what `skopeo copy oci-archive:...` and
# `podman load` read). File times and every "created" are the last commit's, so the same binaries
# give the same digest.
# Usage: image.sh OUT.tar TAG BINARY...
set -eu
out=$1 tag=$2; shift 2
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umoci init --layout "$work/oci"
umoci new --image "$work/oci:$tag"
umoci unpack --image "$work/oci:$tag" "$work/bundle" >/dev/null
root="$work/bundle/rootfs"
for binary in "$@"; do
    cp "$binary" "$root/"
    chmod 0755 "$root/$(basename "$binary")"
done
touch -d "@$epoch" "$root" "$root"/*
umoci repack --image "$work/oci:$tag" --history.created "$created" --history.created_by "make image" "$work/bundle"
umoci config --image "$work/oci:$tag" --created "$created" --history.created "$created" \
    --os linux --architecture amd64 --config.entrypoint /swift-cni-node --config.user 0 \
    --config.label org.opencontainers.image.title=swift-cni
umoci gc --layout "$work/oci"
mkdir -p "$(dirname "$out")"
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C "$work/oci" -cf "$out.new" .
mv "$out.new" "$out"
digest=$(sed -n 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$work/oci/index.json")
echo "image: $out ($(du -h "$out" | cut -f1)), tag $tag, manifest digest $digest"
