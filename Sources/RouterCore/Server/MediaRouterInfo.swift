#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
import PluginABI

public enum MediaRouterInfo {
    public static let version = HostAPITable.serverVersion
    public static let abi = "\(MR_ABI_MAJOR).\(MR_ABI_MINOR)"

    /// Plugins are looked for beside the executable unless `[server] plugin_dir` says otherwise.
    public static var executableDirectory: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return PathText.deletingLastComponent(exe)
    }
}
