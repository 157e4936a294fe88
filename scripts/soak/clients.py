"""The soak's clients: the command line of each publisher and player, by protocol. Publishers copy one
pre-encoded clip (H.264 + AAC, a keyframe a second) so the 2-core machine spends its time in the server,
not in x264."""
import os, subprocess

CLIENTS = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "IntegrationTests", "Clients")
QUIET = ["-hide_banner", "-loglevel", "error", "-nostdin"]

PUBLISHERS = ["rtmp", "rtsp", "srt", "whip"]
PLAYERS = ["rtmp", "rtmp-probe", "rtsp-tcp", "rtsp-udp", "flv", "hls", "srt", "whep"]


def make_clip(path):
    """20 s of test pattern and tone, 320x240 at 25 fps, a keyframe every second."""
    if os.path.exists(path):
        return
    subprocess.run(["ffmpeg"] + QUIET + ["-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "20",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-bf", "0", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "64k", "-f", "flv", path], check=True)


def publisher(proto, stream, seconds, ports, clip):
    looped = ["ffmpeg"] + QUIET + ["-re", "-stream_loop", "-1", "-i", clip, "-t", str(seconds), "-c", "copy"]
    if proto == "rtmp":
        return looped + ["-f", "flv", f"rtmp://127.0.0.1:{ports['rtmp']}/live/{stream}"]
    if proto == "rtsp":
        return looped + ["-f", "rtsp", "-rtsp_transport", "tcp", f"rtsp://127.0.0.1:{ports['rtsp']}/live/{stream}"]
    if proto == "srt":
        return looped + ["-f", "mpegts", f"srt://127.0.0.1:{ports['srt']}?streamid=publish:live/{stream}&latency=200000"]
    if proto == "whip":
        return ["python3", os.path.join(CLIENTS, "whip_client.py"),
                f"http://127.0.0.1:{ports['http']}/index/api/whip?app=live&stream={stream}", "--seconds", str(seconds)]
    raise ValueError(proto)


def player(proto, stream, seconds, ports):
    http = f"http://127.0.0.1:{ports['http']}"
    read = lambda url, *pre: ["ffmpeg"] + QUIET + list(pre) + ["-i", url, "-t", str(seconds), "-c", "copy", "-f", "null", "-"]
    if proto == "rtmp":
        return read(f"rtmp://127.0.0.1:{ports['rtmp']}/live/{stream}")
    if proto == "rtmp-probe":
        return ["ffprobe", "-v", "error", "-show_streams", f"rtmp://127.0.0.1:{ports['rtmp']}/live/{stream}"]
    if proto == "rtsp-tcp":
        return read(f"rtsp://127.0.0.1:{ports['rtsp']}/live/{stream}", "-rtsp_transport", "tcp")
    if proto == "rtsp-udp":
        return read(f"rtsp://127.0.0.1:{ports['rtsp']}/live/{stream}", "-rtsp_transport", "udp")
    if proto == "flv":
        return read(f"{http}/live/{stream}.live.flv")
    if proto == "hls":
        return read(f"{http}/live/{stream}/hls.m3u8")
    if proto == "srt":
        return read(f"srt://127.0.0.1:{ports['srt']}?streamid=read:live/{stream}&latency=200000")
    if proto == "whep":
        return ["python3", os.path.join(CLIENTS, "whep_client.py"),
                f"{http}/index/api/whep?app=live&stream={stream}", "--seconds", str(seconds)]
    raise ValueError(proto)


def start(argv, log):
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                            start_new_session=True)
