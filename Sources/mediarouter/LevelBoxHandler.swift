#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import EssentialsExtras
import Logging
import NIOConcurrencyHelpers

/// Writes log lines to stderr, filtered by a level the config can change at run time.
struct LevelBoxHandler: LogHandler {
    let label: String
    let level: NIOLockedValueBox<Logger.Level>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(label: String, level: NIOLockedValueBox<Logger.Level>) {
        self.label = label
        self.level = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        guard event.level >= level.withLockedValue({ $0 }) else { return }
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let plugin = merged.removeValue(forKey: "plugin").map { "[\($0)] " } ?? ""
        let rest = merged.isEmpty ? "" : " " + merged.map { "\($0)=\($1)" }.sorted().joined(separator: " ")
        let line = "\(Self.timestamp()) \(event.level.rawValue.uppercased()) \(plugin)\(event.message)\(rest)\n"
        StandardError.write(line)
    }

    private static func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var tmv = tm()
        var t = tv.tv_sec
        localtime_r(&t, &tmv)
        return "\((tmv.tm_year + 1900).zeroPadded(4))-\((tmv.tm_mon + 1).zeroPadded(2))-\(tmv.tm_mday.zeroPadded(2)) "
            + "\(tmv.tm_hour.zeroPadded(2)):\(tmv.tm_min.zeroPadded(2)):\(tmv.tm_sec.zeroPadded(2)).\(Int(tv.tv_usec / 1000).zeroPadded(3))"
    }
}
