import PluginABI

public extension PluginHost {
    /// The plugin's table name in plugins.conf (ABI 1.3 `plugin_name`): its command namespace. nil on an older
    /// host, where a plugin can only assume its descriptor's name.
    var pluginName: String? {
        guard let offset = MemoryLayout<mr_host_api>.offset(of: \.plugin_name),
              Int(table.size) >= offset + MemoryLayout<UnsafeRawPointer>.size,
              let fn = table.plugin_name, let name = fn(host) else { return nil }
        return String(cString: name)
    }
}
