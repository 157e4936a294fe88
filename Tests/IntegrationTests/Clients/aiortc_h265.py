"""H.265 for aiortc, which has none: an H265 payload type in its offers (the fmtp Chromium 136+ writes),
RFC 7798 depayloading to Annex B with FFmpeg's HEVC decoder through PyAV for receiving, libx265 through PyAV
with RFC 7798 packetizing (single NAL unit packets and FUs) for sending. Everything else (ICE, DTLS-SRTP,
jitter buffer, NACK, RTX, pacing) stays aiortc's own. install() before making the RTCPeerConnection."""
import fractions

import av
import aiortc.rtcrtpsender as sender
import aiortc.codecs as codecs
import aiortc.rtcrtpreceiver as receiver
from aiortc.codecs.base import Decoder, Encoder
from aiortc.codecs.h264 import H264Encoder
from aiortc.mediastreams import VIDEO_TIME_BASE, convert_timebase
from aiortc.rtcrtpparameters import RTCRtcpFeedback, RTCRtpCodecParameters

START = b"\x00\x00\x00\x01"


def h265_depayload(payload):
    """One RTP payload as Annex B bytes: single NAL unit, aggregation packet (48) or fragmentation unit (49)."""
    if len(payload) < 3:
        raise ValueError("H.265 payload shorter than its header")
    kind = (payload[0] >> 1) & 0x3F
    if kind == 48:
        out, i = [], 2
        while i + 2 <= len(payload):
            size = payload[i] << 8 | payload[i + 1]
            i += 2
            if size < 2 or i + size > len(payload):
                raise ValueError("bad AP size")
            out.append(START + payload[i:i + size])
            i += size
        return b"".join(out)
    if kind == 49:
        fu = payload[2]
        if fu & 0x80:
            header = bytes([(payload[0] & 0x81) | ((fu & 0x3F) << 1), payload[1]])
            return START + header + payload[3:]
        return payload[3:]
    if kind > 47:
        raise ValueError(f"unsupported H.265 packet type {kind}")
    return START + payload


class H265Decoder(Decoder):
    def __init__(self):
        self.codec = av.CodecContext.create("hevc", "r")

    def decode(self, encoded_frame):
        packet = av.Packet(encoded_frame.data)
        packet.pts = encoded_frame.timestamp
        packet.time_base = VIDEO_TIME_BASE
        return list(self.codec.decode(packet))


PACKET_MAX = 1200


def h265_payloads(nal):
    """RFC 7798 4.4.1 single NAL unit packet, or 4.4.3 fragmentation units for a NAL unit above the budget."""
    if len(nal) <= PACKET_MAX:
        return [nal]
    kind = (nal[0] >> 1) & 0x3F
    header = bytes([(nal[0] & 0x81) | (49 << 1), nal[1]])
    body = nal[2:]
    chunks = [body[i:i + PACKET_MAX - 3] for i in range(0, len(body), PACKET_MAX - 3)]
    return [header + bytes([(0x80 if i == 0 else 0) | (0x40 if i == len(chunks) - 1 else 0) | kind]) + c for i, c in enumerate(chunks)]


class H265Encoder(Encoder):
    """libx265, one picture in, no B-frames, a key frame every second or when asked (PLI)."""

    def __init__(self):
        self.codec = None

    def encode(self, frame, force_keyframe=False):
        if self.codec is None or (frame.width, frame.height) != (self.codec.width, self.codec.height):
            self.codec = av.CodecContext.create("libx265", "w")
            self.codec.width, self.codec.height = frame.width, frame.height
            self.codec.pix_fmt = "yuv420p"
            self.codec.time_base = fractions.Fraction(1, 30)
            self.codec.options = {"preset": "ultrafast", "tune": "zerolatency",
                                  "x265-params": "log-level=error:keyint=25:bframes=0:repeat-headers=1"}
        frame.pict_type = av.video.frame.PictureType.I if force_keyframe else av.video.frame.PictureType.NONE
        data = b"".join(bytes(p) for p in self.codec.encode(frame))
        payloads = [p for nal in H264Encoder._split_bitstream(data) for p in h265_payloads(nal)]
        return payloads, convert_timebase(frame.pts, frame.time_base, VIDEO_TIME_BASE)

    def pack(self, packet):
        """Already encoded (a MediaPlayer relaying HEVC): only packetized."""
        payloads = [p for nal in H264Encoder._split_bitstream(bytes(packet)) for p in h265_payloads(nal)]
        return payloads, convert_timebase(packet.pts, packet.time_base, VIDEO_TIME_BASE)


def install(only=False):
    """Adds H265 (Main, level 3.1, SRST) to aiortc's video codecs; with only=True it is the only one offered."""
    pt = 49
    h265 = RTCRtpCodecParameters(
        mimeType="video/H265", clockRate=90000, payloadType=pt,
        rtcpFeedback=[RTCRtcpFeedback(type="nack"), RTCRtcpFeedback(type="nack", parameter="pli")],
        parameters={"level-id": 93, "profile-id": 1, "tier-flag": 0, "tx-mode": "SRST"})
    rtx = RTCRtpCodecParameters(mimeType="video/rtx", clockRate=90000, payloadType=pt + 1, parameters={"apt": pt})
    if only:
        codecs.CODECS["video"].clear()
    codecs.CODECS["video"] += [h265, rtx]
    plain_depayload, plain_decoder = receiver.depayload, receiver.get_decoder
    receiver.depayload = lambda codec, payload: h265_depayload(payload) if codec.name == "H265" else plain_depayload(codec, payload)
    receiver.get_decoder = lambda codec: H265Decoder() if codec.name == "H265" else plain_decoder(codec)
    plain_encoder = sender.get_encoder
    sender.get_encoder = lambda codec: H265Encoder() if codec.name == "H265" else plain_encoder(codec)
