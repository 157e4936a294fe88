#!/usr/bin/env python3
"""PS-over-RTP sender written from ISO/IEC 13818-1 (2.5.3.3 pack header, 2.5.3.5 system header,
2.5.4 program stream map, 2.4.3.6 PES) and the GB28181 annex (stream types 0x1B H.264, 0x90 G.711A;
one frame's PS split over RTP packets of at most 1400 bytes, one 90 kHz timestamp, marker on the last).
Independent of the server's own demuxer.

usage: ps_rtp_sender.py H264_FILE HOST PORT --ssrc N [--transport udp|tcp4571|tcpdollar|listen]
       [--fps 25] [--seconds S] [--garbage]
--transport listen: accept one TCP connection on PORT (the server dials: TCP active) and send RFC 4571.
Prints "sent N" (video frames) at the end."""
import argparse, socket, struct, sys, time

def pack_header(scr):
    # '01', SCR base 33 bits with marker bits, SCR extension 0, mux rate, stuffing length 0.
    b = bytearray(14)
    b[0:4] = b'\x00\x00\x01\xba'
    b[4] = 0x44 | ((scr >> 27) & 0x38) | ((scr >> 28) & 0x03)
    b[5] = (scr >> 20) & 0xff
    b[6] = ((scr >> 12) & 0xf8) | 0x04 | ((scr >> 13) & 0x03)
    b[7] = (scr >> 5) & 0xff
    b[8] = ((scr << 3) & 0xf8) | 0x04
    b[9] = 0x01
    b[10:13] = bytes([0x01, 0x89, 0xc3])          # program_mux_rate, markers
    b[13] = 0xf8                                 # reserved, pack_stuffing_length 0
    return bytes(b)

def system_header():
    body = bytes([0x80, 0xcc, 0xf5, 0x04, 0xe1, 0xff, 0xe0, 0xe0, 0x80, 0xc0, 0xc0, 0x08])
    return b'\x00\x00\x01\xbb' + struct.pack('>H', len(body)) + body

def psm():
    entries = bytes([0x1b, 0xe0, 0, 0, 0x90, 0xc0, 0, 0])
    body = bytes([0xe0, 0xff]) + struct.pack('>H', 0) + struct.pack('>H', len(entries)) + entries + b'\x00\x00\x00\x00'
    return b'\x00\x00\x01\xbc' + struct.pack('>H', len(body)) + body

def ts_field(prefix, v):
    return bytes([(prefix << 4) | ((v >> 29) & 0x0e) | 1, (v >> 22) & 0xff, ((v >> 14) & 0xfe) | 1,
                  (v >> 7) & 0xff, ((v << 1) & 0xfe) | 1])

def pes(stream_id, pts, payload):
    out = b''
    first = True
    # A PES carries at most 65535 - 8 bytes of payload: larger frames span several PES, the PTS on the first.
    while payload or first:
        chunk, payload = payload[:65000], payload[65000:]
        header = bytes([0x80, 0x80 if first else 0x00, 5 if first else 0]) + (ts_field(2, pts) if first else b'')
        out += b'\x00\x00\x01' + bytes([stream_id]) + struct.pack('>H', len(header) + len(chunk)) + header + chunk
        first = False
    return out

def access_units(data):
    """Split Annex B into access units: a new AU begins at an AUD, SPS, or a slice with first_mb 0 after a slice."""
    starts = []
    i = 0
    while True:
        j = data.find(b'\x00\x00\x01', i)
        if j < 0: break
        starts.append(j)
        i = j + 3
    nals = []
    for k, s in enumerate(starts):
        e = starts[k + 1] if k + 1 < len(starts) else len(data)
        nal = data[s + 3:e].rstrip(b'\x00') if k + 1 < len(starts) else data[s + 3:e]
        nals.append(nal)
    aus, cur, has_slice = [], [], False
    for nal in nals:
        if not nal: continue
        t = nal[0] & 0x1f
        new = t in (7, 9) or (t in (1, 5) and has_slice and len(nal) > 1 and nal[1] & 0x80)
        if new and cur:
            aus.append(cur); cur, has_slice = [], False
        cur.append(nal)
        if t in (1, 5): has_slice = True
    if cur: aus.append(cur)
    return [(b''.join(b'\x00\x00\x00\x01' + n for n in au), any(n[0] & 0x1f == 5 for n in au)) for au in aus]

def rtp_packets(ps, seq, ts, ssrc, pt=96):
    out = []
    chunks = [ps[i:i + 1400 - 12] for i in range(0, len(ps), 1400 - 12)]
    for k, c in enumerate(chunks):
        marker = 0x80 if k == len(chunks) - 1 else 0
        out.append(struct.pack('>BBHII', 0x80, marker | pt, (seq + k) & 0xffff, ts & 0xffffffff, ssrc) + c)
    return out, seq + len(chunks)

def main():
    a = argparse.ArgumentParser()
    a.add_argument('file'); a.add_argument('host'); a.add_argument('port', type=int)
    a.add_argument('--ssrc', type=int, default=0x12345678)
    a.add_argument('--transport', default='udp')
    a.add_argument('--fps', type=float, default=25)
    a.add_argument('--seconds', type=float, default=0)
    a.add_argument('--garbage', action='store_true', help='TCP: send a 0xFFFF length of garbage after 10 frames')
    a.add_argument('--no-audio', action='store_true')
    args = a.parse_args()
    aus = access_units(open(args.file, 'rb').read())
    if args.transport == 'udp':
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        send = lambda p: sock.sendto(p, (args.host, args.port))
    else:
        if args.transport == 'listen':
            srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            srv.bind((args.host, args.port)); srv.listen(1)
            print('listening', flush=True)
            srv.settimeout(20)
            sock, _ = srv.accept()
        else:
            sock = socket.create_connection((args.host, args.port))
        dollar = args.transport == 'tcpdollar'
        send = lambda p: sock.sendall((b'$\x00' if dollar else b'') + struct.pack('>H', len(p)) + p)
    seq, sent = 0, 0
    frames = aus
    if args.seconds:
        n = int(args.seconds * args.fps)
        frames = (aus * (n // max(1, len(aus)) + 1))[:n]
    start = time.time()
    for k, (au, key) in enumerate(frames):
        pts = int(k * 90000 / args.fps)
        ps = pack_header(pts)
        if key: ps += system_header() + psm()
        ps += pes(0xe0, pts, au)
        if not args.no_audio:
            ps += pes(0xc0, pts, bytes([0xd5]) * int(8000 / args.fps))   # G.711A silence, one frame's worth
        packets, seq = rtp_packets(ps, seq, pts, args.ssrc)
        for p in packets: send(p)
        sent += 1
        if args.garbage and k == 10 and args.transport != 'udp':
            sock.sendall(b'\xff\xff' + bytes(range(256)) * 4)
        delay = start + (k + 1) / args.fps - time.time()
        if delay > 0: time.sleep(delay)
    time.sleep(0.5)
    print('sent', sent, flush=True)

if __name__ == '__main__':
    main()
