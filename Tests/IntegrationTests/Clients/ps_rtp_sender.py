#!/usr/bin/env python3
"""PS-over-RTP sender written from ISO/IEC 13818-1 (2.5.3.3 pack header, 2.5.3.5 system header,
2.5.4 program stream map, 2.4.3.6 PES) and the GB28181 annex (stream types 0x1B H.264, 0x24 H.265, 0x90
G.711A, 0x0F AAC; one frame's PS split over RTP packets of at most 1400 bytes, one 90 kHz timestamp, marker on
the last). Independent of the server's own demuxer.

usage: ps_rtp_sender.py VIDEO_FILE HOST PORT --ssrc N [--transport udp|tcp4571|tcpdollar|listen]
       [--fps 25] [--seconds S] [--garbage] [--codec h264|h265] [--aac ADTS_FILE] [--ps-file]
VIDEO_FILE is Annex B H.264 (or H.265 with --codec h265 or a .h265/.hevc name); audio is G.711A silence, or
the ADTS frames of --aac. --ps-file: VIDEO_FILE is a program stream made by another muxer (ffmpeg -f mpeg,
GStreamer mpegpsmux), sent as it is, cut where a video PES with a PTS begins.
--transport listen: accept one TCP connection on PORT (the server dials: TCP active) and send RFC 4571.
--talk-out FILE: as a device in a two-way talk, read the RTP the server sends back over the same socket
(datagrams, or RFC 4571 over TCP) and write their payloads to FILE.
Prints "sent N" (video frames) at the end, and "talk N SSRC PT" (packets back, the last SSRC and PT)."""
import argparse, socket, struct, sys, threading, time

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

def psm(video_type=0x1b, audio_type=0x90):
    entries = bytes([video_type, 0xe0, 0, 0, audio_type, 0xc0, 0, 0])
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

def access_units(data, h265=False):
    """Split Annex B into access units. H.264 (7.4.1.2.3): a new AU begins at an AUD, SPS, or a slice with
    first_mb_in_slice 0 after a slice. H.265 (7.4.2.4.4): at an AUD, VPS, SPS, PPS, prefix SEI, or a slice with
    first_slice_segment_in_pic_flag after a slice."""
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
        if h265:
            t = (nal[0] >> 1) & 0x3f
            is_slice = t < 32
            new = (t in (32, 33, 34, 35, 39) and has_slice) or (is_slice and has_slice and len(nal) > 2 and nal[2] & 0x80)
        else:
            t = nal[0] & 0x1f
            is_slice = t in (1, 5)
            new = t in (7, 9) or (is_slice and has_slice and len(nal) > 1 and nal[1] & 0x80)
        if new and cur:
            aus.append(cur); cur, has_slice = [], False
        cur.append(nal)
        if is_slice: has_slice = True
    if cur: aus.append(cur)
    key = (lambda n: 16 <= (n[0] >> 1) & 0x3f <= 21) if h265 else (lambda n: n[0] & 0x1f == 5)
    return [(b''.join(b'\x00\x00\x00\x01' + n for n in au), any(key(n) for n in au)) for au in aus]

def adts_frames(data):
    """ADTS frames (ISO/IEC 14496-3 1.A.2): 12-bit sync, 13-bit frame length; sampling index in bits 18-21."""
    rates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]
    out, i, rate = [], 0, 44100
    while i + 7 <= len(data):
        if data[i] != 0xff or data[i + 1] & 0xf6 != 0xf0:
            i += 1; continue
        length = ((data[i + 3] & 3) << 11) | (data[i + 4] << 3) | (data[i + 5] >> 5)
        if length < 7: i += 1; continue
        rate = rates[(data[i + 2] >> 2) & 0xf] if (data[i + 2] >> 2) & 0xf < len(rates) else rate
        out.append(data[i:i + length]); i += length
    return out, rate

def pes_pts(unit):
    """The PTS of a PES (MPEG-2 2.4.3.7, or MPEG-1 11172-1 2.4.3.3), or None."""
    if len(unit) < 9: return None
    if unit[6] & 0xc0 == 0x80:
        if not unit[7] & 0x80 or len(unit) < 14: return None
        b = unit[9:14]
    else:
        i = 6
        while i < len(unit) and unit[i] == 0xff: i += 1
        if i < len(unit) and unit[i] & 0xc0 == 0x40: i += 2
        if i + 5 > len(unit) or unit[i] & 0xe0 != 0x20: return None
        b = unit[i:i + 5]
    return ((b[0] >> 1) & 7) << 30 | b[1] << 22 | (b[2] >> 1) << 15 | b[3] << 7 | b[4] >> 1

def ps_units(data):
    """A program stream cut at its start codes (2.5.3): pack headers by their marker bits (MPEG-2 14 bytes
    plus stuffing, MPEG-1 12), the end code, everything else by its 16-bit length."""
    i = data.find(b'\x00\x00\x01\xba')
    while 0 <= i and i + 6 <= len(data):
        if data[i:i + 3] != b'\x00\x00\x01':
            i = data.find(b'\x00\x00\x01\xba', i + 1); continue
        code = data[i + 3]
        if code == 0xba:
            n = 14 + (data[i + 13] & 7) if data[i + 4] & 0xc0 == 0x40 else 12
        elif code == 0xb9:
            n = 4
        else:
            n = 6 + struct.unpack('>H', data[i + 4:i + 6])[0]
        yield code, data[i:i + n]
        i += n

def ps_file_frames(data):
    """(PS bytes, 90 kHz timestamp, key) groups of a PS file: a group begins at the pack, system header and
    map before a video PES with a PTS. A muxer like ffmpeg's fills fixed-size packs, so the PES are not
    aligned to access units and no group can be marked as a whole frame: the sender marks none."""
    groups, cur, prefix, ts = [], b'', b'', None
    for code, unit in ps_units(data):
        if code in (0xba, 0xbb, 0xbc):
            prefix += unit; continue
        pts = pes_pts(unit) if 0xe0 <= code <= 0xef else None
        if pts is not None and pts != ts:
            if cur: groups.append((cur, ts, False))
            cur, ts = b'', pts
        cur += prefix + unit; prefix = b''
    if cur: groups.append((cur + prefix, ts, False))
    # Audio before the first video PTS goes out with the first video frame's timestamp.
    known = next((t for _, t, _ in groups if t is not None), 0)
    return [(g, t if t is not None else known, k) for g, t, k in groups]

def rtp_packets(ps, seq, ts, ssrc, pt=96, mark=True):
    out = []
    chunks = [ps[i:i + 1400 - 12] for i in range(0, len(ps), 1400 - 12)]
    for k, c in enumerate(chunks):
        marker = 0x80 if k == len(chunks) - 1 and mark else 0
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
    a.add_argument('--codec', default=None)
    a.add_argument('--aac', default=None, help='ADTS file whose frames are the audio (stream type 0x0F)')
    a.add_argument('--ps-file', action='store_true')
    a.add_argument('--talk-out', default=None)
    args = a.parse_args()
    h265 = args.codec == 'h265' or (args.codec is None and args.file.endswith(('.h265', '.hevc')))
    raw = open(args.file, 'rb').read()
    aus = [] if args.ps_file else access_units(raw, h265)
    aac, aac_rate = adts_frames(open(args.aac, 'rb').read()) if args.aac else ([], 44100)
    if args.transport == 'udp':
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(('0.0.0.0', 0))
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
    talk = {'packets': 0, 'ssrc': 0, 'pt': 0}
    if args.talk_out:
        threading.Thread(target=read_back, args=(sock, args.transport == 'udp', args.talk_out, talk), daemon=True).start()
    seq, sent = 0, 0
    if args.ps_file:
        groups = ps_file_frames(raw)
        first = groups[0][1] if groups else 0
        start = time.time()
        for k, (ps, ts, _) in enumerate(groups):
            delay = start + (ts - first) / 90000 - time.time()
            if delay > 0: time.sleep(delay)
            packets, seq = rtp_packets(ps, seq, ts, args.ssrc, mark=False)
            for p in packets: send(p)
            sent += 1
        time.sleep(0.5)
        print('sent', sent, flush=True)
        return
    frames = aus
    if args.seconds:
        n = int(args.seconds * args.fps)
        frames = (aus * (n // max(1, len(aus)) + 1))[:n]
    start = time.time()
    audio_at = 0
    for k, (au, key) in enumerate(frames):
        pts = int(k * 90000 / args.fps)
        ps = pack_header(pts)
        if key: ps += system_header() + psm(0x24 if h265 else 0x1b, 0x0f if aac else 0x90)
        ps += pes(0xe0, pts, au)
        if aac and not args.no_audio:
            # The ADTS frames (1024 samples each) due by the end of this video frame, each in a PES of its own.
            while audio_at * 1024 * 90000 // aac_rate < pts + 90000 / args.fps:
                ps += pes(0xc0, audio_at * 1024 * 90000 // aac_rate, aac[audio_at % len(aac)])
                audio_at += 1
        elif not args.no_audio:
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
    if args.talk_out: print('talk', talk['packets'], talk['ssrc'], talk['pt'], flush=True)

def read_back(sock, udp, path, talk):
    """RTP the server sends back (RFC 3550 5.1 header, CSRCs and extension skipped): payloads appended to path."""
    out, pending = open(path, 'wb'), b''
    def packet(p):
        if len(p) < 12 or p[0] >> 6 != 2: return
        start = 12 + 4 * (p[0] & 0x0f)
        if p[0] & 0x10 and len(p) >= start + 4: start += 4 + 4 * struct.unpack('>H', p[start + 2:start + 4])[0]
        talk['packets'] += 1; talk['ssrc'] = struct.unpack('>I', p[8:12])[0]; talk['pt'] = p[1] & 0x7f
        out.write(p[start:]); out.flush()
    while True:
        try:
            data = sock.recv(65536)
        except OSError:
            return
        if not data: return
        if udp:
            packet(data); continue
        pending += data
        while len(pending) >= 2 and len(pending) >= 2 + struct.unpack('>H', pending[:2])[0]:
            n = struct.unpack('>H', pending[:2])[0]
            packet(pending[2:2 + n]); pending = pending[2 + n:]

if __name__ == '__main__':
    main()
