#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
#if canImport(Glibc)
import Glibc
#endif

/// Maps request paths to files under the web root, never outside it.
public struct StaticFiles {
    public let root: String   // resolved absolute path, no trailing slash

    public init?(root: String) {
        guard !root.isEmpty, let resolved = realpath(root, nil) else { return nil }
        self.root = String(cString: resolved)
        free(resolved)
    }

    public enum Resolution {
        case file(path: String, size: Int)
        case directory(path: String, urlPath: String)
        case notFound
        case forbidden
    }

    public func resolve(_ urlPath: String) -> Resolution {
        let parts = urlPath.split(separator: "/", omittingEmptySubsequences: true)
        if parts.contains(where: { $0 == ".." || $0 == "." || $0.contains("\0") }) { return .forbidden }
        let joined = root + "/" + parts.joined(separator: "/")
        // Symlinks may point anywhere: resolve and check the result is still under the root.
        guard let real = realpath(joined, nil) else { return .notFound }
        let path = String(cString: real)
        free(real)
        guard path == root || path.hasPrefix(root + "/") else { return .forbidden }
        var st = stat()
        guard stat(path, &st) == 0 else { return .notFound }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for index in ["index.html", "index.htm"] {
                var ist = stat()
                if stat(path + "/" + index, &ist) == 0, (ist.st_mode & S_IFMT) == S_IFREG {
                    return .file(path: path + "/" + index, size: Int(ist.st_size))
                }
            }
            return .directory(path: path, urlPath: urlPath)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { return .forbidden }
        return .file(path: path, size: Int(st.st_size))
    }

    /// A plain HTML listing of a directory.
    public static func listing(path: String, urlPath: String) -> String {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        let base = urlPath.hasSuffix("/") ? urlPath : urlPath + "/"
        let items = names.map { name -> String in
            var entry = stat()
            let isDir = stat(path + "/" + name, &entry) == 0 && (entry.st_mode & S_IFMT) == S_IFDIR
            let shown = escape(name) + (isDir ? "/" : "")
            let href = base + name.percentEncoded(allowing: .urlPath) + (isDir ? "/" : "")
            return "<li><a href=\"\(href)\">\(shown)</a></li>"
        }
        return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Index of \(escape(urlPath))</title></head>"
            + "<body><h1>Index of \(escape(urlPath))</h1><ul>\(items.joined())</ul></body></html>"
    }

    public static func escape(_ s: String) -> String {
        s.replacingScalars(["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"])
    }

    public static func contentType(_ path: String) -> String {
        let ext = PathText.pathExtension(path).lowercased()
        let types: [String: String] = [
            "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "css": "text/css", "js": "text/javascript",
            "json": "application/json", "txt": "text/plain; charset=utf-8", "png": "image/png", "jpg": "image/jpeg",
            "jpeg": "image/jpeg", "gif": "image/gif", "svg": "image/svg+xml", "ico": "image/x-icon", "webp": "image/webp",
            "mp4": "video/mp4", "m4s": "video/iso.segment", "flv": "video/x-flv", "ts": "video/mp2t",
            "m3u8": "application/vnd.apple.mpegurl", "mpd": "application/dash+xml", "webm": "video/webm",
            "mp3": "audio/mpeg", "aac": "audio/aac", "wasm": "application/wasm", "xml": "application/xml",
        ]
        return types[ext] ?? "application/octet-stream"
    }

    /// Parses a single `bytes=` range against `size` (RFC 9110 14.1.2). nil = no usable Range header;
    /// .failure = unsatisfiable.
    public static func range(_ header: String?, size: Int) -> Result<ClosedRange<Int>, RangeError>? {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard spec.count == 2 else { return nil }
        let a = spec[0].trimmingSpaces(), b = spec[1].trimmingSpaces()
        if a.isEmpty {
            guard let n = Int(b), n > 0 else { return .failure(RangeError()) }
            guard size > 0 else { return .failure(RangeError()) }
            return .success(max(0, size - n)...(size - 1))
        }
        guard let start = Int(a), start >= 0 else { return nil }
        guard start < size else { return .failure(RangeError()) }
        let end = b.isEmpty ? size - 1 : min(Int(b) ?? -1, size - 1)
        guard end >= start else { return .failure(RangeError()) }
        return .success(start...end)
    }

    public struct RangeError: Error {}
}
