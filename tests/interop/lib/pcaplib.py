# SPDX-License-Identifier: MIT
"""pcaplib.py  plain struct-based classic pcap read/write and the
Ethernet/IPv4/UDP/RTP walk the interop tools need (no scapy, no tshark).

Only what mjr2pcap and our rewriters produce is handled: classic pcap (both
byte orders, us or ns timestamps), link types Ethernet (1), raw IPv4 (101,
228) and Linux cooked (113); IPv4 without fragments; RTP version 2
(RFC 3550 section 5.1).
"""

import struct

MAGICS = {0xa1b2c3d4: ("<", 1000), 0xd4c3b2a1: (">", 1000),
          0xa1b23c4d: ("<", 1), 0x4d3cb2a1: (">", 1)}


class Pcap:
    def __init__(self, endian, ns_mult, header, linktype, records):
        self.endian, self.ns_mult = endian, ns_mult
        self.header, self.linktype = header, linktype
        self.records = records  # list of [ts_ns, frame bytes]


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{path}: too short for a pcap header")
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in MAGICS:
        raise ValueError(f"{path}: not a classic pcap (pcapng unsupported)")
    e, mult = MAGICS[magic]
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0fffffff
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            raise ValueError(f"{path}: truncated record")
        recs.append([sec * 1_000_000_000 + frac * mult,
                     data[off:off + incl]])
        off += incl
    return Pcap(e, mult, data[:24], linktype, recs)


def write(path, pc):
    e = pc.endian
    with open(path, "wb") as f:
        f.write(pc.header)
        for ts, frame in pc.records:
            sec, rem = divmod(ts, 1_000_000_000)
            f.write(struct.pack(e + "IIII", sec, rem // pc.ns_mult,
                                len(frame), len(frame)))
            f.write(frame)


def udp_payload(linktype, frame):
    """UDP payload of one frame, or None."""
    if linktype == 1:
        if len(frame) < 14:
            return None
        et, off = struct.unpack(">H", frame[12:14])[0], 14
        if et == 0x8100 and len(frame) >= 18:
            et, off = struct.unpack(">H", frame[16:18])[0], 18
        if et != 0x0800:
            return None
    elif linktype in (101, 228):
        off = 0
    elif linktype == 113:
        if len(frame) < 16 or struct.unpack(">H", frame[14:16])[0] != 0x0800:
            return None
        off = 16
    else:
        return None
    ip = frame[off:]
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
        return None
    ihl = (ip[0] & 15) * 4
    flags = struct.unpack(">H", ip[6:8])[0]
    if flags & 0x3fff:  # fragment
        return None
    udp = ip[ihl:]
    if len(udp) < 8:
        return None
    ulen = struct.unpack(">H", udp[4:6])[0]
    return udp[8:ulen] if 8 <= ulen <= len(udp) else None


def rtp(payload):
    """dict(pt, seq, ts, ssrc, marker, payload) for an RTP packet, else
    None (RTCP, PT 72-76, is refused: RFC 5761 section 4)."""
    if payload is None or len(payload) < 12 or payload[0] >> 6 != 2:
        return None
    pt = payload[1] & 0x7f
    if 72 <= pt <= 76:
        return None
    cc = payload[0] & 15
    off = 12 + 4 * cc
    if payload[0] & 0x10:
        if len(payload) < off + 4:
            return None
        off += 4 + 4 * struct.unpack(">H", payload[off + 2:off + 4])[0]
    end = len(payload)
    if payload[0] & 0x20:
        end -= payload[-1] if payload[-1] else end
    if off > end:
        return None
    seq, ts, ssrc = struct.unpack(">HII", payload[2:12])
    return {"pt": pt, "seq": seq, "ts": ts, "ssrc": ssrc,
            "marker": bool(payload[1] & 0x80), "payload": payload[off:end]}


def rtp_packets(pc):
    """[(record index, rtp dict)] for every RTP packet in the capture."""
    out = []
    for i, (_, frame) in enumerate(pc.records):
        r = rtp(udp_payload(pc.linktype, frame))
        if r is not None:
            out.append((i, r))
    return out
