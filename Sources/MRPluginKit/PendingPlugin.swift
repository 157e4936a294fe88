import PluginABI
#if canImport(Glibc)
import Glibc
#endif

/// A protocol plugin whose implementation has not landed yet: it loads, says so in the log and in the
/// plugin list, and opens nothing. Never a fake protocol.
public enum PendingPlugin {
    /// `configAliases`: ZLMediaKit settings that are keys of this plugin's table (ABI 1.3 `config_aliases`
    /// items as JSON texts), so consoles read the port it will serve before it exists.
    public static func descriptor(name: String, description: String, issue: Int, configAliases: [String] = []) -> UnsafePointer<mr_plugin_descriptor> {
        pendingIssue = issue
        return DescriptorBuilder.make(
            name: name, version: "0.0.0", description: "\(description) (not implemented yet)",
            configKeys: [], serves: #"{"implemented": false, "config_aliases": ["# + configAliases.joined(separator: ",") + "]}",
            initialize: { host, api, state in
                guard let host, let api else { return Int32(MR_ERR_INVALID) }
                let tracked = PendingPlugin.pendingIssue > 0 ? " (tracked in issue #\(PendingPlugin.pendingIssue))" : ""
                PluginHost(host: host, api: api).log(MR_LOG_NOTICE, "not implemented yet\(tracked); nothing is opened")
                state?.pointee = nil
                return Int32(MR_OK)
            },
            reconfigure: { _ in Int32(MR_OK) },
            status: { _ in PendingPlugin.statusText })
    }

    nonisolated(unsafe) static var pendingIssue = 0
    nonisolated(unsafe) static let statusText = UnsafePointer(strdup("not implemented yet"))
}
