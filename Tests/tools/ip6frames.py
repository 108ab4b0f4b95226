#!/usr/bin/env python3
"""Crafted IPv6 Neighbor Discovery frames for the spoof-check tests (standard library only).

Run inside a throwaway network namespace (`ip netns exec`), on the pod's or the peer's interface:

  ip6frames.py send IFACE KIND SRC_IP TARGET [LLADDR|-] [EXTRA_OPTIONS]
      KIND na (unsolicited Neighbor Advertisement, override flag, to ff02::1),
           ns (Neighbor Solicitation to the target's solicited-node group), ra (Router Advertisement
           to ff02::1; TARGET ignored). LLADDR: the MAC put in the first (source/target link-layer
           address) option, or - for none. EXTRA_OPTIONS: how many 8-byte nonce options follow it.
      The Ethernet source is the interface's own MAC. Each frame is sent 3 times, 0.05 s apart.
  ip6frames.py listen IFACE SECONDS
      Prints one JSON line per ICMPv6 NS/NA/RA seen on IFACE for SECONDS:
      {"type": 136, "src": "fd00::a", "target": "fd00::a", "lladdr": "02:..", "length": 32}.
  ip6frames.py udp-listen ADDRESS PORT SECONDS
      Exits 0 when one UDP datagram arrives at ADDRESS (IPv4 or IPv6) within SECONDS, 1 otherwise.
  ip6frames.py udp-send SOURCE DESTINATION PORT
      Sends 20 datagrams from SOURCE, 0.1 s apart (one way: no reply needed).
"""
import json
import socket
import struct
import sys
import time

ETH_P_ALL, ETH_P_IPV6 = 0x0003, 0x86DD
TYPES = {"ra": 134, "ns": 135, "na": 136}


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def multicast_mac(address):
    return b"\x33\x33" + address[12:]


def frame(iface_mac, kind, src, target, lladdr, extra):
    src_b = socket.inet_pton(socket.AF_INET6, src)
    target_b = socket.inet_pton(socket.AF_INET6, target)
    if kind == "ns":
        dst = socket.inet_pton(socket.AF_INET6, "ff02::1:ff00:0")[:13] + target_b[13:]
        body = struct.pack("!I", 0) + target_b
        option_type = 1
    elif kind == "na":
        dst = socket.inet_pton(socket.AF_INET6, "ff02::1")
        body = struct.pack("!I", 0x20000000) + target_b  # override
        option_type = 2
    else:
        dst = socket.inet_pton(socket.AF_INET6, "ff02::1")
        body = struct.pack("!BBHII", 64, 0, 1800, 0, 0)  # hop limit, flags, lifetime, reachable, retrans
        option_type = 1
    options = b""
    if lladdr != "-":
        options += bytes([option_type, 1]) + bytes.fromhex(lladdr.replace(":", ""))
    options += b"".join(bytes([14, 1]) + bytes([index + 1] * 6) for index in range(extra))
    icmp = bytes([TYPES[kind], 0, 0, 0]) + body + options
    pseudo = src_b + dst + struct.pack("!I3xB", len(icmp), 58)
    icmp = icmp[:2] + struct.pack("!H", checksum(pseudo + icmp)) + icmp[4:]
    ip6 = struct.pack("!IHBB", 0x60000000, len(icmp), 58, 255) + src_b + dst
    return multicast_mac(dst) + iface_mac + struct.pack("!H", ETH_P_IPV6) + ip6 + icmp


def send(iface, kind, src, target, lladdr="-", extra="0"):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IPV6))
    sock.bind((iface, 0))
    iface_mac = sock.getsockname()[4]
    data = frame(iface_mac, kind, src, target, lladdr, int(extra))
    for _ in range(3):
        sock.send(data)
        time.sleep(0.05)


def listen(iface, seconds):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((iface, 0))
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        sock.settimeout(max(deadline - time.time(), 0.01))
        try:
            data = sock.recv(2048)
        except socket.timeout:
            break
        if len(data) < 14 + 40 + 4 or struct.unpack("!H", data[12:14])[0] != ETH_P_IPV6 or data[20] != 58:
            continue
        icmp = data[54:]
        if icmp[0] not in (134, 135, 136):
            continue
        seen = {"type": icmp[0], "src": socket.inet_ntop(socket.AF_INET6, data[22:38]),
                "length": struct.unpack("!H", data[18:20])[0]}
        if icmp[0] in (135, 136) and len(icmp) >= 24:
            seen["target"] = socket.inet_ntop(socket.AF_INET6, icmp[8:24])
            if len(icmp) >= 32 and icmp[24] in (1, 2):
                seen["lladdr"] = ":".join("%02x" % b for b in icmp[26:32])
        print(json.dumps(seen), flush=True)


def family(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def endpoint(address, port):
    """(address, port[, flow, scope]) for bind/sendto; `fe80::1%eth0` gets its scope id."""
    return socket.getaddrinfo(address, int(port), family(address), socket.SOCK_DGRAM)[0][4]


def udp_listen(address, port, seconds):
    sock = socket.socket(family(address), socket.SOCK_DGRAM)
    sock.bind(endpoint(address, port))
    sock.settimeout(float(seconds))
    try:
        sock.recvfrom(64)
    except OSError:
        sys.exit(1)


def udp_send(source, destination, port):
    sock = socket.socket(family(destination), socket.SOCK_DGRAM)
    sock.bind(endpoint(source, 0))
    for _ in range(20):
        try:
            sock.sendto(b"scni", endpoint(destination, port))
        except OSError:
            pass
        time.sleep(0.1)


if __name__ == "__main__":
    {"send": send, "listen": listen, "udp-listen": udp_listen, "udp-send": udp_send}[sys.argv[1]](*sys.argv[2:])
