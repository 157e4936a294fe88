#if canImport(Glibc)
import Glibc
#endif

/// Expands a recording path template: `{vhost}`, `{app}`, `{stream}`, `{date}` (YYYY-MM-DD), `{time}`
/// (HH-MM-SS), `{epoch}` (seconds) and `{seq}` (the segment number of this recording), in local time as
/// ZLMediaKit names its files. Names coming from clients never climb out of the root: `..`, empty parts and
/// control characters are replaced.
public enum RecordPath {
    public static let defaultTemplate = "{app}/{stream}/{date}/{time}.mp4"

    public static func expand(_ template: String, root: String, vhost: String, app: String, stream: String,
                       epochSeconds: Int, sequence: Int) -> String {
        var t = time_t(epochSeconds)
        var parts = tm()
        localtime_r(&t, &parts)
        let two = { (v: Int32) in v < 10 ? "0\(v)" : "\(v)" }
        let date = "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
        let clock = "\(two(parts.tm_hour))-\(two(parts.tm_min))-\(two(parts.tm_sec))"
        let values: [String: String] = [
            "vhost": safe(vhost.isEmpty ? "__defaultVhost__" : vhost), "app": safe(app), "stream": safe(stream),
            "date": date, "time": clock, "epoch": "\(epochSeconds)", "seq": "\(sequence)",
        ]
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                out += rest[open...]
                rest = rest[rest.endIndex...]
                break
            }
            let name = String(rest[rest.index(after: open)..<close])
            out += values[name] ?? "{\(name)}"
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        let relative = out.split(separator: "/").map { safe(String($0)) }.joined(separator: "/")
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        return base.isEmpty ? relative : "\(base)/\(relative)"
    }

    /// One path component or a multi-part name, with every part made harmless.
    public static func safe(_ name: String) -> String {
        let parts = name.split(separator: "/", omittingEmptySubsequences: true).map { part -> String in
            let cleaned = String(part.unicodeScalars.map { $0.value < 0x20 || $0 == "\\" ? "_" : Character($0) })
            return cleaned == ".." || cleaned == "." ? "_" : cleaned
        }
        return parts.isEmpty ? "_" : parts.joined(separator: "/")
    }
}
