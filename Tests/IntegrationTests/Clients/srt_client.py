#!/usr/bin/env python3
"""A tiny libsrt caller through ctypes, for what ffmpeg cannot show: the reject reason of a refused
connection (srt_getrejectreason), a publisher sending a payload that is not MPEG-TS, a publisher that
sends nothing, and the size of the messages a player receives.

usage: srt_client.py HOST PORT STREAMID [--passphrase P] [--streamid-hex HEX] [--send-junk SECONDS]
                     [--hold SECONDS] [--read SECONDS]
prints "connected" or "rejected <code>" (exit 0 either way), "error ..." (exit 1) otherwise; --read adds
"messages <count> largest <bytes>"."""
import argparse, ctypes, os, socket, struct, sys, time

lib = ctypes.CDLL("libsrt.so.1.5")
SRTO_RCVTIMEO, SRTO_SENDER, SRTO_PASSPHRASE, SRTO_STREAMID, SRTO_TRANSTYPE = 14, 21, 26, 46, 50

def setopt(s, opt, value):
    if isinstance(value, bytes):
        buf = ctypes.create_string_buffer(value, len(value))
        return lib.srt_setsockflag(s, opt, buf, len(value))
    v = ctypes.c_int(value)
    return lib.srt_setsockflag(s, opt, ctypes.byref(v), 4)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host"); ap.add_argument("port", type=int); ap.add_argument("streamid")
    ap.add_argument("--passphrase", default="")
    ap.add_argument("--streamid-hex", default="")
    ap.add_argument("--send-junk", type=float, default=0)
    # Connected and silent: libsrt's keepalives only, no data.
    ap.add_argument("--hold", type=float, default=0)
    ap.add_argument("--read", type=float, default=0)
    a = ap.parse_args()
    lib.srt_startup()
    lib.srt_getlasterror_str.restype = ctypes.c_char_p
    s = lib.srt_create_socket()
    setopt(s, SRTO_TRANSTYPE, 0)  # SRTT_LIVE
    sid = bytes.fromhex(a.streamid_hex) if a.streamid_hex else a.streamid.encode()
    setopt(s, SRTO_STREAMID, sid)
    if a.passphrase:
        setopt(s, SRTO_PASSPHRASE, a.passphrase.encode())
    addr = struct.pack("<H", socket.AF_INET) + struct.pack(">H", a.port) + socket.inet_aton(socket.gethostbyname(a.host)) + b"\0" * 8
    if lib.srt_connect(s, addr, len(addr)) < 0:
        print("rejected %d" % lib.srt_getrejectreason(s))
        return 0
    print("connected", flush=True)
    end = time.time() + a.send_junk
    rnd = __import__("random").Random(7)
    while time.time() < end:
        junk = bytes(rnd.getrandbits(8) for _ in range(1316))
        if lib.srt_sendmsg2(s, junk, len(junk), None) < 0:
            print("closed by server: %s" % lib.srt_getlasterror_str().decode(), flush=True)
            break
        time.sleep(0.005)
    time.sleep(a.hold)
    if a.read > 0:
        setopt(s, SRTO_RCVTIMEO, 500)
        buf = ctypes.create_string_buffer(1500)
        count, largest, end = 0, 0, time.time() + a.read
        while time.time() < end:
            n = lib.srt_recvmsg(s, buf, len(buf))
            if n > 0:
                count, largest = count + 1, max(largest, n)
        print("messages %d largest %d" % (count, largest), flush=True)
    lib.srt_close(s)
    return 0

sys.exit(main())
