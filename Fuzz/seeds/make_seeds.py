#!/usr/bin/env python3
"""Raw seed inputs for the fuzz targets, written to OUT/<target>/: the byte vectors and texts of the unit
tests (hex("..."), [0x..] arrays, string literals), framed as each target reads its input, plus media
captured with ffmpeg on this machine. scripts/fuzz.sh --seed merges them into Fuzz/corpus (minimised)."""
import glob, hashlib, os, re, socket, struct, subprocess, sys, tempfile, threading

out = sys.argv[1]
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

def put(target, data):
    if isinstance(data, str): data = data.encode()
    if not data or len(data) > 1 << 16: return
    d = os.path.join(out, target); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb").write(data)

def unescape(s):
    return s.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t").replace('\\"', '"').replace("\\\\", "\\")

def vectors(test_dir):
    """Byte vectors and text literals of one unit-test target."""
    blobs, texts = [], []
    for path in glob.glob(os.path.join(root, "Tests", test_dir, "*.swift")):
        src = open(path, encoding="utf-8").read()
        for h in re.findall(r'hex\("([0-9a-fA-F ]+)"\)', src):
            blobs.append(bytes.fromhex(h.replace(" ", "")))
        for arr in re.findall(r'\[((?:\s*0x[0-9A-Fa-f]{1,2}\s*,){3,}\s*0x[0-9A-Fa-f]{1,2}\s*,?\s*)\]', src):
            blobs.append(bytes(int(x, 16) for x in re.findall(r'0x([0-9A-Fa-f]{1,2})', arr)))
        for t in re.findall(r'"""\n(.*?)\n\s*"""', src, re.S):
            texts.append(unescape("\n".join(l.strip() for l in t.split("\n"))))
        for t in re.findall(r'"((?:[^"\\\n]|\\.){12,})"', src):
            texts.append(unescape(t))
    return blobs, texts

def amf0_str(s): b = s.encode(); return b"\x02" + struct.pack(">H", len(b)) + b
def amf0_num(n): return b"\x00" + struct.pack(">d", n)
def amf0_obj(pairs):
    out = b"\x03"
    for k, v in pairs: out += struct.pack(">H", len(k)) + k.encode() + v
    return out + b"\x00\x00\x09"

def chunks(csid, mtype, sid, ts, payload, size=128):
    """RTMP chunks of one message: a type 0 header, then type 3 continuation chunks."""
    out = bytes([csid]) + struct.pack(">I", ts)[1:] + struct.pack(">I", len(payload))[1:] + bytes([mtype]) + struct.pack("<I", sid)
    for i in range(0, len(payload), size):
        if i: out += bytes([0xC0 | csid])
        out += payload[i:i + size]
    return out

def rtmp_session(publish=True):
    avcc = bytes.fromhex("0142c00dffe100186742c00dd90141fb011000000300100000030320f142a48001000568cb83cb20")
    s = chunks(3, 20, 0, 0, amf0_str("connect") + amf0_num(1) + amf0_obj([("app", amf0_str("live")), ("tcUrl", amf0_str("rtmp://127.0.0.1/live"))]))
    s += chunks(3, 20, 0, 0, amf0_str("createStream") + amf0_num(2) + b"\x05")
    if publish:
        s += chunks(3, 20, 1, 0, amf0_str("publish") + amf0_num(3) + b"\x05" + amf0_str("cam") + amf0_str("live"))
        s += chunks(4, 18, 1, 0, amf0_str("@setDataFrame") + amf0_str("onMetaData") + amf0_obj([("videocodecid", amf0_num(7)), ("audiocodecid", amf0_num(10))]))
        s += chunks(6, 9, 1, 0, bytes([0x17, 0, 0, 0, 0]) + avcc)
        s += chunks(4, 8, 1, 0, bytes([0xAF, 0, 0x12, 0x10]))
        s += chunks(6, 9, 1, 0, bytes([0x17, 1, 0, 0, 0, 0, 0, 0, 6, 0x65, 0x88, 0x84, 0, 0x33, 0xFF]))
        s += chunks(4, 8, 1, 23, bytes([0xAF, 1, 0x21, 0x10, 0x04]))
        s += chunks(6, 9, 1, 40, bytes([0x27, 1, 0, 0, 40, 0, 0, 0, 4, 0x41, 0x9A, 2, 4]))
    else:
        s += chunks(3, 20, 1, 0, amf0_str("play") + amf0_num(4) + b"\x05" + amf0_str("cam"))
    return s

def ffmpeg(args, path):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=0.5",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=0.5"] + args + [path], check=False)
    return open(path, "rb").read() if os.path.exists(path) else b""

def capture_rtp(tmp):
    """RTP packets ffmpeg sends for H.264, H.265, AAC (mpeg4-generic and LATM), PCMA and Opus, and their SDP."""
    out = {}
    for name, codec in [("h264", ["-an", "-c:v", "libx264", "-bf", "0"]), ("h265", ["-an", "-c:v", "libx265", "-x265-params", "log-level=none"]),
                        ("aac", ["-vn", "-c:a", "aac"]), ("latm", ["-vn", "-c:a", "aac", "-rtpflags", "latm"]),
                        ("pcma", ["-vn", "-c:a", "pcm_alaw", "-ar", "8000"]), ("opus", ["-vn", "-c:a", "libopus", "-ar", "48000"])]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sock.bind(("127.0.0.1", 0)); sock.settimeout(2)
        port = sock.getsockname()[1]
        packets = []
        def recv():
            try:
                while len(packets) < 40: packets.append(sock.recv(65536))
            except OSError: pass
        t = threading.Thread(target=recv); t.start()
        sdp = os.path.join(tmp, name + ".sdp")
        ffmpeg(codec + ["-f", "rtp", "-sdp_file", sdp], "rtp://127.0.0.1:%d" % port)
        t.join(); sock.close()
        out[name] = (packets, open(sdp).read() if os.path.exists(sdp) else "")
    return out

def hex_vectors(test_dir):
    """hexBytes("...") and hexBytes(\"\"\"...\"\"\") vectors of one unit-test target (the WebRTC, PS and SRT tests' form)."""
    out = []
    for path in glob.glob(os.path.join(root, "Tests", test_dir, "*.swift")):
        src = open(path, encoding="utf-8").read()
        for h in re.findall(r'hexBytes\("""\n(.*?)"""\)', src, re.S) + re.findall(r'hexBytes\("([0-9a-fA-F ]+)"\)', src):
            try: out.append(bytes.fromhex(re.sub(r"\s", "", h)))
            except ValueError: pass
    return out

def string_literals(test_dir):
    """Every one-line string literal of a unit-test target (streamids, rules and URLs are short)."""
    out = []
    for path in glob.glob(os.path.join(root, "Tests", test_dir, "*.swift")):
        for t in re.findall(r'"((?:[^"\\\n]|\\.)+)"', open(path, encoding="utf-8").read()):
            if "\\(" not in t: out.append(unescape(t))
    return out

def ps_timestamp(prefix, v):
    return bytes([prefix << 4 | ((v >> 29) & 0x0E) | 1, (v >> 22) & 0xFF, ((v >> 14) & 0xFE) | 1, (v >> 7) & 0xFF, ((v << 1) & 0xFE) | 1])

def ps_pes(sid, pts, payload, zero_length=False, dts=None):
    header = b"\x80\x00\x00"
    if pts is not None and dts is not None: header = b"\x80\xC0\x0A" + ps_timestamp(3, pts) + ps_timestamp(1, dts)
    elif pts is not None: header = b"\x80\x80\x05" + ps_timestamp(2, pts)
    length = 0 if zero_length else len(header) + len(payload)
    return b"\x00\x00\x01" + bytes([sid]) + struct.pack(">H", length) + header + payload

def ps_map(entries):
    m = b"".join(bytes([t, i, 0, 0]) for t, i in entries)
    body = b"\xE0\xFF\x00\x00" + struct.pack(">H", len(m)) + m + b"\x00\x00\x00\x00"
    return b"\x00\x00\x01\xBC" + struct.pack(">H", len(body)) + body

PS_PACK = bytes([0, 0, 1, 0xBA, 0x44, 0x00, 0x04, 0x00, 0x04, 0x01, 0x01, 0x89, 0xC3, 0xF8])
PS_SYSTEM = bytes([0, 0, 1, 0xBB, 0x00, 0x09, 0x80, 0xCC, 0xF5, 0x04, 0xE1, 0xFF, 0xE0, 0xE0, 0x80])
H264_KEY = b"".join(b"\x00\x00\x00\x01" + n for n in [bytes.fromhex("6742c01eda0280f684000003000400000300c83c58b920"), bytes.fromhex("68ce3c80"), bytes.fromhex("65888400 33ff".replace(" ", ""))])
H265_KEY = b"".join(b"\x00\x00\x00\x01" + n for n in [bytes.fromhex("40010c01ffff016000000300b0000003000003005d9598"),
    bytes.fromhex("420101016000000300b0000003000003005da00280802d165995a4932bc05a70080000030008000003008040"), bytes.fromhex("4401c172b46240"), bytes.fromhex("2601af0a3e")])

def program_streams():
    """Program streams as the PS tests build them, in the shapes devices send."""
    alaw = b"\xD5" * 160
    adts = bytes([0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC]) + b"\x21\x10\x04"
    slice_ = b"\x00\x00\x00\x01\x41\x9A\x02\x0C"
    yield PS_PACK + PS_SYSTEM + ps_map([(0x1B, 0xE0), (0x90, 0xC0)]) + ps_pes(0xE0, 3600, H264_KEY) + ps_pes(0xC0, 3600, alaw) + PS_PACK + ps_pes(0xE0, 7200, slice_)
    yield PS_PACK + ps_map([(0x24, 0xE0), (0x0F, 0xC0)]) + ps_pes(0xE0, 3600, H265_KEY, dts=0) + ps_pes(0xC0, 3600, adts) + PS_PACK + ps_pes(0xE0, 7200, b"\x00\x00\x00\x01\x02\x01\xd0\x09")
    yield PS_PACK + ps_pes(0xE0, 3600, H264_KEY, zero_length=True) + PS_PACK + ps_pes(0xE0, 7200, slice_, zero_length=True) + b"\x00\x00\x01\xB9"
    # Hikvision's H.265: NAL units straight after the pack header, continuing the open frame.
    yield PS_PACK + ps_pes(0xE0, 3600, H265_KEY) + PS_PACK + b"\x00\x00\x00\x01\x02\x01\xd0\x09" + PS_PACK + ps_pes(0xE0, 7200, b"\x00\x00\x00\x01\x02\x01\xd0\x0a")
    mpeg1_pack = bytes([0, 0, 1, 0xBA, 0x21, 0x00, 0x01, 0x00, 0x01, 0x80, 0x00, 0x01])
    mpeg1_pes = b"\x00\x00\x01\xE0" + struct.pack(">H", 5 + len(H264_KEY) + 1) + b"\xFF" + ps_timestamp(2, 3600) + H264_KEY
    yield mpeg1_pack + mpeg1_pes + b"\x00\x00\x01\xBE\x00\x04\xFF\xFF\xFF\xFF"
    yield b"garbage" + PS_PACK + ps_pes(0xC0, 900, alaw) + b"\x00\x00\x01\xBD\x00\x02\x00\x00" + ps_pes(0xC0, 1800, alaw)

def rtp(pt, seq, ts, payload, marker=False, ssrc=0x01020304):
    return bytes([0x80, (0x80 if marker else 0) | pt]) + struct.pack(">HII", seq, ts, ssrc) + payload

def gb_rtp(ps, pt=96, size=1400, ts=3600):
    chunks = [ps[i:i + size] for i in range(0, len(ps), size)] or [b""]
    return [rtp(pt, n, ts, c, marker=n == len(chunks) - 1) for n, c in enumerate(chunks)]

def seed_new_parsers(tmp):
    """Seeds of the WebRTC, SRT and GB28181 targets."""
    wt = hex_vectors("WebRtcProtocolTests")
    for x in wt:
        put("FuzzStun", x); put("FuzzWebRtcRtcp", x)
    b, t = vectors("RtpFormatsTests")
    rtcp_like = [x for x in b if len(x) >= 8 and x[0] >> 6 == 2 and 192 <= x[1] <= 223]
    for x in rtcp_like: put("FuzzWebRtcRtcp", x)
    for f in glob.glob(os.path.join(root, "Tests", "WebRtcProtocolTests", "Fixtures", "*.sdp")):
        put("FuzzWebRtcSdp", open(f, "rb").read())
    src = open(os.path.join(root, "Tests", "WebRtcProtocolTests", "SdpTests.swift"), encoding="utf-8").read()
    for t in re.findall(r'"""\n(.*?)\n\s*"""', src, re.S):
        if "v=0" in t: put("FuzzWebRtcSdp", unescape("\r\n".join(l.strip() for l in t.split("\n"))))
    # SRTP: RFC 7714's protected packets under its key (raw mode, GCM) and plain RTP/RTCP (round trip, both profiles).
    frame = lambda ps: b"".join(struct.pack(">H", len(p)) + p for p in ps)
    srtp = [x for x in wt if len(x) > 12 and x[0] >> 6 == 2]
    for x in srtp:
        rtcp = 192 <= x[1] <= 223
        for mode in ((1, 0, 5, 4) if not rtcp else (3, 2, 7, 6)): put("FuzzSrtp", bytes([mode]) + frame([x]))
    plain = [rtp(96, s, 3000 * s, bytes(range(40))) for s in (1, 2, 2, 65535, 0, 3)]
    for mode in (4, 5): put("FuzzSrtp", bytes([mode]) + frame(plain))
    for mode in (6, 7): put("FuzzSrtp", bytes([mode]) + frame([x for x in rtcp_like[:4]] + [bytes.fromhex("81c9000701020304")]))
    # DTLS: records mode (even first byte: MTU from the second) and handshake scripts (odd).
    rec = lambda ct, body: bytes([ct, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 1]) + struct.pack(">H", len(body)) + body
    put("FuzzDtls", b"\x00\x10" + rec(22, b"\x01" * 100) + rec(22, b"\x02" * 60) + rec(20, b"\x01") + rec(23, b"x" * 300) + b"\x16\xfe\xfd")
    put("FuzzDtls", b"\x00\x00" + rec(22, b"") + rec(21, b"\x02\x28"))
    for script in [b"", b"\x00" * 16, b"\x04\x00\x00\x00", b"\x05\x00\x20\x40" * 4, b"\x06\x10" * 3, b"\x07\x04abcd", b"\x03\x05\x16\xfe\xfd\x00\x00"]:
        put("FuzzDtls", b"\x01" + script)
    # SRT streamids in every dialect, URLs and passphrase rules, from the tests.
    for x in string_literals("SrtProtocolTests"):
        put("FuzzSrtStreamId", x)
    for x in ["#!::r=live/cam,m=publish", "#!::h=example.com,r=app/sub/cam,m=request,u=alice,s=abc,t=stream,token=x",
              "%23%21%3A%3Ar%3Dlive%2Fcam%2Cm%3Dpublish", "publish:live/cam:user:pass:token=1", "read:live/cam",
              "h=live/cam,m=publish", "live/cam?token=1", "srt://127.0.0.1:9000?streamid=#!::r=live/cam,m=request&passphrase=0123456789&latency=200000",
              "srt://[::1]:9000/live/cam?pbkeylen=32&mode=caller", "live/*=0123456789abc|24\npublish:live/cam=\nread:*=secretsecret"]:
        put("FuzzSrtStreamId", x)
    # MPEG-PS: built like the tests, and ffmpeg's program streams; GB28181 RTP over TCP carrying them.
    streams = list(program_streams())
    for args in (["-c:v", "libx264", "-an"], ["-c:v", "libx264", "-c:a", "mp2"], ["-c:v", "mpeg2video", "-c:a", "mp2"]):
        ps = ffmpeg(args + ["-f", "mpeg"], os.path.join(tmp, "a.mpg"))
        if ps: streams.append(ps[:8192])
    for n, ps in enumerate(streams):
        put("FuzzMpegPs", bytes([n * 37 % 256, n & 1]) + ps)
        packets = gb_rtp(ps, size=[1400, 500][n % 2])
        put("FuzzGbRtpTcp", bytes([255, 1]) + b"".join(struct.pack(">H", len(p)) + p for p in packets))
        put("FuzzGbRtpTcp", bytes([50, 0]) + b"".join(b"$\x00" + struct.pack(">H", len(p)) + p for p in packets))
    key = [rtp(98, n, 3600, nal, marker=n == 2) for n, nal in
           enumerate([bytes.fromhex("6742c01eda0280f684000003000400000300c83c58b920"), bytes.fromhex("68ce3c80"), bytes.fromhex("65888400 33ff".replace(" ", ""))])]
    put("FuzzGbRtpTcp", bytes([255, 0]) + b"".join(struct.pack(">H", len(p)) + p for p in key + [rtp(8, 9, 160, b"\xD5" * 160)]))
    ts = ffmpeg(["-c:v", "libx264", "-c:a", "aac", "-f", "mpegts"], os.path.join(tmp, "g.ts"))
    if ts:
        tsp = [rtp(33, n, 3600, ts[i:i + 1316]) for n, i in enumerate(range(0, min(len(ts), 1316 * 6), 1316))]
        put("FuzzGbRtpTcp", bytes([255, 1]) + b"".join(struct.pack(">H", len(p)) + p for p in tsp))
    # Bus frames for the packetizers: length-prefixed NAL units (H.264, H.265), raw AAC, G.711, Opus, and PS chunks.
    avcc = lambda nals: b"".join(struct.pack(">I", len(n)) + n for n in nals)
    h264 = [bytes.fromhex("6742c01eda0280f684000003000400000300c83c58b920"), bytes.fromhex("68ce3c80"), bytes.fromhex("658884") + bytes(range(256)) * 12]
    h265 = [n[4:] if n.startswith(b"\x00\x00\x00\x01") else n for n in H265_KEY.split(b"\x00\x00\x00\x01") if n]
    frames = {0: [avcc(h264), avcc([bytes.fromhex("419a020c")])], 1: [avcc(h265 + [b"\x26\x01" + bytes(3000)]), avcc([b"\x02\x01\xd0\x09"])],
              2: [b"\x21\x10\x04" + bytes(300)] * 3, 3: [b"\xD5" * 160] * 2, 4: [b"\xFF" * 320], 5: [b"\xFC\xFF\xFE", b"\x78" + bytes(80)],
              6: [streams[0], streams[1][:700], b""]}
    for sel, fs in frames.items():
        for budget in (0, 40, 232):
            put("FuzzRtpPacketizer", bytes([sel, budget]) + b"".join(struct.pack(">H", len(f)) + f for f in fs))
    # A corrupt length in the middle, which the framer resynchronises after.
    good = gb_rtp(streams[0])
    put("FuzzGbRtpTcp", bytes([7, 1]) + struct.pack(">H", len(good[0])) + good[0] + b"\xFF\xFF" + b"\x5A" * 300
        + b"".join(struct.pack(">H", len(p)) + p for p in good[1:]))


def main():
    tmp = tempfile.mkdtemp()
    # Unit-test vectors, framed per target.
    b, t = vectors("MediaFormatsTests")
    for x in b:
        put("FuzzAmf", x); put("FuzzFlv", b"\x00" + x)
        for sel in range(6): put("FuzzCodecConfig", bytes([sel]) + x)
    b, t = vectors("RtmpProtocolTests")
    for x in b: put("FuzzRtmpChunk", b"\x10" + x); put("FuzzAmf", x)
    b, t = vectors("RtspProtocolTests")
    for x in t + [y.decode("latin1") for y in b]:
        put("FuzzRtspMessage", x); put("FuzzSdp", x)
    b, t = vectors("RtpFormatsTests")
    for x in b:
        put("FuzzRtcp", x)
        for sel in range(6): put("FuzzRtp", bytes([sel]) + struct.pack(">H", len(x)) + x)
    b, t = vectors("MpegTSTests")
    for x in b: put("FuzzMpegTs", b"\xBC" + x)
    b, t = vectors("MP4FormatsTests")
    for x in b: put("FuzzMp4", b"\x80" + x)
    b, t = vectors("HlsFormatsTests")
    for x in t: put("FuzzM3u8", x)
    b, t = vectors("HttpProtocolTests")
    for x in t: put("FuzzHttp", "\x01" + x); put("FuzzHttp", "\x00" + x)
    for x in b: put("FuzzWebSocket", b"\x20" + x)
    b, t = vectors("RouterCoreTests")
    for x in t:
        if "=" in x and ("[" in x or "\n" in x): put("FuzzConfig", x)
    for conf in [os.path.join(root, "plugins.conf")] + glob.glob(os.path.join(root, "examples", "*.conf")):
        put("FuzzConfig", open(conf, "rb").read())

    # Captures made with ffmpeg here.
    flv = ffmpeg(["-c:v", "libx264", "-c:a", "aac", "-f", "flv"], os.path.join(tmp, "a.flv"))
    put("FuzzFlv", b"\x00" + flv[:4096]); put("FuzzFlv", b"\x03" + flv[13:4096])
    hevc_flv = ffmpeg(["-c:v", "libx265", "-an", "-f", "flv"], os.path.join(tmp, "h.flv"))
    put("FuzzFlv", b"\x00" + hevc_flv[:4096])
    put("FuzzAmf", flv[13 + 11:13 + 11 + ((flv[14] << 16) | (flv[15] << 8) | flv[16])] if len(flv) > 30 else b"")
    for args in (["-c:v", "libx264", "-c:a", "aac"], ["-c:v", "libx265", "-c:a", "aac"], ["-c:v", "libx264", "-c:a", "libopus"]):
        ts = ffmpeg(args + ["-f", "mpegts"], os.path.join(tmp, "a.ts"))
        put("FuzzMpegTs", b"\xBC" + ts[:188 * 40])
    mp4 = ffmpeg(["-c:v", "libx264", "-c:a", "aac", "-f", "mp4"], os.path.join(tmp, "a.mp4"))
    put("FuzzMp4", b"\x00" + mp4)
    fmp4 = ffmpeg(["-c:v", "libx264", "-c:a", "aac", "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof"], os.path.join(tmp, "f.mp4"))
    put("FuzzMp4", b"\x00" + fmp4)
    moov_end = fmp4.find(b"moof") - 4
    if moov_end > 0: put("FuzzMp4", bytes([min(255, moov_end * 255 // max(1, len(fmp4)) + 1)]) + fmp4)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=3", "-c:v", "libx264",
                    "-g", "10", "-f", "hls", "-hls_time", "1", os.path.join(tmp, "live.m3u8")], check=False)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=3", "-c:v", "libx264",
                    "-g", "10", "-f", "hls", "-hls_time", "1", "-hls_segment_type", "fmp4", os.path.join(tmp, "fmp4.m3u8")], check=False)
    for p in ("live.m3u8", "fmp4.m3u8"):
        if os.path.exists(os.path.join(tmp, p)): put("FuzzM3u8", open(os.path.join(tmp, p), "rb").read())
    put("FuzzM3u8", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS=\"avc1.42c01e,mp4a.40.2\"\nlow/index.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=2000000,AVERAGE-BANDWIDTH=1800000,FRAME-RATE=30.000\nhttp://cdn.example/high.m3u8\n")
    for name, (packets, sdp) in capture_rtp(tmp).items():
        sel = {"h264": 0, "h265": 1, "aac": 2, "latm": 3, "pcma": 4, "opus": 5}[name]
        body = b"".join(struct.pack(">H", len(p)) + p for p in packets[:20])
        if name == "latm":
            m = re.search(r"config=([0-9a-fA-F]+)", sdp)
            cfg = bytes.fromhex(m.group(1)) if m else b""
            body = bytes([len(cfg)]) + cfg + body
        put("FuzzRtp", bytes([sel]) + body)
        put("FuzzSdp", sdp); put("FuzzRtspMessage", "ANNOUNCE rtsp://127.0.0.1/live/cam RTSP/1.0\r\nCSeq: 2\r\nContent-Type: application/sdp\r\n"
                                "Content-Length: %d\r\n\r\n%s" % (len(sdp), sdp))
    # An RTSP exchange as ffmpeg's client and our server speak it (requests and answers), and the HTTP tunnel.
    rtsp = ["OPTIONS rtsp://127.0.0.1:554/live/cam RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: Lavf60\r\n\r\n",
            "SETUP rtsp://127.0.0.1/live/cam/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n",
            "SETUP rtsp://127.0.0.1/live/cam/trackID=1 RTSP/1.0\r\nCSeq: 4\r\nTransport: RTP/AVP;unicast;client_port=5000-5001;mode=record\r\nSession: 12345678\r\n\r\n",
            "PLAY rtsp://127.0.0.1/live/cam RTSP/1.0\r\nCSeq: 5\r\nSession: 12345678;timeout=60\r\nRange: npt=0.000-\r\n\r\n",
            "DESCRIBE rtsp://u:p@127.0.0.1/live/cam RTSP/1.0\r\nCSeq: 2\r\nAuthorization: Digest username=\"user\", realm=\"MediaRouter\", nonce=\"abc\", uri=\"rtsp://127.0.0.1/live/cam\", response=\"0123456789abcdef0123456789abcdef\"\r\n\r\n",
            "DESCRIBE rtsp://127.0.0.1/live/cam RTSP/1.0\r\nCSeq: 2\r\nAuthorization: Basic dXNlcjpzZWNyZXQ=\r\n\r\n",
            "RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm=\"MediaRouter\", nonce=\"abc\", qop=\"auth\", algorithm=MD5\r\nWWW-Authenticate: Basic realm=\"MediaRouter\"\r\n\r\n",
            "RTSP/1.0 200 OK\r\nCSeq: 5\r\nSession: 12345678\r\nRTP-Info: url=rtsp://127.0.0.1/live/cam/trackID=0;seq=1;rtptime=0,url=trackID=1;seq=5\r\n\r\n$\x00\x00\x0c\x80\x60\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01"]
    for r in rtsp: put("FuzzRtspMessage", r)
    put("FuzzRtspMessage", "".join(rtsp))
    import base64
    put("FuzzRtspMessage", "POST /live/cam HTTP/1.0\r\nx-sessioncookie: abc\r\nContent-Type: application/x-rtsp-tunnelled\r\n\r\n"
        + base64.b64encode(rtsp[0].encode()).decode() + base64.b64encode(rtsp[3].encode()).decode())
    put("FuzzRtspMessage", "GET /live/cam HTTP/1.0\r\nx-sessioncookie: abc\r\nAccept: application/x-rtsp-tunnelled\r\n\r\n")
    http = ["GET /live/cam.live.flv?secret=x HTTP/1.1\r\nHost: h\r\nRange: bytes=0-99\r\n\r\n",
            "GET /live/cam.live.ts HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
            "POST /index/api/getMediaList HTTP/1.1\r\nContent-Length: 11\r\nContent-Type: application/json\r\n\r\n{\"app\":\"x\"}",
            "GET /live/../out/passwd HTTP/1.1\r\n\r\n", "GET /%2e%2e/out/passwd HTTP/1.1\r\n\r\n", "GET /out/passwd HTTP/1.1\r\n\r\n"]
    for r in http: put("FuzzHttp", "\x01" + r)
    for r in ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
              "HTTP/1.0 200 OK\r\nContent-Type: video/x-flv\r\n\r\nFLV\x01\x05", "HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n"]:
        put("FuzzHttp", "\x00" + r)
    mask = bytes([1, 2, 3, 4])
    for op, payload in [(1, b"hello"), (2, b"\x00" * 130), (8, b"\x03\xe8"), (9, b"")]:
        n = len(payload)
        head = bytes([0x80 | op]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
        put("FuzzWebSocket", b"\x10" + head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload)))
    for q in ["\x00app=live&stream=cam&secret=abc", "\x01\x00{\"app\":\"live\",\"n\":1,\"b\":true,\"o\":{\"x\":[1,2]}}",
              "\x02vhost=__defaultVhost__\x00stream=a%20b&x=%ZZ+y", "\x03\x00{\"secret\":\"x\"}"]:
        put("FuzzApiParams", q)
    put("FuzzRtmpSession", rtmp_session(True)); put("FuzzRtmpSession", rtmp_session(False))
    put("FuzzRtmpChunk", b"\x10" + rtmp_session(True))
    seed_new_parsers(tmp)

main()
