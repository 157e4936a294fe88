import MRPluginKit
import PluginABI

/// Entry point of the rtmp plugin.
@_cdecl("mr_plugin_entry_v1")
public func mrPluginEntryV1() -> UnsafePointer<mr_plugin_descriptor> { descriptor }

nonisolated(unsafe) private let descriptor = PendingPlugin.descriptor(name: "rtmp", description: "RTMP protocol", issue: 3)
