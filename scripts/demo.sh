#!/bin/sh
# make demo: what each plugin does, in turn, in throwaway network namespaces ("node" and "pod" ones)
# that are removed at the end, also on failure or Ctrl-C. Every step goes through libcni (the runner
# Multus and containerd use), as a runtime calls the plugins:
#   1. bridge: a VM-style port with a custom MAC (the runtime's `mac` capability, as KubeVirt passes
#      it) and the MAC spoof check: the pod reaches its gateway; with a spoofed source MAC it does not.
#   2. macvtap: a macvtap on the node's NIC moved into the pod, with its /dev/tap for the VM's qemu.
#   3. tuning: chained after ptp + host-local: a MAC, an MTU and a sysctl, put back on DEL.
#   4. layer2-overlay: two nodes, one pod each, pinging across the Geneve overlay (where the kernel
#      has Geneve; it says so where it has not).
set -eu
: "${SWIFT_CNI_BIN:?run it with make demo}" "${CNI_RUNNER:?run it with make demo}"
id=$$; work=$(mktemp -d); namespaces=""
# The node policy the plugins read (README: Multi-tenant safety): state, logs and the overlay's peers
# file in $work; everything else at its safe default.
printf '{"stateDirectories": ["%s"], "peersDirectory": "%s"}\n' "$work" "$work" > "$work/policy.json"
cleanup() {
  for ns in $namespaces; do
    # layer2-overlay's segment records live per node netns in /run/cni/swift-cni/overlay.
    inode=$(stat -L -c %i "/var/run/netns/$ns" 2>/dev/null) && rm -rf "/run/cni/swift-cni/overlay/netns-$inode"
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
netns() { ip netns add "$1"; namespaces="$namespaces $1"; ip -n "$1" link set lo up; }
# cni NODE POD NETWORK COMMAND [CAP_ARGS]: one libcni call with the network's conflist from $work/net.d
# (or from $work/net.d-NODE when the nodes have their own, as the overlay's two have).
cni() {
  confdir="$work/net.d"; [ -d "$work/net.d-$1" ] && confdir="$work/net.d-$1"
  ip netns exec "$1" env NETCONFPATH="$confdir" CNI_PATH="$SWIFT_CNI_BIN:/usr/lib/cni" \
    CNI_CACHE_DIR="$work/cache-$1" CNI_IFNAME=net1 CNI_CONTAINERID="demo$id$2" \
    CNI_ARGS="IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$2" \
    CAP_ARGS="${5:-{\}}" SWIFT_CNI_POLICY="$work/policy.json" "$CNI_RUNNER" "$4" "$3" "/var/run/netns/$2"
}
# conflist NAME [DIR]: stdin becomes DIR/NAME.conflist (DIR: $work/net.d)
conflist() { dir=${2:-$work/net.d}; mkdir -p "$dir"; cat > "$dir/$1.conflist"; }
gateway() { sed -n 's/.*"gateway": *"\([^"]*\)".*/\1/p' "$1" | head -n 1; }

# --- 1. bridge --------------------------------------------------------------------------------
node="scni-demo$id-node" pod="scni-demo$id-vm"
netns "$node"; netns "$pod"
conflist br-spoof <<JSON
{ "cniVersion": "1.0.0", "name": "br-spoof",
  "plugins": [ { "type": "bridge", "bridge": "br-demo", "isGateway": true, "macspoofchk": true,
                 "capabilities": { "mac": true }, "dataDir": "$work/bridge",
                 "ipam": { "type": "host-local", "subnet": "10.250.21.0/24", "dataDir": "$work/ipam" } } ] }
JSON
step "1. bridge: a VM's port with the custom MAC c2:11:22:33:44:55 and the MAC spoof check"
cat "$work/net.d/br-spoof.conflist"
cni "$node" "$pod" br-spoof add '{"mac":"c2:11:22:33:44:55"}' > "$work/bridge.json"
ip -n "$pod" -br link show dev net1
gw=$(gateway "$work/bridge.json")
step "the VM pings its gateway $gw on the bridge"
ip netns exec "$pod" ping -c 2 -W 2 "$gw"
step "the VM spoofs its source MAC (c2:66:66:66:66:66): the node drops its frames"
ip -n "$pod" link set dev net1 address c2:66:66:66:66:66
ip -n "$pod" neigh flush dev net1
if ip netns exec "$pod" ping -c 2 -W 1 "$gw" >/dev/null 2>&1; then echo "spoofed frames got through"; exit 1; fi
echo "no reply: the spoofed frames were dropped; the drop rule of the pod's port:"
ip netns exec "$node" nft list table bridge swiftcni | grep -m 3 -E 'ether saddr|drop' || true
step "back to its own MAC: traffic flows again"
ip -n "$pod" link set dev net1 address c2:11:22:33:44:55
ip netns exec "$pod" ping -c 1 -W 2 "$gw"
cni "$node" "$pod" br-spoof del '{"mac":"c2:11:22:33:44:55"}' && echo "DEL: port, rules and lease gone"

# --- 2. macvtap -------------------------------------------------------------------------------
pod="scni-demo$id-mvt"; netns "$pod"
ip -n "$node" link add eth1 type veth peer name eth1-peer
ip -n "$node" link set eth1 up; ip -n "$node" link set eth1-peer up
conflist macvtap <<JSON
{ "cniVersion": "1.0.0", "name": "macvtap",
  "plugins": [ { "type": "macvtap", "master": "eth1", "mode": "bridge", "mtu": 1500,
                 "capabilities": { "mac": true }, "dataDir": "$work/macvtap" } ] }
JSON
step "2. macvtap: a macvtap on the node's NIC eth1, moved into the pod for the VM's tap"
cni "$node" "$pod" macvtap add '{"mac":"c2:11:22:33:44:77"}' > /dev/null
ip -n "$pod" -d link show dev net1 | sed -n '1,3p'
index=$(ip netns exec "$pod" cat /sys/class/net/net1/ifindex)
ls -l "/dev/tap$index" 2>/dev/null | sed 's/^/character device for qemu: /' || echo "(no /dev/tap$index: this host has no devtmpfs node for it)"
cni "$node" "$pod" macvtap del && echo "DEL: the macvtap is gone from the pod"
step "a tenant's NAD naming the node's own uplink (eth0, with the node's address) is refused"
ip -n "$node" link add eth0 type veth peer name eth0-peer
ip -n "$node" addr add 192.0.2.10/24 dev eth0; ip -n "$node" link set eth0 up
conflist take-uplink <<JSON
{ "cniVersion": "1.0.0", "name": "take-uplink",
  "plugins": [ { "type": "macvtap", "master": "eth0", "mode": "passthru", "dataDir": "$work/macvtap" } ] }
JSON
if cni "$node" "$pod" take-uplink add; then echo "the node's NIC was taken"; exit 1; fi

# --- 3. tuning --------------------------------------------------------------------------------
pod="scni-demo$id-pod"; netns "$pod"
conflist tuning <<JSON
{ "cniVersion": "1.0.0", "name": "tuning",
  "plugins": [
    { "type": "ptp", "ipam": { "type": "host-local", "subnet": "10.250.9.0/24", "dataDir": "$work/ipam" } },
    { "type": "tuning", "capabilities": { "mac": true }, "mtu": 1400, "dataDir": "$work/tuning",
      "sysctl": { "net.ipv4.conf.IFNAME.arp_filter": "1" } } ] }
JSON
step "3. tuning, chained after ptp + host-local: custom MAC c2:11:22:33:44:55, MTU 1400, a sysctl"
cni "$node" "$pod" tuning add '{"mac":"c2:11:22:33:44:55"}' > "$work/tuning.json"
ip -n "$pod" addr show dev net1
printf 'arp_filter in the pod: %s\n' "$(ip netns exec "$pod" cat /proc/sys/net/ipv4/conf/net1/arp_filter)"
ip netns exec "$pod" ping -c 1 -W 2 "$(gateway "$work/tuning.json")"
step "the MTU changed behind the plugin's back: CHECK catches it"
ip -n "$pod" link set dev net1 mtu 1300
cni "$node" "$pod" tuning check '{"mac":"c2:11:22:33:44:55"}' || true
cni "$node" "$pod" tuning del '{"mac":"c2:11:22:33:44:55"}' && echo "DEL: tuning restored, ptp removed the interface"

# --- 4. layer2-overlay ------------------------------------------------------------------------
step "4. layer2-overlay: two nodes, one L2 segment over Geneve"
a="scni-demo$id-nodea" b="scni-demo$id-nodeb"
netns "$a"; netns "$b"
if ! ip -n "$a" link add scnigeneve type geneve id 1 remote 192.0.2.2 2>/dev/null; then
  echo "this kernel ($(uname -r)) has no Geneve: the overlay part is skipped."
  echo "make test-vm runs it between three nodes in Debian's stock kernel (OverlayAcrossNodes)."
  step "done: namespaces are removed on exit"; exit 0
fi
ip -n "$a" link del scnigeneve
ip -n "$a" link add underlay type veth peer name underlay netns "$b"
ip -n "$a" addr add 192.0.2.1/24 dev underlay; ip -n "$a" link set underlay up
ip -n "$b" addr add 192.0.2.2/24 dev underlay; ip -n "$b" link set underlay up
printf '192.0.2.1\n192.0.2.2\n' > "$work/nodes"  # what swift-cni-node keeps from the Node list
for n in a b; do
  node=$a ip=10.99.0.1; [ $n = b ] && node=$b ip=10.99.0.2
  conflist l2net "$work/net.d-$node" <<JSON
{ "cniVersion": "1.0.0", "name": "l2net",
  "plugins": [ { "type": "layer2-overlay", "vni": 4242, "peersFile": "nodes", "dataDir": "$work/l2o-$n",
                 "ipam": { "type": "static", "addresses": [ { "address": "$ip/24" } ] } } ] }
JSON
  netns "scni-demo$id-pod$n"
  cni "$node" "scni-demo$id-pod$n" l2net add > /dev/null
done
ip -n "$a" -d link show type geneve | sed -n '1,3p'
step "the pod on node a pings the pod on node b across the tunnel"
ip netns exec "scni-demo$id-poda" ping -c 3 -W 2 10.99.0.2
cni "$a" "scni-demo$id-poda" l2net del && cni "$b" "scni-demo$id-podb" l2net del && echo "DEL: both pods detached"
step "done: namespaces are removed on exit"
