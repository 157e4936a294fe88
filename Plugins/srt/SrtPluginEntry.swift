import MRPluginKit
import PluginABI

/// Entry point of the srt plugin.
@_cdecl("mr_plugin_entry_v1")
public func mrPluginEntryV1() -> UnsafePointer<mr_plugin_descriptor> { descriptor }

nonisolated(unsafe) private let descriptor = DescriptorBuilder.make(
    name: "srt", version: "0.1.0",
    description: "SRT (libsrt): MPEG-TS publish and play by streamid (access-control, MediaMTX, SRS and plain forms), "
        + "passphrases per stream, pulls and pushes",
    configKeys: SrtSettings.configKeys,
    serves: #"""
    {"schemas": [{"name": "srt", "readers": ["srt"]}],
     "sources": [{"protocol": "srt", "schema": "srt", "origin_type": 9, "origin_type_str": "srt_push"},
                 {"protocol": "srt-pull", "schema": "srt", "origin_type": 4, "origin_type_str": "pull"}],
     "pull": [{"scheme": "srt"}],
     "push": [{"scheme": "srt"}],
     "sessions": true,
     "config_aliases": [{"name": "srt.port", "key": "port", "default": "9000"},
                        {"name": "srt.latencyMul", "key": "latency_mul", "default": "4"}]}
    """#,
    create: { SrtPlugin($0) })
