#!/usr/bin/env python3
"""Crafted frames for the spoof-check tests (standard library only): IPv6 Neighbor Discovery, and IPv4,
ARP, IPv6 UDP and other EtherTypes, each optionally under stacked VLAN tags, behind an extension
header or in fragments.

Run inside a throwaway network namespace (`ip netns exec`), on the pod's or the peer's interface:

  ip6frames.py send IFACE KIND SRC TARGET [LLADDR|-] [EXTRA_OPTIONS] [WORD...]
      KIND na (unsolicited Neighbor Advertisement, override flag, to ff02::1),
           ns (Neighbor Solicitation to the target's solicited-node group), ra (Router Advertisement
           to ff02::1; TARGET ignored). LLADDR: the MAC put in the first (source/target link-layer
           address) option, or - for none. EXTRA_OPTIONS: how many 8-byte nonce options follow it.
      KIND udp4 / udp6: a UDP datagram from SRC to TARGET, to the broadcast MAC (udp6: to TARGET's
           solicited-node group MAC), its payload the mark; arp: an ARP request from sender IP SRC for
           TARGET, sender MAC the interface's, the mark after it; raw: EtherType SRC (hex, e.g. 88b5)
           carrying only the mark (TARGET ignored). LLADDR and EXTRA_OPTIONS are - and 0 for them.
      WORDs: tags=88a8.5,8100.6 (VLAN tags outside in: TPID hex . VID), hbh (an 8-byte Hop-by-Hop header
           before the upper layer), frag=IDENT (the IPv6 packet in two fragments with Identification
           IDENT), mark=LABEL (payload marker, default the KIND), smac=MAC (Ethernet source, default
           the interface's MAC).
      Each frame is sent 3 times, 0.05 s apart.
  ip6frames.py send-lines IFACE
      As send, for each line of stdin (KIND SRC TARGET ... without IFACE): one process for many frames.
  ip6frames.py listen IFACE SECONDS
      Prints "ready" once listening, then one JSON line per frame seen on IFACE for SECONDS or until
      SIGTERM (what is queued by then is still read and printed) that is an ICMPv6 NS/NA/RA, a fragment
      or carries a mark, after any VLAN tags left in the frame:
      {"type": 136, "src": "fd00::a", "target": "fd00::a", "lladdr": "02:..", "length": 32, "smac": "02:.."}
      {"fragment": 16, "ident": 7, "src": "fd00::a"}    {"mark": "udp4", "tags": 1}.
  ip6frames.py udp-listen ADDRESS PORT SECONDS
      Exits 0 when one UDP datagram arrives at ADDRESS (IPv4 or IPv6) within SECONDS, 1 otherwise.
  ip6frames.py udp-send SOURCE DESTINATION PORT
      Sends 20 datagrams from SOURCE, 0.1 s apart (one way: no reply needed).
"""
import json
import signal
import socket
import struct
import sys
import time

ETH_P_ALL, ETH_P_IP, ETH_P_ARP, ETH_P_IPV6 = 0x0003, 0x0800, 0x0806, 0x86DD
TPIDS = (0x8100, 0x88A8, 0x9100)
TYPES = {"ra": 134, "ns": 135, "na": 136}
MARK = b"scni:"


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ip6(text):
    return socket.inet_pton(socket.AF_INET6, text)


def solicited_node(address):
    return ip6("ff02::1:ff00:0")[:13] + address[13:]


def multicast_mac(address):
    return b"\x33\x33" + address[12:]


def nd(kind, src_b, target_b, lladdr, extra):
    """(destination, ICMPv6 message) of an NS, NA or RA."""
    if kind == "ns":
        dst, body, option_type = solicited_node(target_b), struct.pack("!I", 0) + target_b, 1
    elif kind == "na":
        dst, body, option_type = ip6("ff02::1"), struct.pack("!I", 0x20000000) + target_b, 2  # override
    else:
        dst, option_type = ip6("ff02::1"), 1
        body = struct.pack("!BBHII", 64, 0, 1800, 0, 0)  # hop limit, flags, lifetime, reachable, retrans
    options = b""
    if lladdr != "-":
        options += bytes([option_type, 1]) + bytes.fromhex(lladdr.replace(":", ""))
    options += b"".join(bytes([14, 1]) + bytes([index + 1] * 6) for index in range(extra))
    return dst, bytes([TYPES[kind], 0, 0, 0]) + body + options


def with_checksum(message, offset, src_b, dst_b, protocol):
    pseudo = src_b + dst_b + struct.pack("!I3xB", len(message), protocol)
    return message[:offset] + struct.pack("!H", checksum(pseudo + message)) + message[offset + 2:]


def ipv6_packets(src_b, dst_b, protocol, upper, hbh, frag):
    """The IPv6 packet(s) carrying `upper`: behind a Hop-by-Hop header, and/or in two fragments."""
    chain, first = b"", protocol
    if hbh:
        chain, first = bytes([protocol, 0, 1, 4, 0, 0, 0, 0]), 0  # next header, length, PadN of 4 bytes
    if frag is None:
        parts = [(first, chain + upper)]
    else:
        # Unfragmentable part (the Hop-by-Hop header), then the fragmentable part split after 16 bytes.
        cut = 16
        fragments = [(0, 1, upper[:cut]), (cut // 8, 0, upper[cut:])]
        parts = [(0 if hbh else 44, (bytes([44, 0, 1, 4, 0, 0, 0, 0]) if hbh else b"")
                  + struct.pack("!BBHI", protocol, 0, offset << 3 | more, int(frag)) + data)
                 for offset, more, data in fragments]
    return [struct.pack("!IHBB", 0x60000000, len(payload), next_header, 255) + src_b + dst_b + payload
            for next_header, payload in parts]


def frames(iface_mac, kind, src, target, lladdr, extra, words):
    options = dict(word.split("=", 1) if "=" in word else (word, "") for word in words)
    mark = MARK + options.get("mark", kind).encode() + b";"
    smac = bytes.fromhex(options["smac"].replace(":", "")) if "smac" in options else iface_mac
    tags = b"".join(struct.pack("!HH", int(tpid, 16), int(vid)) for tpid, vid in
                    (tag.split(".") for tag in options.get("tags", "").split(",") if tag))
    hbh, frag = "hbh" in options, options.get("frag")
    broadcast = b"\xff" * 6
    if kind in TYPES:
        src_b, target_b = ip6(src), ip6(target)
        dst_b, message = nd(kind, src_b, target_b, lladdr, extra)
        packets = ipv6_packets(src_b, dst_b, 58, with_checksum(message, 2, src_b, dst_b, 58), hbh, frag)
        return [multicast_mac(dst_b) + smac + tags + struct.pack("!H", ETH_P_IPV6) + p for p in packets]
    if kind == "udp6":
        src_b, dst_b = ip6(src), ip6(target)
        udp = struct.pack("!HHHH", 40000, 7011, 8 + len(mark) * 4, 0) + mark * 4
        packets = ipv6_packets(src_b, dst_b, 17, with_checksum(udp, 6, src_b, dst_b, 17), hbh, frag)
        return [multicast_mac(solicited_node(dst_b)) + smac + tags + struct.pack("!H", ETH_P_IPV6) + p for p in packets]
    if kind == "udp4":
        src_b, dst_b = socket.inet_aton(src), socket.inet_aton(target)
        udp = struct.pack("!HHHH", 40000, 7011, 8 + len(mark), 0) + mark
        header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src_b, dst_b)
        header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
        return [broadcast + smac + tags + struct.pack("!H", ETH_P_IP) + header + udp]
    if kind == "arp":
        body = struct.pack("!HHBBH6s4s6s4s", 1, ETH_P_IP, 6, 4, 1, smac, socket.inet_aton(src), b"\0" * 6,
                           socket.inet_aton(target))
        return [broadcast + smac + tags + struct.pack("!H", ETH_P_ARP) + body + mark]
    if kind == "raw":
        return [broadcast + smac + tags + struct.pack("!H", int(src, 16)) + mark + b"\0" * 32]
    raise SystemExit("unknown kind " + kind)


def send(iface, kind, src, target, lladdr="-", extra="0", *words):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IPV6))
    sock.bind((iface, 0))
    iface_mac = sock.getsockname()[4]
    data = frames(iface_mac, kind, src, target, lladdr, int(extra), words)
    for _ in range(3):
        for frame in data:
            sock.send(frame)
        time.sleep(0.05)


def send_lines(iface):
    for line in sys.stdin.read().splitlines():
        if line.strip():
            send(iface, *line.split())


class Stop(Exception):
    pass


def stop(signum, frame):
    raise Stop()


def describe(data):
    """What `listen` prints about a frame, or None when it is none of the frames it reports."""
    offset, tags = 12, 0
    while len(data) >= offset + 2 and struct.unpack("!H", data[offset:offset + 2])[0] in TPIDS:
        offset, tags = offset + 4, tags + 1
    seen = {"tags": tags} if tags else {}
    seen["smac"] = ":".join("%02x" % b for b in data[6:12])
    if MARK in data:
        label = data[data.index(MARK) + len(MARK):].split(b";")[0]
        seen["mark"] = label.decode(errors="replace")
    if len(data) < offset + 2 + 40 or struct.unpack("!H", data[offset:offset + 2])[0] != ETH_P_IPV6:
        return seen if "mark" in seen else None
    packet = data[offset + 2:]
    next_header, at = packet[6], 40
    seen.update({"src": socket.inet_ntop(socket.AF_INET6, packet[8:24]), "length": struct.unpack("!H", packet[4:6])[0]})
    while next_header in (0, 43, 44, 60) and len(packet) >= at + 8:
        if next_header == 44:
            seen["fragment"] = struct.unpack("!H", packet[at + 2:at + 4])[0] & 0xFFF8
            seen["ident"] = struct.unpack("!I", packet[at + 4:at + 8])[0]
            next_header, at = packet[at], at + 8
            if seen["fragment"]:
                return seen
        else:
            next_header, at = packet[at], at + 8 + packet[at + 1] * 8
    icmp = packet[at:]
    if next_header != 58 or len(icmp) < 4 or icmp[0] not in (134, 135, 136):
        return seen if "mark" in seen or "fragment" in seen else None
    seen["type"] = icmp[0]
    if icmp[0] in (135, 136) and len(icmp) >= 24:
        seen["target"] = socket.inet_ntop(socket.AF_INET6, icmp[8:24])
        if len(icmp) >= 32 and icmp[24] in (1, 2):
            seen["lladdr"] = ":".join("%02x" % b for b in icmp[26:32])
    return seen


def listen(iface, seconds):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((iface, 0))
    signal.signal(signal.SIGTERM, stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])  # a test runner's spawn may block it
    print("ready", flush=True)
    deadline = time.time() + float(seconds)
    draining = False
    while draining or time.time() < deadline:
        try:
            sock.settimeout(0 if draining else max(deadline - time.time(), 0.01))
            data = sock.recv(4096)
        except Stop:
            draining = True
            continue
        except (socket.timeout, BlockingIOError):
            break
        seen = describe(data)
        if seen is not None:
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
    {"send": send, "send-lines": send_lines, "listen": listen, "udp-listen": udp_listen, "udp-send": udp_send}[sys.argv[1]](*sys.argv[2:])
