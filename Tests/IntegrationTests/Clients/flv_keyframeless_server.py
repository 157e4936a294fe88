#!/usr/bin/env python3
"""An HTTP-FLV origin that never sends a keyframe.

usage: flv_keyframeless_server.py SOURCE.flv FRAMES_PER_SECOND

Takes the AVC sequence header and the inter frames (frame type 2) of SOURCE.flv (an H.264 FLV, e.g. from
ffmpeg), and serves them on any GET as one endless FLV: the sequence header, then the inter frames in a loop,
40 ms apart in timestamps, FRAMES_PER_SECOND of them a second of wall time. Keyframes are left out, so a
player can never start. Prints "port N" and "max_frame N" (the largest tag body) when it listens, and
"sent F B" (frames, bytes) as each client goes.
"""
import socket
import struct
import sys
import threading
import time


def read_tags(path):
    data = open(path, "rb").read()
    if data[:3] != b"FLV":
        raise SystemExit("not an FLV file")
    offset = struct.unpack(">I", data[5:9])[0] + 4
    header, inter = None, []
    while offset + 11 <= len(data):
        tag_type = data[offset]
        size = int.from_bytes(data[offset + 1:offset + 4], "big")
        body = data[offset + 11:offset + 11 + size]
        offset += 11 + size + 4
        if tag_type != 9 or len(body) < 2 or body[0] & 0x0F != 7:
            continue
        if body[1] == 0:
            header = body
        elif body[1] == 1 and body[0] >> 4 == 2:
            inter.append(body)
    if header is None or not inter:
        raise SystemExit("no AVC sequence header or no inter frames")
    return header, inter


def tag(body, ms):
    head = bytes([9]) + len(body).to_bytes(3, "big") + (ms & 0xFFFFFF).to_bytes(3, "big") + bytes([(ms >> 24) & 0xFF]) + b"\0\0\0"
    return head + body + struct.pack(">I", 11 + len(body))


def serve(conn, header, inter, rate):
    frames = sent = 0
    try:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\nConnection: close\r\n\r\n")
        conn.sendall(b"FLV\x01\x01\x00\x00\x00\x09\x00\x00\x00\x00" + tag(header, 0))
        start = time.monotonic()
        while True:
            body = inter[frames % len(inter)]
            out = tag(body, frames * 40)
            conn.sendall(out)
            frames += 1
            sent += len(out)
            ahead = frames / rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
    except OSError:
        pass
    finally:
        print("sent", frames, sent, flush=True)
        conn.close()


def main():
    header, inter = read_tags(sys.argv[1])
    rate = float(sys.argv[2])
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    print("port", listener.getsockname()[1], flush=True)
    print("max_frame", max(len(b) for b in inter), flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, header, inter, rate), daemon=True).start()


if __name__ == "__main__":
    main()
