#!/usr/bin/env python3
"""A real FFmpeg client (PyAV bundles FFmpeg 7+/8, whose FLV muxer and demuxer speak Enhanced RTMP) for
codecs Debian 12's ffmpeg 5.1 cannot put in FLV, such as H.265 and VP9.

  pyav_client.py publish URL CODEC SECONDS      encode synthetic video (+AAC) in real time and publish
  pyav_client.py play URL SECONDS               decode for SECONDS; print one JSON line of what it saw
"""
import json
import sys
import time

import av
import numpy as np


def publish(url, codec, seconds):
    out = av.open(url, mode="w", format="flv")
    video = out.add_stream(codec, rate=25)
    video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
    video.options = {"libx264": {"g": "25", "bf": "0"},
                     # Real time, no hidden alt-ref frames: one shown picture per FLV tag.
                     "libvpx-vp9": {"g": "25", "deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"},
                     # Low-delay prediction, no lookahead: a packet per input frame from the first one.
                     "libsvtav1": {"g": "25", "preset": "12", "svtav1-params": "pred-struct=1:lookahead=0"}}.get(
        codec, {"x265-params": "keyint=25:bframes=0:log-level=error"})
    audio = out.add_stream("aac", rate=44100)
    audio.layout = "mono"
    start = time.monotonic()
    samples = 0
    for i in range(int(seconds * 25)):
        img = np.zeros((240, 320, 3), dtype=np.uint8)
        img[:, :, 0] = (i * 5) % 256
        img[(i * 3) % 240, :, 1] = 255
        frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        for packet in video.encode(frame):
            out.mux(packet)
        while samples < (i + 1) * 44100 // 25:
            a = av.AudioFrame.from_ndarray(np.zeros((1, 1024), dtype=np.float32), format="fltp", layout="mono")
            a.sample_rate = 44100
            a.pts = samples
            samples += 1024
            for packet in audio.encode(a):
                out.mux(packet)
        delay = start + (i + 1) / 25 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    for s in (video, audio):
        for packet in s.encode(None):
            out.mux(packet)
    out.close()


def play(url, seconds):
    inp = av.open(url, options={"rw_timeout": "10000000"})
    seen = {"video_codec": None, "audio_codec": None, "width": 0, "height": 0, "video_frames": 0, "audio_frames": 0,
            "first_key": None, "monotonic": True}
    last = None
    start = time.monotonic()
    for packet in inp.demux():
        if time.monotonic() - start > seconds:
            break
        st = packet.stream
        if st.type == "video":
            seen["video_codec"] = st.codec_context.name
            if seen["first_key"] is None and packet.dts is not None:
                seen["first_key"] = bool(packet.is_keyframe)
            if packet.dts is not None:
                if last is not None and packet.dts < last:
                    seen["monotonic"] = False
                last = packet.dts
            for f in packet.decode():
                seen["video_frames"] += 1
                seen["width"], seen["height"] = f.width, f.height
        elif st.type == "audio":
            seen["audio_codec"] = st.codec_context.name
            seen["audio_frames"] += len(packet.decode())
    print(json.dumps(seen))


if __name__ == "__main__":
    if sys.argv[1] == "publish":
        publish(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        play(sys.argv[2], float(sys.argv[3]))
