#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging

/// The `[server]` table.
public struct ServerSettings: Equatable, Sendable {
    public var threads: Int = System.coreCount
    public var pluginDir: String?
    public var logLevel: Logger.Level = .info
    public var bus = BusSettings()
    public var authTimeoutMs = 5000
    public var authDefaultAllow = true
    public var commandTimeoutMs = 10_000
    public var watchConfig = true
    public var watchIntervalMs = 1000

    public init() {}

    /// Key, type and purpose of every `[server]` key; the README's reference is written from this.
    public static let keys: [(name: String, type: String, help: String)] = [
        ("threads", "integer", "event loops (pollers); default: one per core"),
        ("plugin_dir", "string", "where plugins without `path` are found; default: beside the executable"),
        ("log_level", "string", "trace, debug, info, notice, warning, error or critical"),
        ("play_wait_ms", "integer", "how long a player waits for a stream that is not published yet"),
        ("reconnect_window_ms", "integer", "a publisher returning within this time continues its stream"),
        ("none_reader_ms", "integer", "a stream with no readers this long raises the none-reader event"),
        ("reader_max_lag", "integer", "frames a reader may fall behind before it skips to a keyframe"),
        ("ring_frames", "integer", "hard bound of frames a ring keeps"),
        ("gop_cache_frames", "integer", "frames kept beyond the newest GOP for lagging readers; default: reader_max_lag"),
        ("merge_write_ms", "integer", "deliver frames to players at most this often (0 = at once): fewer socket writes"),
        ("coalesce_audio", "boolean", "with merge_write_ms = 0, audio waits for the next video frame (at most one frame interval, 50 ms)"),
        ("tcp_nodelay_while_streaming", "boolean", "keep TCP_NODELAY on connections that carry a stream (false: Nagle's algorithm once frames flow: fewer, fuller segments)"),
        ("auth_timeout_ms", "integer", "how long an auth question waits for its handler"),
        ("auth_default", "string", "allow or deny, when the auth handler does not answer in time"),
        ("command_timeout_ms", "integer", "how long a command call between plugins waits for its answer"),
        ("watch_config", "boolean", "reload when the config file changes"),
        ("watch_interval_ms", "integer", "how often the config file is checked for changes"),
    ]

    public static func parse(_ table: [String: ConfigValue], document: ConfigDocument,
                             warn: (String) -> Void) throws(ConfigError) -> ServerSettings {
        var s = ServerSettings()
        let reader = TableReader(table: table, tableName: "server", document: document)
        for key in table.keys.sorted() where !keys.contains(where: { $0.name == key }) {
            warn("\(document.path):\(document.line(table: "server", key: key) ?? 0): [server] unknown key '\(key)' ignored")
        }
        if let v = try reader.int("threads", range: 1...256) { s.threads = v }
        s.pluginDir = try reader.string("plugin_dir")
        if let v = try reader.string("log_level") {
            guard let level = Logger.Level(rawValue: v) else {
                throw reader.error("log_level", "expected one of trace, debug, info, notice, warning, error, critical; found \"\(v)\"")
            }
            s.logLevel = level
        }
        if let v = try reader.int("play_wait_ms", range: 0...600_000) { s.bus.playWaitMs = v }
        if let v = try reader.int("reconnect_window_ms", range: 0...3_600_000) { s.bus.reconnectWindowMs = v }
        if let v = try reader.int("none_reader_ms", range: 100...86_400_000) { s.bus.noneReaderMs = v }
        if let v = try reader.int("reader_max_lag", range: 1...1_000_000) { s.bus.readerMaxLag = v }
        if let v = try reader.int("ring_frames", range: 64...1_000_000) { s.bus.ringCapacity = v }
        // Unset, it follows reader_max_lag: frames older than that are never sent to a reader (one that far
        // behind skips to the newest keyframe), and each ring held them: 3.5 MB of a 2 Mbit/s stream's
        // source ring and again of every derived ring at the former 1024.
        s.bus.ringSoftLimit = try reader.int("gop_cache_frames", range: 1...1_000_000) ?? s.bus.readerMaxLag
        s.bus.ringSoftLimit = min(s.bus.ringSoftLimit, s.bus.ringCapacity)
        if let v = try reader.int("merge_write_ms", range: 0...1000) { s.bus.mergeWriteMs = v }
        if let v = try reader.bool("coalesce_audio") { s.bus.coalesceAudio = v }
        if let v = try reader.bool("tcp_nodelay_while_streaming") { s.bus.nodelayWhileStreaming = v }
        if let v = try reader.int("auth_timeout_ms", range: 1...600_000) { s.authTimeoutMs = v }
        if let v = try reader.string("auth_default") {
            guard v == "allow" || v == "deny" else { throw reader.error("auth_default", "expected \"allow\" or \"deny\", found \"\(v)\"") }
            s.authDefaultAllow = v == "allow"
        }
        if let v = try reader.int("command_timeout_ms", range: 1...600_000) { s.commandTimeoutMs = v }
        if let v = try reader.bool("watch_config") { s.watchConfig = v }
        if let v = try reader.int("watch_interval_ms", range: 50...3_600_000) { s.watchIntervalMs = v }
        return s
    }
}

/// Typed reads of one table with errors that name file, line, table and key.
struct TableReader {
    let table: [String: ConfigValue]
    let tableName: String
    let document: ConfigDocument

    func error(_ key: String, _ message: String) -> ConfigError {
        ConfigError(file: document.path, line: document.line(table: tableName, key: key), table: tableName,
                    key: key, message: message)
    }

    func int(_ key: String, range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let v = table[key] else { return nil }
        guard case .int(let i) = v else { throw error(key, "expected integer, found \(v.typeName)") }
        guard i >= Int64(range.lowerBound), i <= Int64(range.upperBound) else {
            throw error(key, "\(i) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return Int(i)
    }

    func string(_ key: String) throws(ConfigError) -> String? {
        guard let v = table[key] else { return nil }
        guard case .string(let s) = v else { throw error(key, "expected string, found \(v.typeName)") }
        return s
    }

    /// Floats; integers are taken as floats.
    func double(_ key: String, range: ClosedRange<Double>) throws(ConfigError) -> Double? {
        guard let v = table[key] else { return nil }
        let d: Double
        switch v {
        case .double(let x): d = x
        case .int(let i): d = Double(i)
        default: throw error(key, "expected float, found \(v.typeName)")
        }
        guard range.contains(d) else { throw error(key, "\(d) is out of range \(range.lowerBound)...\(range.upperBound)") }
        return d
    }

    func warnUnknown(_ known: [String], _ warn: (String) -> Void) {
        for key in table.keys.sorted() where !known.contains(key) {
            warn("\(document.path):\(document.line(table: tableName, key: key) ?? 0): [\(tableName)] unknown key '\(key)' ignored")
        }
    }

    func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let v = table[key] else { return nil }
        guard case .bool(let b) = v else { throw error(key, "expected boolean, found \(v.typeName)") }
        return b
    }
}

public enum System {
    public static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
