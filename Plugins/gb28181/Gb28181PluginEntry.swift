import MRPluginKit
import PluginABI

/// Entry point of the gb28181 plugin.
@_cdecl("mr_plugin_entry_v1")
public func mrPluginEntryV1() -> UnsafePointer<mr_plugin_descriptor> { descriptor }

nonisolated(unsafe) private let descriptor = PendingPlugin.descriptor(name: "gb28181", description: "GB28181 protocol", issue: 13,
    configAliases: [#"{"name": "rtp_proxy.port", "key": "port", "default": "10000"}"#])
