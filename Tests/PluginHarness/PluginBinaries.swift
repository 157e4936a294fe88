import Foundation

/// Where the package put the plugins it built: beside the test binary (`.build/debug/libmrplugin_<name>.so`),
/// or in `MR_PLUGIN_DIR` when that is set.
public enum PluginBinaries {
    public static var directory: URL {
        if let dir = ProcessInfo.processInfo.environment["MR_PLUGIN_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }

    public static func path(_ name: String) -> String { directory.appendingPathComponent("libmrplugin_\(name).so").path }
}
