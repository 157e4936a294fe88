/// A config problem with where it is: "plugins.conf:12: [rtmp] port: expected integer, found string".
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let line: Int?
    public let table: String?
    public let key: String?
    public let message: String

    public init(file: String, line: Int?, table: String?, key: String?, message: String) {
        self.file = file
        self.line = line
        self.table = table
        self.key = key
        self.message = message
    }

    public var description: String {
        var place = file
        if let line { place += ":\(line)" }
        var what = ""
        if let table { what += "[\(table)] " }
        if let key { what += "\(key): " }
        return "\(place): \(what)\(message)"
    }
}
