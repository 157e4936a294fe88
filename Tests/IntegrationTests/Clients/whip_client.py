#!/usr/bin/env python3
"""A WHIP publisher on aiortc: sends aiortc's synthetic video (H.264, which the server prefers, or the codec
--codec names, e.g. VP8) and silence (Opus) for a while, then DELETEs the session. Prints one JSON line: HTTP status, ICE state,
Location, the reason of a refusal, and what the server's NACKs asked of it: "nacked" (sequence numbers asked
for), "rtx_resent" (of those, the ones aiortc still had and resent on its RTX stream).

With --testsrc the video is FFmpeg's moving test pattern (640x480, 25 fps) instead of a still frame, so
frames span several packets (what a loss test needs); --size changes its size (320x240 for a light source).

usage: whip_client.py URL [--seconds S] [--testsrc] [--size WxH] [--codec NAME]"""
import argparse, asyncio, json, urllib.parse

from webrtc_http import http  # first: it pins aioice to loopback
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from aiortc.rtp import RTP_HISTORY_SIZE


NACKS = {"nacked": 0, "rtx_resent": 0}


def count_nacks():
    """Wraps aiortc's answer to a NACK (RTCRtpSender._retransmit, one call per sequence number asked for)."""
    original = RTCRtpSender._retransmit

    async def retransmit(self, sequence_number):
        NACKS["nacked"] += 1
        # aiortc resends what its history still holds, on RTX when the answer took it (its private fields).
        history = getattr(self, "_RTCRtpSender__rtp_history", {})
        packet = history.get(sequence_number % RTP_HISTORY_SIZE) if isinstance(history, dict) else None
        if packet is not None and packet.sequence_number == sequence_number and \
                getattr(self, "_RTCRtpSender__rtx_payload_type", None) is not None:
            NACKS["rtx_resent"] += 1
        await original(self, sequence_number)

    RTCRtpSender._retransmit = retransmit


async def run(url, seconds, testsrc, size="640x480", codec=None):
    count_nacks()
    if codec == "H265":
        # aiortc has no H.265: aiortc_h265.py adds libx265 and RFC 7798 packetizing to its send path.
        import aiortc_h265
        aiortc_h265.install()
    pc = RTCPeerConnection()
    if testsrc:
        from aiortc.contrib.media import MediaPlayer
        video = MediaPlayer(f"testsrc2=size={size}:rate=25", format="lavfi").video
    else:
        video = VideoStreamTrack()
    transceiver = pc.addTransceiver(video, direction="sendonly")
    if codec:
        # Only that codec (and RTX) in the offer: the server cannot pick another.
        wanted = {f"video/{codec}".lower(), "video/rtx"}
        transceiver.setCodecPreferences([c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType.lower() in wanted])
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
    result.update(NACKS)
    await pc.close()
    print(json.dumps(result), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--testsrc", action="store_true", help="a moving test pattern instead of a still frame")
    ap.add_argument("--size", default="640x480", help="the test pattern's size")
    ap.add_argument("--codec", help="offer only this video codec (VP8, H264, H265)")
    a = ap.parse_args()
    asyncio.run(run(a.url, a.seconds, a.testsrc, a.size, a.codec))


if __name__ == "__main__":
    main()
