import MRPluginKit
import PluginABI

/// Entry point of the srt plugin.
@_cdecl("mr_plugin_entry_v1")
public func mrPluginEntryV1() -> UnsafePointer<mr_plugin_descriptor> { descriptor }

nonisolated(unsafe) private let descriptor = PendingPlugin.descriptor(name: "srt", description: "SRT protocol", issue: 14,
    configAliases: [#"{"name": "srt.port", "key": "port", "default": "9000"}"#])
