#!/usr/bin/env python3
"""A WHEP player on aiortc (an independent WebRTC stack): POSTs a recvonly offer, sets the answer, decodes
the tracks for a while and prints one JSON line: HTTP status, decoded video frames, audio frames, frame size,
whether the answer refused audio, and the Location it got (which it DELETEs at the end). With --patch it
exercises PATCH on the session halfway (RFC 9725 4.4, see ice_restart.py) and reports what it saw.

With --settle S it also reports the video frame rate after the first S seconds of playing (the GOP cache's
burst at the start left out): `steady_fps`, and `delivered_ratio`, the frames decoded against those the
stream had in the same media time (timestamps at --fps, default 25). With --pli N it sends N RTCP PLIs, 0.7 s apart, once video plays
(`pli_sent`), as a decoder that lost a picture does. With --mark S it reports the video frames decoded
after S seconds (`video_frames_after_mark`) and the longest gap between two frames (`max_gap_s`).

With --h265 the offer also has H265 (aiortc_h265.py adds it to aiortc's receive path); `video_codec` is the
encoding the answer gave the video section.

usage: whep_client.py URL [--seconds S] [--audio] [--patch] [--settle S] [--pli N] [--mark S] [--h265]"""
import argparse, asyncio, json, re, time, urllib.parse

from webrtc_http import http  # first: it pins aioice to loopback
from aiortc import RTCPeerConnection, RTCSessionDescription
from ice_restart import exercise_patch


async def send_plis(pc, body, count, result):
    """aiortc's receiver sends PLI only when its jitter buffer gives up; ask as such a decoder would."""
    video = body.split("m=video", 1)[-1].split("m=audio", 1)[0]
    ssrc = int(next(iter(re.findall(r"a=ssrc:(\d+)", video)), "0"))
    receiver = pc.getTransceivers()[0].receiver
    result["pli_sent"] = 0
    for _ in range(count):
        await receiver._send_rtcp_pli(ssrc)
        result["pli_sent"] += 1
        await asyncio.sleep(0.7)


async def run(url, seconds, audio=False, patch=False, settle=None, pli=0, mark=None, fps=25):
    """Plays `url` for `seconds` and returns what the module docstring lists (whep_many.py runs many at once)."""
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    if audio:
        # aiortc cannot take an answer that refuses a section (port 0), as ours does for an AAC source.
        pc.addTransceiver("audio", direction="recvonly")
    result = {"video_frames": 0, "audio_frames": 0, "width": 0, "height": 0}
    first = {}
    arrivals = []
    video_pts = []
    start = time.monotonic()

    async def consume(track):
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            if track.kind == "video":
                result["video_frames"] += 1
                arrivals.append(time.monotonic())
                if frame.pts is not None:
                    video_pts.append(frame.pts)
                result["width"], result["height"] = frame.width, frame.height
                first.setdefault("first_frame_s", time.monotonic() - start)
            else:
                result["audio_frames"] += 1

    tasks = []
    pc.on("track", lambda track: tasks.append(asyncio.ensure_future(consume(track))))
    await pc.setLocalDescription(await pc.createOffer())
    status, headers, body = await asyncio.get_running_loop().run_in_executor(
        None, http, "POST", url, pc.localDescription.sdp.encode(), "application/sdp")
    result["status"] = status
    result["location"] = headers.get("Location", "")
    if status != 201:
        result["reason"] = body
        await pc.close()
        return result
    result["audio_refused"] = "m=audio 0 " in body
    video_section = body.split("m=video", 1)[-1].split("m=audio", 1)[0] if "m=video" in body else ""
    result["video_codec"] = next(iter(re.findall(r"a=rtpmap:\d+ ([A-Za-z0-9]+)/", video_section)), "")
    # RFC 4588 negotiated: an rtx payload type and the FID group of our SSRCs.
    result["answer_rtx"] = " rtx/90000" in body and "a=ssrc-group:FID" in body
    result["etag"] = headers.get("ETag", "")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
    parts = urllib.parse.urlsplit(url)
    if pli:
        async def pli_when_playing():
            while not arrivals:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            await send_plis(pc, body, pli, result)
        tasks.append(asyncio.ensure_future(pli_when_playing()))
    if patch:
        await asyncio.sleep(seconds / 2)
        before = result["video_frames"]
        connection = pc.getTransceivers()[0].receiver.transport.transport._connection
        result["patch"] = await exercise_patch(connection, f"{parts.scheme}://{parts.netloc}{result['location']}", result["etag"])
        await asyncio.sleep(seconds / 2)
        result["video_frames_after_patch"] = result["video_frames"] - before
    else:
        await asyncio.sleep(seconds)
    result.update(first)
    if mark is not None:
        result["video_frames_after_mark"] = sum(1 for t in arrivals if t >= start + mark)
    if len(arrivals) > 1:
        result["max_gap_s"] = round(max(b - a for a, b in zip(arrivals, arrivals[1:])), 3)
    result["ice_state"] = pc.iceConnectionState
    if settle is not None and len(video_pts) > 1:
        # Frames decoded against the frames the stream had over the same media time (from their 90 kHz
        # timestamps, after the settle time): what a player lost, whatever the arrival timing was.
        since = video_pts[0] + int(settle * 90000)
        shown = sorted(set(p for p in video_pts if p >= since))
        if len(shown) > 1:
            result["delivered_ratio"] = round(len(shown) / ((shown[-1] - shown[0]) / 90000 * fps + 1), 3)
    if settle is not None and arrivals:
        end = time.monotonic()
        since = arrivals[0] + settle
        if end > since:
            result["steady_fps"] = round(sum(1 for t in arrivals if t >= since) / (end - since), 2)
    if result["location"]:
        status, _, _ = await asyncio.get_running_loop().run_in_executor(
            None, http, "DELETE", f"{parts.scheme}://{parts.netloc}{result['location']}")
        result["delete_status"] = status
    for t in tasks:
        t.cancel()
    await pc.close()
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--audio", action="store_true", help="offer an audio section too")
    ap.add_argument("--patch", action="store_true", help="trickle, restart ICE and check the new credentials halfway")
    ap.add_argument("--settle", type=float, help="report steady_fps: the frame rate after this many seconds of playing")
    ap.add_argument("--pli", type=int, default=0, help="send this many PLIs, 0.7 s apart, once video plays")
    ap.add_argument("--mark", type=float, help="report video_frames_after_mark: frames decoded after this many seconds")
    ap.add_argument("--h265", action="store_true", help="offer H265 too (decoded with PyAV's HEVC decoder)")
    a = ap.parse_args()
    if a.h265:
        import aiortc_h265
        aiortc_h265.install()
    print(json.dumps(asyncio.run(run(a.url, a.seconds, a.audio, a.patch, a.settle, a.pli, a.mark))))


if __name__ == "__main__":
    main()
