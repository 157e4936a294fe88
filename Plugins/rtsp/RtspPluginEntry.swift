import MRPluginKit
import PluginABI

/// Entry point of the rtsp plugin.
@_cdecl("mr_plugin_entry_v1")
public func mrPluginEntryV1() -> UnsafePointer<mr_plugin_descriptor> { descriptor }

nonisolated(unsafe) private let descriptor = PendingPlugin.descriptor(name: "rtsp", description: "RTSP protocol", issue: 4)
