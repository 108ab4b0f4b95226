#!/bin/sh
# Writes the functions the plugins run in a typical invocation, one mangled name a line: make build
# links them first (lld --symbol-ordering-file), so the code a plugin runs sits in a few hundred KiB of
# the executable instead of being spread over its 10 MiB of text, and start-up maps and faults in that
# much less (peak RSS and start-up time; bench/results.md). A name that no longer exists is skipped, so a
# stale list only orders less; regenerate it after larger changes with `make startup-order`.
# Usage (as root: throwaway network namespaces; needs valgrind): startup-order.sh RELEASE_DIR OUTPUT
set -eu
bin=$1
out=$2
work=$(mktemp -d)
tag=sco$$
node=$tag-node
pod=$tag-pod
cleanup() {
    ip netns del "$node" 2>/dev/null || true
    ip netns del "$pod" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$node"
ip netns add "$pod"
ip -n "$node" link set lo up
ip -n "$pod" link set lo up
ip -n "$node" link add lower0 type veth peer name lower0p
ip -n "$node" addr add 192.0.2.1/24 dev lower0
ip -n "$node" link set lower0 up
ip -n "$node" link set lower0p up
ip -n "$pod" link add net1 type veth peer name peer1
ip -n "$pod" link set net1 up

n=0
# profile PLUGIN COMMAND CONFIG: one invocation under callgrind, inside the node namespace.
profile() {
    n=$((n + 1))
    objcopy --strip-debug "$bin/$1" "$work/$1"  # valgrind 3.19 cannot read Swift's DWARF 5
    printf '%s' "$3" | ip netns exec "$node" env -i CNI_COMMAND="$2" CNI_CONTAINERID=order CNI_NETNS="/run/netns/$pod" \
        CNI_IFNAME="${IFNAME:-eth1}" CNI_PATH="$bin:/usr/lib/cni" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        valgrind --tool=callgrind --demangle=no -q --callgrind-out-file="$work/$n.out" "$work/$1" > "$work/$n.json" 2>/dev/null || true
}
# add_del PLUGIN CONFIG: ADD, then DEL with the ADD's result as prevResult.
add_del() {
    profile "$1" ADD "$2"
    result=$(cat "$work/$n.json")
    profile "$1" DEL "${2%\}},\"prevResult\":$result}"
}

for p in tuning bridge macvtap layer2-overlay; do profile $p VERSION '{"cniVersion":"1.0.0"}'; done
data=$work/data
IFNAME=net1 add_del tuning "{\"cniVersion\":\"1.0.0\",\"name\":\"order\",\"type\":\"tuning\",\"mac\":\"c2:00:00:00:00:02\",\"mtu\":1400,\"promisc\":true,\"allmulti\":true,\"txQLen\":2000,\"sysctl\":{\"net.ipv4.conf.all.arp_filter\":\"1\"},\"dataDir\":\"$data/tuning\",\"prevResult\":{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"net1\",\"sandbox\":\"/run/netns/$pod\"}],\"ips\":[]}}"
add_del bridge "{\"cniVersion\":\"1.0.0\",\"name\":\"order\",\"type\":\"bridge\",\"bridge\":\"br-order\",\"macspoofchk\":true,\"dataDir\":\"$data/bridge\"}"
add_del bridge "{\"cniVersion\":\"1.0.0\",\"name\":\"order-ipam\",\"type\":\"bridge\",\"bridge\":\"br-order\",\"isGateway\":true,\"dataDir\":\"$data/bridge\",\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.250.99.0/24\",\"dataDir\":\"$data/ipam\"}}"
add_del macvtap "{\"cniVersion\":\"1.0.0\",\"name\":\"order\",\"type\":\"macvtap\",\"master\":\"lower0\",\"mode\":\"bridge\",\"mtu\":1500,\"dataDir\":\"$data/macvtap\"}"
add_del layer2-overlay "{\"cniVersion\":\"1.0.0\",\"name\":\"order\",\"type\":\"layer2-overlay\",\"vni\":4242,\"peers\":[\"192.0.2.1\"],\"macspoofchk\":true,\"dataDir\":\"$data/overlay\"}"

# Every function callgrind saw called, in name order (the order within the hot set hardly matters).
grep -hoE '^c?fn=\([0-9]+\) .*' "$work"/*.out | sed -E 's/^c?fn=\([0-9]+\) //' | grep -v '^0x' | LC_ALL=C sort -u > "$work/order"
[ "$(wc -l < "$work/order")" -gt 500 ] || { echo "startup-order: only $(wc -l < "$work/order") functions profiled" >&2; exit 1; }
mv "$work/order" "$out"
echo "startup-order: $(wc -l < "$out") functions in $out"
