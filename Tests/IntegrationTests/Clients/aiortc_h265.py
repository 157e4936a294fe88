"""H.265 for aiortc's receive path, which has none: an H265 payload type in its offer (the fmtp Chromium 136+
writes), RFC 7798 depayloading to Annex B, and FFmpeg's HEVC decoder through PyAV. Everything else (ICE,
DTLS-SRTP, jitter buffer, NACK, RTX) stays aiortc's own. install() before making the RTCPeerConnection."""
import av
import aiortc.codecs as codecs
import aiortc.rtcrtpreceiver as receiver
from aiortc.codecs.base import Decoder
from aiortc.mediastreams import VIDEO_TIME_BASE
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
