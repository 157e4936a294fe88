#!/usr/bin/env python3
"""Glass-to-glass added latency: how long a frame takes from the publisher's socket to a player's.

  g2g.py publish --url rtmp://host:port/app/stream --source file.flv [--seconds N]
  g2g.py play --url URL [--seconds N] [--warmup S] [--label TEXT]

The publisher sends an FLV file (H.264 + AAC) over RTMP in real time, looping it, and stamps every frame
with CLOCK_MONOTONIC just before the frame's bytes go to the socket:
  - video: an SEI user_data_unregistered NAL unit put before the frame's other NAL units, holding
    "G2V" + frame counter + send time in hex (ASCII, so no emulation-prevention bytes are needed);
  - audio: an AAC fill element (ID_FIL, extension type EXT_FILL, whose bits decoders skip) put before the
    frame's raw_data_block elements, holding "G2A" + counter + send time.
Both survive any server that forwards the payload, whatever it does with timestamps, and the stream stays
decodable. A player (HTTP-FLV, RTMP or RTSP/TCP, written here on plain sockets so nothing buffers in
between) finds the stamp in each frame it completes and records arrival minus send time. Publisher and
players must run on one machine (one monotonic clock). Frames from the join-time GOP cache are skipped
by --warmup seconds.
"""
import argparse
import json
import os
import random
import socket
import struct
import sys
import time
import urllib.parse

SEI_UUID = bytes(range(0x41, 0x51))  # 16 bytes, none zero: no start-code emulation
VIDEO_MAGIC = b"G2V"
AUDIO_MAGIC = b"G2A"


# ---------------------------------------------------------------- stamps

def video_sei(counter, ns):
    text = VIDEO_MAGIC + b"%08x%016x" % (counter & 0xFFFFFFFF, ns)
    body = SEI_UUID + text
    nal = bytes([0x06, 0x05, len(body)]) + body + b"\x80"
    return struct.pack(">I", len(nal)) + nal  # AVCC length prefix, as in FLV


def find_video_stamp(data):
    i = data.find(VIDEO_MAGIC)
    if i < 0 or i + 27 > len(data):
        return None
    try:
        return int(data[i + 3:i + 11], 16), int(data[i + 11:i + 27], 16)
    except ValueError:
        return None


def audio_fill(counter, ns, raw):
    """An ID_FIL element (count 15 + esc 2 = 16 bytes: EXT_FILL nibble, pad nibble, 15 data bytes) put
    before the AAC frame's elements; the frame's own bits follow it unaligned."""
    data = AUDIO_MAGIC + struct.pack(">IQ", counter & 0xFFFFFFFF, ns)
    prefix_bits = (0b110 << 4 | 15) << 8 | 2            # id_syn_ele, count, esc_count: 15 bits
    prefix_bits = prefix_bits << 8                      # extension_type EXT_FILL + fill nibble
    prefix_bits = prefix_bits << (8 * len(data)) | int.from_bytes(data, "big")
    nprefix = 15 + 8 + 8 * len(data)
    total = nprefix + 8 * len(raw)
    value = prefix_bits << (8 * len(raw)) | int.from_bytes(raw, "big")
    pad = (-total) % 8
    return (value << pad).to_bytes((total + pad) // 8, "big")


def find_audio_stamp(raw):
    if len(raw) < 18:
        return None
    v = int.from_bytes(raw[:18], "big")
    bits = 18 * 8
    head = v >> (bits - 23)
    if head != ((0b110 << 4 | 15) << 8 | 2) << 8:
        return None
    data = ((v >> (bits - 23 - 120)) & ((1 << 120) - 1)).to_bytes(15, "big")
    if data[:3] != AUDIO_MAGIC:
        return None
    counter, ns = struct.unpack(">IQ", data[3:])
    return counter, ns


# ---------------------------------------------------------------- FLV

def read_flv_tags(path):
    with open(path, "rb") as f:
        d = f.read()
    if d[:3] != b"FLV":
        raise SystemExit("not an FLV file: " + path)
    pos = struct.unpack(">I", d[5:9])[0] + 4
    tags = []
    while pos + 11 <= len(d):
        typ = d[pos] & 0x1F
        size = int.from_bytes(d[pos + 1:pos + 4], "big")
        ts = int.from_bytes(d[pos + 4:pos + 7], "big") | d[pos + 7] << 24
        body = d[pos + 11:pos + 11 + size]
        if len(body) < size:
            break
        tags.append((typ, ts, body))
        pos += 11 + size + 4
    return tags


# ---------------------------------------------------------------- AMF0 / RTMP

def amf(v):
    if v is None:
        return b"\x05"
    if isinstance(v, bool):
        return b"\x01" + bytes([v])
    if isinstance(v, (int, float)):
        return b"\x00" + struct.pack(">d", float(v))
    if isinstance(v, str):
        b = v.encode()
        return b"\x02" + struct.pack(">H", len(b)) + b
    if isinstance(v, dict):
        out = b"\x03"
        for k, x in v.items():
            kb = k.encode()
            out += struct.pack(">H", len(kb)) + kb + amf(x)
        return out + b"\x00\x00\x09"
    raise TypeError(v)


def amf_first_string(payload):
    if payload[:1] == b"\x02" and len(payload) >= 3:
        n = struct.unpack(">H", payload[1:3])[0]
        return payload[3:3 + n].decode(errors="replace")
    return ""


def amf_number_at(payload, index):
    """The index-th top-level value if it is a number (enough for transaction ids and stream ids)."""
    pos = 0
    for i in range(index + 1):
        if pos >= len(payload):
            return None
        t = payload[pos]
        if t == 0:
            if i == index:
                return struct.unpack(">d", payload[pos + 1:pos + 9])[0]
            pos += 9
        elif t == 2:
            pos += 3 + struct.unpack(">H", payload[pos + 1:pos + 3])[0]
        elif t == 5:
            pos += 1
        else:
            return None  # objects are only ever after the values read here
    return None


class Conn:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.received = 0
        self.last_fill = time.monotonic_ns()

    def fill(self):
        """Reads what the socket has; last_fill is when the newest buffered byte arrived, so a frame
        completed by bytes already buffered arrived no later than that."""
        chunk = self.sock.recv(262144)
        if not chunk:
            raise EOFError("server closed the connection")
        self.last_fill = time.monotonic_ns()
        self.received += len(chunk)
        self.buf += chunk
        return self.last_fill

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out


class RtmpSession:
    """Plain handshake and chunk stream, both directions; enough for a publisher and a player."""

    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        parts = u.path.strip("/").split("/")
        self.app, self.stream = "/".join(parts[:-1]), parts[-1]
        self.tc_url = "rtmp://%s:%d/%s" % (u.hostname, u.port or 1935, self.app)
        self.c = Conn(u.hostname, u.port or 1935)
        self.in_chunk = 128
        self.out_chunk = 128
        self.headers = {}   # csid -> [ts, length, type, msid, delta]
        self.partial = {}   # csid -> bytearray
        self.window = 0
        self.acked = 0
        c1 = bytes(8) + os.urandom(1528)
        self.c.sock.sendall(b"\x03" + c1)
        s = self.c.take(1 + 1536 * 2)
        self.c.sock.sendall(s[1:1537])

    def send(self, csid, typ, msid, ts, payload):
        ext = ts >= 0xFFFFFF
        head = bytes([csid]) + (0xFFFFFF if ext else ts).to_bytes(3, "big") + len(payload).to_bytes(3, "big") \
            + bytes([typ]) + struct.pack("<I", msid) + (struct.pack(">I", ts) if ext else b"")
        out = [head, payload[:self.out_chunk]]
        for i in range(self.out_chunk, len(payload), self.out_chunk):
            out.append(bytes([0xC0 | csid]) + (struct.pack(">I", ts) if ext else b""))
            out.append(payload[i:i + self.out_chunk])
        self.c.sock.sendall(b"".join(out))

    def set_chunk_size(self, n):
        self.send(2, 1, 0, 0, struct.pack(">I", n))
        self.out_chunk = n

    def command(self, values, msid=0):
        self.send(3, 20, msid, 0, b"".join(amf(v) for v in values))

    def next_message(self):
        """(type, timestamp, payload, arrival ns of its last byte); answers control messages itself."""
        while True:
            b0 = self.c.take(1)[0]
            fmt, csid = b0 >> 6, b0 & 0x3F
            if csid == 0:
                csid = 64 + self.c.take(1)[0]
            elif csid == 1:
                x = self.c.take(2)
                csid = 64 + x[0] + 256 * x[1]
            h = self.headers.setdefault(csid, [0, 0, 0, 0, 0, False])  # ts, length, type, msid, delta, ext
            part = self.partial.setdefault(csid, bytearray())
            if fmt <= 2:
                raw_ts = int.from_bytes(self.c.take(3), "big")
                if fmt <= 1:
                    h[1] = int.from_bytes(self.c.take(3), "big")
                    h[2] = self.c.take(1)[0]
                if fmt == 0:
                    h[3] = struct.unpack("<I", self.c.take(4))[0]
                h[5] = raw_ts == 0xFFFFFF
                if h[5]:
                    raw_ts = struct.unpack(">I", self.c.take(4))[0]
                if fmt == 0:
                    h[0], h[4] = raw_ts, 0
                else:
                    h[4] = raw_ts
                    h[0] += raw_ts
            else:
                if h[5]:
                    self.c.take(4)
                if not part:
                    h[0] += h[4]
            n = min(self.in_chunk, h[1] - len(part))
            part += self.c.take(n)
            arrival = self.c.last_fill
            self.ack()
            if len(part) < h[1]:
                continue
            payload = bytes(part)
            part.clear()
            typ = h[2]
            if typ == 1 and len(payload) >= 4:
                self.in_chunk = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
            elif typ == 5 and len(payload) >= 4:
                self.window = struct.unpack(">I", payload[:4])[0]
            elif typ == 4 and len(payload) >= 6 and payload[:2] == b"\x00\x06":
                self.send(2, 4, 0, 0, b"\x00\x07" + payload[2:6])
            else:
                return typ, h[0], payload, arrival

    def ack(self):
        if self.window and self.c.received - self.acked >= self.window // 2:
            self.acked = self.c.received
            self.send(2, 3, 0, 0, struct.pack(">I", self.c.received & 0xFFFFFFFF))

    def wait_command(self, names):
        while True:
            typ, _, payload, _ = self.next_message()
            if typ == 20:
                name = amf_first_string(payload)
                if name in names or name == "onStatus" and any(n.encode() in payload for n in names):
                    return name, payload
                if name == "_error" or b"error" in payload.lower() and name == "onStatus":
                    raise SystemExit("server refused: " + payload.decode(errors="replace"))

    def connect_and_stream(self):
        self.set_chunk_size(60000)
        self.command(["connect", 1, {"app": self.app, "type": "nonprivate", "flashVer": "FMLE/3.0 (compatible; g2g)",
                                     "tcUrl": self.tc_url}])
        self.wait_command(["_result"])
        self.command(["createStream", 2, None])
        while True:
            _, payload = self.wait_command(["_result"])
            if amf_number_at(payload, 1) == 2:
                return int(amf_number_at(payload, 3) or 1)


# ---------------------------------------------------------------- publisher

def publish(args):
    tags = read_flv_tags(args.source)
    duration = max(ts for _, ts, _ in tags) + 40
    s = RtmpSession(args.url)
    msid = s.connect_and_stream()
    s.command(["publish", 0, None, s.stream, "live"], msid)
    s.wait_command(["NetStream.Publish.Start"])
    s.c.sock.settimeout(None)
    s.c.sock.setblocking(True)
    start = time.monotonic()
    vcount = acount = 0
    loop = 0
    end = start + args.seconds if args.seconds else float("inf")
    while time.monotonic() < end:
        for typ, ts, body in tags:
            if typ == 18 and loop == 0:
                # Servers learn which tracks to wait for from the metadata, as ffmpeg sends it.
                s.send(5, 18, msid, 0, amf("@setDataFrame") + body)
            if typ not in (8, 9):
                continue
            is_header = (typ == 9 and len(body) > 1 and body[1] == 0) or (typ == 8 and len(body) > 1 and body[1] == 0)
            if loop > 0 and is_header:
                continue
            t = ts + loop * duration
            delay = start + t / 1000 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if typ == 9 and len(body) > 5 and body[0] & 0x0F == 7 and body[1] == 1:
                vcount += 1
                ns = time.monotonic_ns()
                s.send(6, 9, msid, t, body[:5] + video_sei(vcount, ns) + body[5:])
            elif typ == 8 and len(body) > 2 and body[0] >> 4 == 10 and body[1] == 1:
                acount += 1
                ns = time.monotonic_ns()
                s.send(4, 8, msid, t, body[:2] + audio_fill(acount, ns, body[2:]))
            else:
                s.send(6 if typ == 9 else 4, typ, msid, t, body)
            if time.monotonic() >= end:
                break
        loop += 1
    print("published %d video and %d audio frames" % (vcount, acount), file=sys.stderr)


# ---------------------------------------------------------------- players

class Recorder:
    def __init__(self, warmup_s):
        self.start = time.monotonic_ns()
        self.warmup = warmup_s * 1e9
        self.lat = {"video": [], "audio": []}
        self.counters = {"video": set(), "audio": set()}
        self.unstamped = {"video": 0, "audio": 0}

    def frame(self, kind, stamp, arrival):
        if stamp is None:
            self.unstamped[kind] += 1
            return
        counter, ns = stamp
        if arrival - self.start < self.warmup:
            return
        self.lat[kind].append((arrival - ns) / 1e6)
        self.counters[kind].add(counter)

    def report(self, label):
        out = {"label": label}
        for kind in ("video", "audio"):
            v = sorted(self.lat[kind])
            c = self.counters[kind]
            if not v:
                out[kind] = {"frames": 0, "unstamped": self.unstamped[kind]}
                continue
            pick = lambda p: v[min(len(v) - 1, int(len(v) * p))]
            out[kind] = {"frames": len(v), "missing": (max(c) - min(c) + 1 - len(c)),
                         "unstamped": self.unstamped[kind],
                         "p50": round(pick(0.5), 2), "p99": round(pick(0.99), 2), "max": round(v[-1], 2),
                         "min": round(v[0], 2)}
        return out


def play_flv(url, rec, until):
    u = urllib.parse.urlparse(url)
    c = Conn(u.hostname, u.port or 80)
    c.sock.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (u.path.encode(), u.hostname.encode()))
    while b"\r\n\r\n" not in c.buf:
        c.fill()
    head, _, rest = bytes(c.buf).partition(b"\r\n\r\n")
    if b" 200" not in head.split(b"\r\n")[0]:
        raise SystemExit("HTTP-FLV: " + head.split(b"\r\n")[0].decode(errors="replace"))
    c.buf = bytearray(rest)
    c.take(13)
    while time.monotonic() < until:
        while len(c.buf) < 11:
            c.fill()
        typ, size = c.buf[0] & 0x1F, int.from_bytes(c.buf[1:4], "big")
        while len(c.buf) < 15 + size:
            c.fill()
        body = bytes(c.buf[11:11 + size])
        del c.buf[:15 + size]
        classify(typ, body, rec, c.last_fill)


def classify(typ, body, rec, arrival):
    if typ == 9 and len(body) > 5 and body[1] == 1:
        rec.frame("video", find_video_stamp(body), arrival)
    elif typ == 8 and len(body) > 2 and body[0] >> 4 == 10 and body[1] == 1:
        rec.frame("audio", find_audio_stamp(body[2:]), arrival)


def play_rtmp(url, rec, until):
    s = RtmpSession(url)
    msid = s.connect_and_stream()
    s.send(2, 4, 0, 0, struct.pack(">HII", 3, msid, 100))  # SetBufferLength 100 ms, as players send
    s.command(["play", 0, None, s.stream], msid)
    while time.monotonic() < until:
        typ, _, payload, arrival = s.next_message()
        classify(typ, payload, rec, arrival)


def play_rtsp(url, rec, until):
    u = urllib.parse.urlparse(url)
    c = Conn(u.hostname, u.port or 554)
    cseq = [0]
    session = [None]

    def request(method, target, extra=""):
        cseq[0] += 1
        sess = "Session: %s\r\n" % session[0] if session[0] else ""
        c.sock.sendall(("%s %s RTSP/1.0\r\nCSeq: %d\r\nUser-Agent: g2g\r\n%s%s\r\n" % (method, target, cseq[0], sess, extra)).encode())
        while b"\r\n\r\n" not in c.buf:
            c.fill()
        head, _, _ = bytes(c.buf).partition(b"\r\n\r\n")
        del c.buf[:len(head) + 4]
        headers = {}
        for line in head.decode(errors="replace").split("\r\n")[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        body = c.take(int(headers.get("content-length", "0")))
        if " 200 " not in head.split(b"\r\n")[0].decode() + " ":
            raise SystemExit("RTSP %s: %s" % (method, head.split(b"\r\n")[0].decode(errors="replace")))
        return headers, body.decode(errors="replace")

    headers, sdp = request("DESCRIBE", url, "Accept: application/sdp\r\n")
    base = headers.get("content-base", url).rstrip("/")
    tracks = []  # (kind, control)
    kind = None
    for line in sdp.splitlines():
        if line.startswith("m="):
            kind = "video" if line.startswith("m=video") else "audio" if line.startswith("m=audio") else None
            tracks.append([kind, None, ""])
        elif line.startswith("a=control:") and tracks:
            tracks[-1][1] = line[len("a=control:"):]
        elif line.startswith("a=rtpmap:") and tracks:
            tracks[-1][2] = line.split(" ", 1)[1].upper() if " " in line else ""
    channel_kind = {}
    for i, (kind, control, codec) in enumerate(tracks):
        if kind is None or control is None:
            continue
        target = control if control.startswith("rtsp://") else base + "/" + control
        h, _ = request("SETUP", target, "Transport: RTP/AVP/TCP;unicast;interleaved=%d-%d\r\n" % (2 * i, 2 * i + 1))
        session[0] = h.get("session", "").split(";")[0]
        channel_kind[2 * i] = "video" if kind == "video" and codec.startswith("H264") else \
            "audio" if codec.startswith("MPEG4-GENERIC") else None
    request("PLAY", base, "Range: npt=0.000-\r\n")
    frames = {}  # channel -> (rtp timestamp, bytearray)
    while time.monotonic() < until:
        while len(c.buf) < 4:
            c.fill()
        if c.buf[0] != 0x24:  # an RTSP message from the server (none expected): skip to the next '$'
            i = c.buf.find(b"$", 1)
            del c.buf[:i if i > 0 else len(c.buf)]
            continue
        ch, n = c.buf[1], struct.unpack(">H", c.buf[2:4])[0]
        while len(c.buf) < 4 + n:
            c.fill()
        pkt = bytes(c.buf[4:4 + n])
        del c.buf[:4 + n]
        arrival = c.last_fill
        kind = channel_kind.get(ch)
        if kind is None or len(pkt) < 12:
            continue
        cc, ext, marker = pkt[0] & 0x0F, pkt[0] & 0x10, pkt[1] & 0x80
        ts = struct.unpack(">I", pkt[4:8])[0]
        off = 12 + 4 * cc
        if ext and len(pkt) >= off + 4:
            off += 4 + 4 * struct.unpack(">H", pkt[off + 2:off + 4])[0]
        payload = pkt[off:len(pkt) - (pkt[-1] if pkt[0] & 0x20 else 0)]
        if kind == "audio":
            # RFC 3640 AAC-hbr: AU-headers-length, 16-bit AU headers (13-bit size), then the AUs
            if len(payload) < 2:
                continue
            hl = (struct.unpack(">H", payload[:2])[0] + 7) // 8
            sizes = [struct.unpack(">H", payload[2 + j:4 + j])[0] >> 3 for j in range(0, hl, 2)]
            pos = 2 + hl
            for size in sizes:
                rec.frame("audio", find_audio_stamp(payload[pos:pos + size]), arrival)
                pos += size
            continue
        cur = frames.get(ch)
        if cur is None or cur[0] != ts:
            cur = (ts, bytearray())
            frames[ch] = cur
        cur[1].extend(payload)
        if marker:
            rec.frame("video", find_video_stamp(bytes(cur[1])), arrival)
            del frames[ch]


def play(args):
    rec = Recorder(args.warmup)
    until = time.monotonic() + args.seconds
    scheme = urllib.parse.urlparse(args.url).scheme
    {"http": play_flv, "rtmp": play_rtmp, "rtsp": play_rtsp}[scheme](args.url, rec, until)
    print(json.dumps(rec.report(args.label or args.url)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    pub = sub.add_parser("publish")
    pub.add_argument("--url", required=True)
    pub.add_argument("--source", required=True)
    pub.add_argument("--seconds", type=float, default=0)
    pl = sub.add_parser("play")
    pl.add_argument("--url", required=True)
    pl.add_argument("--seconds", type=float, default=15)
    pl.add_argument("--warmup", type=float, default=3)
    pl.add_argument("--label", default="")
    args = p.parse_args()
    # A probe should not wait behind other processes' time slices more than it must.
    try:
        os.nice(-5)
    except OSError:
        pass
    (publish if args.cmd == "publish" else play)(args)


if __name__ == "__main__":
    main()
