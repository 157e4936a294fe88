#!/usr/bin/env python3
"""Many aiortc WHEP players in one process (one event loop, one RTCPeerConnection each: far lighter than a
process per player): each plays as whep_client.py does, all at once, and one JSON line reports every player
(status, decoded video frames, time to the first frame) and the least frames any player decoded.

Players start `--stagger` seconds apart so their DTLS handshakes (in Python) do not all land in the same
instant; each then plays for `--seconds`, so they overlap for all but the stagger.

usage: whep_many.py URL COUNT [URL COUNT ...] [--seconds S] [--stagger S]"""
import argparse, asyncio, json, time

from whep_client import run  # pins aioice to loopback through webrtc_http


async def many(pairs, seconds, stagger):
    start = time.monotonic()

    async def one(i, url):
        await asyncio.sleep(i * stagger)
        try:
            r = await run(url, seconds)
        except Exception as e:  # one broken player is a result, not the end of the others
            r = {"status": 0, "video_frames": 0, "error": repr(e)}
        r["url"] = url
        return r

    urls = [url for url, count in pairs for _ in range(count)]
    players = await asyncio.gather(*(one(i, url) for i, url in enumerate(urls)))
    return {
        "players": [{k: p.get(k) for k in ("url", "status", "video_frames", "first_frame_s", "ice_state", "delete_status", "error", "reason")
                     if p.get(k) is not None} for p in players],
        "min_video_frames": min((p["video_frames"] for p in players), default=0),
        "all_201": all(p["status"] == 201 for p in players),
        "elapsed_s": round(time.monotonic() - start, 2),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("targets", nargs="+", help="URL COUNT pairs")
    ap.add_argument("--seconds", type=float, default=6)
    ap.add_argument("--stagger", type=float, default=0.1)
    a = ap.parse_args()
    if len(a.targets) % 2:
        ap.error("targets come in URL COUNT pairs")
    pairs = [(a.targets[i], int(a.targets[i + 1])) for i in range(0, len(a.targets), 2)]
    print(json.dumps(asyncio.run(many(pairs, a.seconds, a.stagger))), flush=True)


if __name__ == "__main__":
    main()
