import MRPluginKit
import PluginABI

/// Entry point of the webrtc plugin.
@_cdecl("mr_plugin_entry_v1")
public func mrPluginEntryV1() -> UnsafePointer<mr_plugin_descriptor> { descriptor }

nonisolated(unsafe) private let descriptor = DescriptorBuilder.make(
    name: "webrtc", version: "0.1.0",
    description: "WebRTC: WHEP play (ICE-lite, DTLS-SRTP, H.264 and Opus/G.711 on one UDP port, NACK retransmission)",
    configKeys: WebrtcSettings.configKeys,
    serves: #"""
    {"schemas": [{"name": "webrtc", "readers": ["webrtc"]}],
     "sources": [{"protocol": "webrtc", "schema": "webrtc", "origin_type": 8, "origin_type_str": "rtc_push"}],
     "config_aliases": [{"name": "rtc.port", "key": "port", "default": "8000"}],
     "sessions": true}
    """#,
    create: { WebrtcPlugin($0) })
