#!/usr/bin/env python3
"""A user-space UDP relay between one SRT caller and a server, dropping and reordering datagrams in both
directions (data one way, ACK/NAK the other) with a seeded generator, so a run is repeatable.

usage: udp_loss_relay.py LISTEN_PORT SERVER_PORT [--drop 0.05] [--reorder 0.05] [--seed 1] [--delay-ms 0]
A reordered datagram is held back and sent after the next one of the same direction; --delay-ms delays every
datagram by that much each way (an RTT of twice that, for the latency tests)."""
import argparse, heapq, itertools, random, select, socket, time

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("listen", type=int); ap.add_argument("server", type=int)
    ap.add_argument("--drop", type=float, default=0.05); ap.add_argument("--reorder", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1); ap.add_argument("--delay-ms", type=float, default=0)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); front.bind(("127.0.0.1", a.listen))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); back.bind(("127.0.0.1", 0))
    server = ("127.0.0.1", a.server)
    client = None
    held = {front: None, back: None}
    stats = {"in": 0, "dropped": 0, "reordered": 0}
    delayed, order = [], itertools.count()
    def emit(out, data, to):
        if a.delay_ms <= 0:
            out.sendto(data, to)
        else:
            heapq.heappush(delayed, (time.monotonic() + a.delay_ms / 1000, next(order), out, data, to))
    while True:
        wait = 1.0 if not delayed else max(0.0, delayed[0][0] - time.monotonic())
        ready, _, _ = select.select([front, back], [], [], wait)
        while delayed and delayed[0][0] <= time.monotonic():
            _, _, out, data, to = heapq.heappop(delayed)
            out.sendto(data, to)
        for sock in ready:
            data, peer = sock.recvfrom(65536)
            if sock is front:
                client = peer
                out, to = back, server
            else:
                if client is None:
                    continue
                out, to = front, client
            stats["in"] += 1
            if rnd.random() < a.drop:
                stats["dropped"] += 1
                continue
            if held[sock] is None and rnd.random() < a.reorder:
                held[sock] = (data, to)
                stats["reordered"] += 1
                continue
            emit(out, data, to)
            if held[sock] is not None:
                emit(out, *held[sock])
                held[sock] = None

main()
