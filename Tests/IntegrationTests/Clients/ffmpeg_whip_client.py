#!/usr/bin/env python3
"""A WHIP publisher on FFmpeg's own WebRTC stack: the `whip` muxer of the FFmpeg 8 libraries PyAV's wheels
bundle (its ICE, DTLS and SRTP, not aiortc's). Encodes lavfi's testsrc with libx264 (constrained baseline,
no B-frames, as the muxer requires) and a sine with libopus, paced in real time, for a while. Prints one JSON
line: packets muxed per stream, or the error the muxer raised.

usage: ffmpeg_whip_client.py URL [--seconds S] [--token T]"""
import argparse, json, time
from fractions import Fraction

import av


def run(url, seconds, token):
    result = {"video_packets": 0, "audio_packets": 0}
    options = {"handshake_timeout": "8000"}
    if token:
        # The muxer sends it as `Authorization: Bearer <token>` (RFC 9725 4.2).
        options["authorization"] = token
    try:
        out = av.open(url, "w", format="whip", options=options)
    except Exception as e:  # the muxer's HTTP or handshake error
        result["error"] = str(e)
        print(json.dumps(result), flush=True)
        return 1
    video = out.add_stream("libx264", rate=25, options={"profile": "baseline", "bf": "0", "g": "25", "tune": "zerolatency", "preset": "ultrafast"})
    video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
    audio = out.add_stream("libopus", rate=48_000, layout="stereo")
    src = av.open(f"testsrc=size=320x240:rate=25:duration={seconds}", format="lavfi")
    tone = av.open(f"sine=frequency=440:sample_rate=48000:duration={seconds}", format="lavfi")
    resampler = av.AudioResampler(format="s16", layout="stereo", rate=48_000)
    audio_frames = tone.decode(audio=0)
    start = time.monotonic()
    samples = 0
    try:
        for i, frame in enumerate(src.decode(video=0)):
            # Real time: a publisher that bursts the whole file at once is not what a camera does.
            delay = start + i / 25 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            frame = frame.reformat(format="yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, 25)
            for p in video.encode(frame):
                out.mux(p)
                result["video_packets"] += 1
            while samples < (i + 1) * 48_000 // 25:
                a = next(audio_frames, None)
                if a is None:
                    break
                for r in resampler.resample(a):
                    r.pts, r.time_base = samples, Fraction(1, 48_000)
                    samples += r.samples
                    for p in audio.encode(r):
                        out.mux(p)
                        result["audio_packets"] += 1
        for p in video.encode(None):
            out.mux(p)
        out.close()
    except Exception as e:
        result["error"] = str(e)
    print(json.dumps(result), flush=True)
    return 0 if "error" not in result else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--token", default="")
    a = ap.parse_args()
    raise SystemExit(run(a.url, a.seconds, a.token))


if __name__ == "__main__":
    main()
