#!/bin/bash
# Kernel-features smoke suite: proves the kernel under test has what the plugins use and this
# project's usual host kernel lacks (Geneve, bridge VLAN filtering, 802.1q), with traffic where it
# matters. Runs in the stock-kernel guest (Tests/vm/suites); everything happens inside throwaway
# network namespaces (scni-vmk-<id>-*), removed at the end, also on failure.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
failures=0 passes=0

ns() { echo "scni-vmk-$id-$1"; }
# Tests run in subshells: find their namespaces by this run's prefix.
cleanup() { for n in $(ip netns list | awk -v p="scni-vmk-$id-" 'index($1, p) == 1 { print $1 }'); do ip netns del "$n"; done; }
trap cleanup EXIT

# A throwaway netns with lo up; its name is ns <label>.
mkns() {
    local n; n=$(ns "$1")
    ip netns add "$n" && ip -n "$n" link set lo up
}
# A pod: netns <pod> with eth0 (address <cidr>) whose peer <port> sits in <node>, up.
pod() {
    local node=$(ns "$1") pod=$(ns "$2") port=$3 cidr=$4
    mkns "$2"
    ip -n "$node" link add "$port" type veth peer name eth0 netns "$pod"
    ip -n "$pod" addr add "$cidr" dev eth0
    ip -n "$pod" link set eth0 up
    ip -n "$node" link set "$port" up
}
reaches() { ip netns exec "$(ns "$1")" ping -q -c 1 -W 3 "$2" >/dev/null; }
isolated() { ! ip netns exec "$(ns "$1")" ping -q -c 1 -W 1 "$2" >/dev/null; }
# `ip -d link show` of <dev> in <ns> must contain <text>.
shows() { ip -n "$(ns "$1")" -d link show dev "$2" | grep -q -- "$3" || { ip -n "$(ns "$1")" -d link show dev "$2"; false; }; }

# Runs test function <fn> in a subshell with -e and -x (the trace is shown only when it fails).
# (Not inside `if`: bash ignores -e in a condition, even in a subshell that sets it.)
check() {
    local fn=$1 description=$2 out status started=$EPOCHREALTIME took
    out=$( (set -ex; "$fn") 2>&1 )
    status=$?
    took=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    if [ $status = 0 ]; then
        echo "ok - $description (${took} s)"; passes=$((passes + 1))
    else
        echo "not ok - $description (${took} s)"; echo "$out" | sed 's/^/    /'; failures=$((failures + 1))
    fi
}

geneve_devices() {
    mkns gnv
    # The command of the issue, then the overlay's shape: one device per peer node, same VNI and
    # port, different remotes (the kernel's geneve has no FDB).
    ip -n "$(ns gnv)" link add gnv42 type geneve id 42 remote 192.0.2.2
    shows gnv gnv42 "geneve id 42 remote 192.0.2.2"
    ip -n "$(ns gnv)" link add gnv42b mtu 1450 type geneve id 42 remote 192.0.2.3 dstport 6081
    shows gnv gnv42b "geneve id 42 remote 192.0.2.3"
    shows gnv gnv42b "mtu 1450"
}

geneve_overlay_traffic() {
    # Two "nodes" on an underlay veth, a bridge + Geneve tunnel port (isolated) in each, one pod per node.
    mkns na; mkns nb
    ip -n "$(ns na)" link add under type veth peer name under netns "$(ns nb)"
    ip -n "$(ns na)" addr add 192.0.2.1/24 dev under; ip -n "$(ns na)" link set under up
    ip -n "$(ns nb)" addr add 192.0.2.2/24 dev under; ip -n "$(ns nb)" link set under up
    local node peer
    for node in na nb; do
        [ $node = na ] && peer=192.0.2.2 || peer=192.0.2.1
        ip -n "$(ns $node)" link add l2o42 type bridge
        ip -n "$(ns $node)" link add gnv0 mtu 1450 type geneve id 42 remote $peer
        ip -n "$(ns $node)" link set gnv0 master l2o42 up
        bridge -n "$(ns $node)" link set dev gnv0 isolated on
        ip -n "$(ns $node)" link set l2o42 up
    done
    bridge -n "$(ns na)" -d link show dev gnv0 | grep -q "isolated on"
    pod na pa vpa 10.42.0.1/24; ip -n "$(ns na)" link set vpa master l2o42
    pod nb pb vpb 10.42.0.2/24; ip -n "$(ns nb)" link set vpb master l2o42
    ip -n "$(ns pa)" link set eth0 mtu 1450; ip -n "$(ns pb)" link set eth0 mtu 1450
    reaches pa 10.42.0.2
    # Full-size frames for the overlay MTU cross too (no fragmentation of the tunnel).
    ip netns exec "$(ns pa)" ping -q -c 1 -W 3 -M do -s 1422 10.42.0.2 >/dev/null
}

bridge_vlan_filtering() {
    # Access ports on VLAN 100 talk, VLAN 200 is apart, a trunk port carries 100 tagged to an 802.1q device.
    mkns vn
    ip -n "$(ns vn)" link add br0 type bridge vlan_filtering 1 vlan_default_pvid 0
    ip -n "$(ns vn)" link set br0 up
    shows vn br0 "vlan_filtering 1"
    pod vn v1 p1 10.10.0.1/24; pod vn v2 p2 10.10.0.2/24; pod vn v3 p3 10.10.0.3/24; pod vn v4 p4 10.77.0.9/24
    local port
    for port in p1 p2 p3 p4; do ip -n "$(ns vn)" link set "$port" master br0; done
    bridge -n "$(ns vn)" vlan add dev p1 vid 100 pvid untagged
    bridge -n "$(ns vn)" vlan add dev p2 vid 100 pvid untagged
    bridge -n "$(ns vn)" vlan add dev p3 vid 200 pvid untagged
    bridge -n "$(ns vn)" vlan add dev p4 vid 100-101   # trunk: tagged
    bridge -n "$(ns vn)" -j vlan show dev p1 | grep -q '"vlan":100,"flags":\["PVID","Egress Untagged"\]'
    ip -n "$(ns v4)" link add link eth0 name eth0.100 type vlan id 100
    shows v4 eth0.100 "vlan protocol 802.1Q id 100"
    ip -n "$(ns v4)" addr add 10.10.0.4/24 dev eth0.100
    ip -n "$(ns v4)" link set eth0.100 up
    reaches v1 10.10.0.2
    isolated v1 10.10.0.3
    reaches v1 10.10.0.4
}

vlan_8021q_device() {
    mkns q
    ip -n "$(ns q)" link add trunk0 type veth peer name trunk1
    ip -n "$(ns q)" link add link trunk0 name trunk0.42 type vlan id 42
    ip -n "$(ns q)" link add link trunk0 name trunk0.s type vlan protocol 802.1ad id 7
    shows q trunk0.42 "vlan protocol 802.1Q id 42"
    shows q trunk0.s "vlan protocol 802.1ad id 7"
}

nftables_bridge_family() {
    mkns nft
    ip netns exec "$(ns nft)" nft add table bridge scni
    ip netns exec "$(ns nft)" nft add chain bridge scni forward '{ type filter hook forward priority 0; }'
    ip netns exec "$(ns nft)" nft add rule bridge scni forward iifname "p*" ether saddr != 02:00:00:00:00:01 counter drop
    ip netns exec "$(ns nft)" nft list table bridge scni | grep -q "ether saddr != 02:00:00:00:00:01"
}

macvtap_device() {
    mkns mvt
    ip -n "$(ns mvt)" link add nic0 type veth peer name nic1
    ip -n "$(ns mvt)" link add link nic0 name mvt0 type macvtap mode bridge
    shows mvt mvt0 "macvtap mode bridge"
}

echo "kernel features of $(uname -r):"
check geneve_devices "geneve devices (id 42, one per remote, same VNI and port)"
check geneve_overlay_traffic "two nodes, bridge + isolated Geneve port each: pod to pod over the tunnel at MTU 1450"
check bridge_vlan_filtering "bridge vlan_filtering 1: access VLANs apart, trunk port to an 802.1q device"
check vlan_8021q_device "802.1q and 802.1ad devices"
check nftables_bridge_family "nftables bridge family (spoof-check shape)"
check macvtap_device "macvtap on a veth"
echo "kernel features: $passes passed, $failures failed"
[ "$failures" = 0 ]
