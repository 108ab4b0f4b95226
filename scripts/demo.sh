#!/bin/sh
# make demo: a short real run a newcomer can watch. Everything happens in throwaway network
# namespaces ("node" and "pod") that are removed at the end, also on failure or Ctrl-C.
# Chain: the reference ptp + host-local give the pod an interface, our tuning sets a custom MAC from
# the runtime (capability "mac", as Multus/KubeVirt pass it), an MTU and a sysctl; DEL puts them back.
set -eu
: "${SWIFT_CNI_BIN:?run it with make demo}" "${CNI_RUNNER:?run it with make demo}"
id=$$; node="scni-demo$id-node"; pod="scni-demo$id-pod"; work=$(mktemp -d)
cleanup() { ip netns del "$node" 2>/dev/null || true; ip netns del "$pod" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

ip netns add "$node"; ip netns add "$pod"
ip -n "$node" link set lo up; ip -n "$pod" link set lo up
mkdir -p "$work/net.d"
cat > "$work/net.d/demo.conflist" <<JSON
{ "cniVersion": "1.0.0", "name": "demo",
  "plugins": [
    { "type": "ptp", "ipam": { "type": "host-local", "subnet": "10.250.9.0/24", "dataDir": "$work/ipam" } },
    { "type": "tuning", "capabilities": { "mac": true }, "mtu": 1400, "dataDir": "$work/tuning",
      "sysctl": { "net.ipv4.conf.IFNAME.arp_filter": "1" } } ] }
JSON
cat "$work/net.d/demo.conflist"
cni() {
  ip netns exec "$node" env NETCONFPATH="$work/net.d" CNI_PATH="$SWIFT_CNI_BIN:/usr/lib/cni" \
    CNI_CACHE_DIR="$work/cache" CNI_IFNAME=net1 CNI_CONTAINERID=demo$id \
    CNI_ARGS="IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=demo" \
    CAP_ARGS='{"mac":"c2:11:22:33:44:55"}' "$CNI_RUNNER" "$@" demo "/var/run/netns/$pod"
}

step "ADD through libcni: ptp + host-local, then our tuning"
cni add | tee "$work/result.json"
step "the pod's interface: custom MAC c2:11:22:33:44:55, MTU 1400"
ip -n "$pod" addr show dev net1
printf 'arp_filter in the pod: %s\n' "$(ip netns exec "$pod" cat /proc/sys/net/ipv4/conf/net1/arp_filter)"
step "traffic: the pod pings its gateway on the node side"
gw=$(sed -n 's/.*"gateway": *"\([^"]*\)".*/\1/p' "$work/result.json" | head -n 1)
ip netns exec "$pod" ping -c 2 -W 2 "$gw"
step "CHECK: nothing drifted"
cni check && echo "CHECK passed"
step "change the MTU behind the plugin's back, CHECK catches it"
ip -n "$pod" link set dev net1 mtu 1300
cni check || true
step "DEL: tuning restores, then ptp removes the interface"
cni del && echo "DEL passed"
ip -n "$pod" link show
step "done: namespaces are removed on exit"
