#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
import HttpProtocol

/// The built-in web console (`Plugins/httpmux-console/console`): its page at `/`, its scripts and styles under
/// `/console/`. SwiftPM copies the folder beside this library (`MediaRouter_HttpMuxConsole.resources/console`),
/// so it is found from the library's own path wherever a build or an install put the two, whatever the
/// working directory or the config file's folder.
struct ConsoleFiles {
    static let assetPrefix = "/console/"
    static let bundleFolder = "MediaRouter_HttpMuxConsole.resources/console"
    let files: StaticFiles

    init?(root: String) {
        guard let files = StaticFiles(root: root) else { return nil }
        self.files = files
    }

    /// The folder shipped beside this library.
    static var bundledRoot: String? {
        libraryPath.map { PathText.deletingLastComponent($0) + "/" + bundleFolder }
    }

    /// This library's file: the mapping of /proc/self/maps that holds its own image (Glibc's dladdr is not
    /// visible to Swift without _GNU_SOURCE).
    static var libraryPath: String? {
        let address = UInt(bitPattern: #dsohandle)
        // Read to EOF: procfs files report size 0, and a whole-file read of a long map (every plugin's libraries
        // mapped, as with the default plugins.conf) came back cut short, missing this library's lines.
        guard let bytes = FileBytes.read("/proc/self/maps") else { return nil }
        let maps = String(decoding: bytes, as: UTF8.self)
        for line in maps.split(separator: "\n") {
            // start-end perms offset dev inode path
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6 else { continue }
            let span = fields[0].split(separator: "-")
            guard span.count == 2, let low = UInt(span[0], radix: 16), let high = UInt(span[1], radix: 16),
                  low <= address, address < high else { continue }
            let path = fields[5].trimmingSpaces()
            return path.hasPrefix("/") ? path : nil
        }
        return nil
    }

    /// The page itself, answered at `/`.
    var index: StaticFiles.Resolution { files.resolve("/index.html") }

    /// The console's answer for a path under `/console/`, nil for other paths. Only files are served:
    /// the console's folder is not listed.
    func asset(_ urlPath: String) -> StaticFiles.Resolution? {
        guard urlPath.hasPrefix(Self.assetPrefix) else { return nil }
        // A folder would resolve to its index.html, whose relative links only work at `/`.
        guard !urlPath.hasSuffix("/") else { return .notFound }
        let resolved = files.resolve(String(urlPath.dropFirst(Self.assetPrefix.count - 1)))
        if case .directory = resolved { return .notFound }
        return resolved
    }
}
