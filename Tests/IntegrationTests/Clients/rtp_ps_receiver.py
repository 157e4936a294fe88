#!/usr/bin/env python3
"""A GB28181 receiving platform for the send-path tests (PS, TS, or ES H.264 with --depay): takes RTP over UDP, or over TCP (RFC 4571, the
server dials us), checks every packet against RFC 3550 and the GB28181 framing (PT, SSRC, sequence
continuity, one timestamp per frame with the marker on its last packet), writes the reassembled payload
(PS) to a file and prints a JSON summary on stdout. Written from the RFCs, not from the server's code.

  rtp_ps_receiver.py --transport udp|tcp --port N --out FILE --seconds S [--close-after S] [--connect]

With --port 0 it listens on a port the system chooses (for --sr, a pair); the first line it prints,
"listening N", names the port.

It ends after --seconds, or --idle seconds without a packet once packets came; with --close-after (TCP)
it closes the connection after that many seconds of receiving, as a platform hanging up."""
import argparse, json, select, socket, struct, sys, time


def depay_h264(body, out):
    """RFC 6184 5.6-5.8: single NAL unit, STAP-A and FU-A packets to an Annex B byte stream."""
    if not body:
        return
    t = body[0] & 0x1F
    if 1 <= t <= 23:
        out += b"\x00\x00\x00\x01" + body
    elif t == 24:
        i = 1
        while i + 2 <= len(body):
            n = struct.unpack("!H", body[i:i + 2])[0]
            out += b"\x00\x00\x00\x01" + body[i + 2:i + 2 + n]
            i += 2 + n
    elif t == 28 and len(body) >= 2:
        if body[1] & 0x80:
            out += b"\x00\x00\x00\x01" + bytes([(body[0] & 0xE0) | (body[1] & 0x1F)])
        out += body[2:]


class Checker:
    def __init__(self, depay=None):
        self.depay = depay
        self.packets = 0
        self.bytes = 0
        self.pts = set()
        self.ssrcs = set()
        self.seq_gaps = 0
        self.seq_reorders = 0
        self.frames = 0              # timestamps whose last packet carried the marker
        self.frames_without_marker = 0
        self.frames_sharing_timestamp = 0
        self.max_payload = 0
        self.bad_version = 0
        self.last_seq = None
        self.last_ts = None
        self.last_marker = True
        self.payload = bytearray()
        self.last_packet_at = 0.0

    def packet(self, p):
        if len(p) < 12:
            self.bad_version += 1
            return
        b0, b1, seq, ts, ssrc = struct.unpack("!BBHII", p[:12])
        if b0 >> 6 != 2:
            self.bad_version += 1
            return
        cc = b0 & 0x0F
        start = 12 + 4 * cc
        if b0 & 0x10:  # header extension
            if len(p) < start + 4:
                return
            start += 4 + 4 * struct.unpack("!H", p[start + 2:start + 4])[0]
        end = len(p)
        if b0 & 0x20:  # padding
            end -= p[-1]
        body = p[start:end]
        marker = bool(b1 & 0x80)
        self.last_packet_at = time.time()
        self.packets += 1
        self.bytes += len(p)
        self.pts.add(b1 & 0x7F)
        self.ssrcs.add(ssrc)
        self.max_payload = max(self.max_payload, len(body))
        if self.last_seq is not None:
            d = (seq - self.last_seq) & 0xFFFF
            if d == 0 or d > 0x8000:
                self.seq_reorders += 1
            elif d != 1:
                self.seq_gaps += d - 1
        self.last_seq = seq
        if self.last_ts is not None and ts != self.last_ts and not self.last_marker:
            self.frames_without_marker += 1
        if self.last_ts is not None and ts == self.last_ts and self.last_marker:
            self.frames_sharing_timestamp += 1
        if marker:
            self.frames += 1
        self.last_ts = ts
        self.last_marker = marker
        if self.depay == "h264":
            depay_h264(body, self.payload)
        else:
            self.payload += body

    def summary(self):
        return {"packets": self.packets, "bytes": self.bytes, "pts": sorted(self.pts), "ssrcs": sorted(self.ssrcs),
                "seq_gaps": self.seq_gaps, "seq_reorders": self.seq_reorders, "frames": self.frames,
                "frames_without_marker": self.frames_without_marker, "frames_sharing_timestamp": self.frames_sharing_timestamp,
                "max_payload": self.max_payload, "bad": self.bad_version, "payload_bytes": len(self.payload),
                "last_packet_at": self.last_packet_at}


def ready(port):
    # The test starts the server's sender only after this line.
    print("listening %d" % port)
    sys.stdout.flush()


def run_udp(args, c):
    rtcp = None
    reports = []
    # A port the system chose may have its neighbour taken (RFC 3550 11: RTCP on the RTP port + 1): choose again.
    for attempt in range(50):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind(("127.0.0.1", args.port))
        if not args.sr:
            break
        rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            rtcp.bind(("127.0.0.1", s.getsockname()[1] + 1))
            break
        except OSError:
            rtcp.close()
            s.close()
            if args.port != 0 or attempt == 49:
                raise
    ready(s.getsockname()[1])
    s.settimeout(0.2)
    deadline = time.time() + args.seconds
    last = None
    last_rr = 0.0
    while time.time() < deadline:
        if rtcp is not None:
            readable, _, _ = select.select([s, rtcp], [], [], 0.2)
            if rtcp in readable:
                data, sender = rtcp.recvfrom(65536)
                reports.append(sender_report(data, c))
            if s not in readable:
                if last is not None and time.time() - last > args.idle:
                    break
                continue
        try:
            data, sender = s.recvfrom(65536)
            if args.rtcp and time.time() - last_rr >= 0.5 and len(data) >= 12:
                # RFC 3550 6.4.2 receiver report with one report block, to the sender's address.
                media_ssrc = struct.unpack("!I", data[8:12])[0]
                s.sendto(struct.pack("!BBHII", 0x81, 201, 7, 0x5EED, media_ssrc) + bytes(20), sender)
                last_rr = time.time()
        except socket.timeout:
            if last is not None and time.time() - last > args.idle:
                break
            continue
        last = time.time()
        c.packet(data)
    return {"closed_by": "timeout", "sender_reports": reports}


def sender_report(data, c):
    """RFC 3550 6.4.1: the first packet of the compound must be an SR; what it says, beside what had arrived."""
    if len(data) < 28 or data[0] >> 6 != 2 or data[1] != 200:
        return {"bad": data.hex()}
    ssrc, ntp_sec, ntp_frac, rtp_time, packets, octets = struct.unpack("!IIIIII", data[4:28])
    return {"ssrc": ssrc, "ntp_unix": ntp_sec - 2208988800 + ntp_frac / 2**32, "rtp_time": rtp_time, "packets": packets,
            "octets": octets, "at": time.time(), "length_words": struct.unpack("!H", data[2:4])[0],
            "received_packets": c.packets, "received_payload": len(c.payload), "last_timestamp": c.last_ts}


def run_tcp(args, c):
    deadline = time.time() + args.seconds
    if args.connect:
        # startSendRtpPassive: the server listens, we dial it.
        ready(args.port)
        conn = socket.create_connection(("127.0.0.1", args.port), timeout=5)
        peer = conn.getpeername()
    else:
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", args.port))
        ls.listen(1)
        ready(ls.getsockname()[1])
        ls.settimeout(args.seconds)
        try:
            conn, peer = ls.accept()
        except socket.timeout:
            return {"closed_by": "no connection"}
    conn.settimeout(0.2)
    started = time.time()
    buf = bytearray()
    closed_by = "timeout"
    last = time.time()
    while time.time() < deadline:
        if args.close_after is not None and time.time() - started >= args.close_after:
            conn.close()
            closed_by = "us"
            # Stay a while, so the test sees the server notice.
            time.sleep(0.5)
            break
        try:
            data = conn.recv(65536)
        except socket.timeout:
            if c.packets and time.time() - last > args.idle:
                break
            continue
        if not data:
            closed_by = "server"
            break
        last = time.time()
        buf += data
        while len(buf) >= 2:
            n = struct.unpack("!H", buf[:2])[0]
            if len(buf) < 2 + n:
                break
            c.packet(bytes(buf[2:2 + n]))
            del buf[:2 + n]
    return {"closed_by": closed_by, "peer_port": peer[1]}


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--transport", choices=["udp", "tcp"], default="udp")
    a.add_argument("--port", type=int, required=True)
    a.add_argument("--out", required=True)
    a.add_argument("--seconds", type=float, default=10)
    a.add_argument("--idle", type=float, default=2.0)
    a.add_argument("--close-after", type=float, default=None)
    a.add_argument("--connect", action="store_true", help="TCP: dial --port instead of listening on it")
    a.add_argument("--rtcp", action="store_true", help="UDP: send receiver reports back every 0.5 s")
    a.add_argument("--sr", action="store_true", help="UDP: take sender reports on --port + 1 and list them")
    a.add_argument("--depay", choices=["h264"], default=None, help="ES: write the depacketized Annex B instead of payloads")
    args = a.parse_args()
    c = Checker(args.depay)
    extra = run_udp(args, c) if args.transport == "udp" else run_tcp(args, c)
    with open(args.out, "wb") as f:
        f.write(c.payload)
    summary = c.summary()
    summary.update(extra)
    print(json.dumps(summary))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
