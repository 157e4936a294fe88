#!/usr/bin/env python3
"""A WHIP publisher on aiortc: sends aiortc's synthetic video (H.264, the only video codec the server takes)
and silence (Opus) for a while, then DELETEs the session. Prints one JSON line: HTTP status, ICE state,
Location, the reason of a refusal.

usage: whip_client.py URL [--seconds S]"""
import argparse, asyncio, json, urllib.parse, urllib.request

import aioice.ice
# aioice leaves loopback out of its host candidates; the server under test listens on 127.0.0.1 only.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack


def http(method, url, body=None, ctype=None):
    req = urllib.request.Request(url, data=body, method=method)
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


async def run(url, seconds):
    pc = RTCPeerConnection()
    pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    loop = asyncio.get_running_loop()
    status, headers, body = await loop.run_in_executor(None, http, "POST", url, pc.localDescription.sdp.encode(), "application/sdp")
    result = {"status": status, "location": headers.get("Location", "")}
    if status != 201:
        result["reason"] = body
        print(json.dumps(result), flush=True)
        await pc.close()
        return
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
    await asyncio.sleep(seconds)
    result["ice_state"] = pc.iceConnectionState
    parts = urllib.parse.urlsplit(url)
    status, _, _ = await loop.run_in_executor(None, http, "DELETE", f"{parts.scheme}://{parts.netloc}{result['location']}")
    result["delete_status"] = status
    await pc.close()
    print(json.dumps(result), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args()
    asyncio.run(run(a.url, a.seconds))


if __name__ == "__main__":
    main()
