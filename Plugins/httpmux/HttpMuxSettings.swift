import HttpProtocol
import MRPluginKit
import PluginABI

/// The httpmux settings connections read, replaced whole by a reload: a connection takes one snapshot per
/// request and never sees half of an old table and half of a new one.
struct HttpMuxSettings {
    var cors = true
    var stallTimeoutMs = 10_000
    var maxBodyBytes = 1 << 20
    /// A connection waiting for a request (idle keep-alive, or a request still arriving) is closed after this:
    /// idle and slow-header connections (slowloris) cannot hold descriptors for ever.
    var requestTimeoutMs = 15_000
    var files: StaticFiles?
    var console: ConsoleFiles?

    init() {}

    init(_ host: PluginHost) {
        cors = host.bool("cors", default: true)
        stallTimeoutMs = max(1000, host.int("stall_timeout_ms", default: 10_000))
        maxBodyBytes = max(1024, host.int("max_body_bytes", default: 1 << 20))
        requestTimeoutMs = max(500, min(3_600_000, host.int("request_timeout_ms", default: 15_000)))
        let root = host.string("www_root", default: "")
        files = StaticFiles(root: root)
        if !root.isEmpty && files == nil { host.log(MR_LOG_WARNING, "www_root \(root) does not exist; static files are off") }
        // No key names the console's folder: one the API could set would serve any folder (www_root is protected).
        if host.bool("console", default: true) {
            let consoleRoot = ConsoleFiles.bundledRoot ?? ""
            console = ConsoleFiles(root: consoleRoot)
            if console == nil { host.log(MR_LOG_WARNING, "web console files not found at \(consoleRoot); the console is off") }
        }
    }
}
