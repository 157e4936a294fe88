import MRPluginKit
import PluginABI

/// Entry point of the webrtc plugin.
@_cdecl("mr_plugin_entry_v1")
public func mrPluginEntryV1() -> UnsafePointer<mr_plugin_descriptor> { descriptor }

nonisolated(unsafe) private let descriptor = PendingPlugin.descriptor(name: "webrtc", description: "WebRTC protocol", issue: 12,
    configAliases: [#"{"name": "rtc.port", "key": "port", "default": "8000"}"#])
