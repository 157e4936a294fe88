import HttpProtocol
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MRPluginKit
import PluginABI

/// Entry point of the httpmux plugin: the HTTP/WebSocket port.
@_cdecl("mr_plugin_entry_v1")
public func mrPluginEntryV1() -> UnsafePointer<mr_plugin_descriptor> { descriptor }

nonisolated(unsafe) private let descriptor = DescriptorBuilder.make(
    name: "httpmux", version: "0.1.0",
    description: "HTTP/1.1 + WebSocket port: HTTP-FLV and WebSocket-FLV live streams, static files, the web console, routes of other plugins; "
        + "HTTP-FLV and HTTP-TS pulls",
    configKeys: [
        ("bind", MR_CONFIG_STRING, "listen address (default 0.0.0.0)"),
        ("https_port", MR_CONFIG_INT, "HTTPS port, used when tls_cert and tls_key are set (default 8443)"),
        ("tls_cert", MR_CONFIG_STRING, "PEM certificate chain for HTTPS"),
        ("tls_key", MR_CONFIG_STRING, "PEM private key for HTTPS"),
        ("www_root", MR_CONFIG_STRING, "folder of static files (none when empty)"),
        ("console", MR_CONFIG_BOOL, "serve the web console at / and /console/ (default true)"),
        ("cors", MR_CONFIG_BOOL, "send Access-Control-Allow-Origin: * (default true)"),
        ("stall_timeout_ms", MR_CONFIG_INT, "drop a player that stops reading for this long"),
        ("request_timeout_ms", MR_CONFIG_INT, "close a connection whose next request is not complete within this (idle or slow clients)"),
        ("max_body_bytes", MR_CONFIG_INT, "largest request body accepted"),
        ("pull", MR_CONFIG_LIST, "HTTP-FLV/HTTP-TS streams to pull: \"app/stream=http[s]://host[:port]/path.flv\" (or .ts)"),
        ProxyLink.tlsVerifyConfigKey,
    ],
    serves: #"""
    {"schemas": [{"name": "rtmp", "readers": ["http-flv", "ws-flv"]},
                 {"name": "ts", "readers": ["http-ts", "ws-ts"]},
                 {"name": "fmp4", "readers": ["http-fmp4", "ws-fmp4"]}],
     "sources": [{"protocol": "http-flv-pull", "schema": "rtmp", "origin_type": 4, "origin_type_str": "pull"},
                 {"protocol": "http-ts-pull", "schema": "ts", "origin_type": 4, "origin_type_str": "pull"}],
     "pull": [{"scheme": "http", "path_suffixes": [".flv", ".ts"]}, {"scheme": "https", "path_suffixes": [".flv", ".ts"]}],
     "config_aliases": [{"name": "http.port", "key": "port", "default": "8080"},
                        {"name": "http.sslport", "key": "https_port", "default": "0"}]}
    """#,
    create: { HttpMuxPlugin($0) })

/// `listeners` and `listenSettings` belong to the control thread; what loops read is the settings snapshot.
final class HttpMuxPlugin: PluginLifecycle, ConnectionFactory, @unchecked Sendable {
    let host: PluginHost
    private var listeners: [OpaquePointer] = []
    /// Written by start and reconfigure on the control thread, read by connections on the loops.
    private let currentSettings = LockedValue(HttpMuxSettings())
    var settings: HttpMuxSettings { currentSettings.withLock { $0 } }
    private var listenSettings: [String] = []
    /// Made in init, not lazily: connections on several loops would race to create it.
    let muxers: LiveMuxers
    private let pulls: ProxyRegistry

    init(_ host: PluginHost) {
        self.host = host
        muxers = LiveMuxers(host: host)
        pulls = ProxyRegistry(host: host, name: "httpmux", expected: "http[s]://host[:port]/path.flv or …/path.ts") { request in
            HttpPullProxy(host: host, request: request)
        }
    }

    private func readSettings() {
        let s = HttpMuxSettings(host)
        currentSettings.withLock { $0 = s }
    }

    private var currentListenSettings: [String] {
        ["port", "bind", "https_port", "tls_cert", "tls_key"].map { host.string($0, default: "") }
    }

    func start() -> Int32 {
        readSettings()
        listenSettings = currentListenSettings
        let bind = host.string("bind", default: "0.0.0.0")
        var rc = listen(bind: bind, port: host.int("port", default: 8080), cert: nil, key: nil)
        guard rc == MR_OK else { return rc }
        let cert = host.string("tls_cert", default: ""), key = host.string("tls_key", default: "")
        if !cert.isEmpty || !key.isEmpty {
            rc = listen(bind: bind, port: host.int("https_port", default: 8443), cert: cert, key: key)
            guard rc == MR_OK else { return rc }
        }
        var ops = mr_http_server_ops()
        ops.size = UInt32(MemoryLayout<mr_http_server_ops>.size)
        ops.respond = { _, ex, status, headers, count, body in
            guard let c = HttpMuxPlugin.connection(ex) else { return Int32(MR_ERR_CLOSED) }
            let bytes = body.map { UnsafeRawBufferPointer(start: RouteOps.api?.pointee.buf_data($0), count: RouteOps.api?.pointee.buf_len($0) ?? 0) }
            return c.routeRespond(status: Int(status), headers: RouteOps.headers(headers, count), body: bytes)
        }
        ops.begin = { _, ex, status, headers, count in
            guard let c = HttpMuxPlugin.connection(ex) else { return Int32(MR_ERR_CLOSED) }
            return c.routeBegin(status: Int(status), headers: RouteOps.headers(headers, count))
        }
        ops.write = { _, ex, bufs, count in
            guard let c = HttpMuxPlugin.connection(ex), let bufs else { return Int32(MR_ERR_CLOSED) }
            return c.routeWrite((0..<count).compactMap { bufs[$0] })
        }
        ops.end = { _, ex in
            guard let c = HttpMuxPlugin.connection(ex) else { return Int32(MR_ERR_CLOSED) }
            return c.routeEnd()
        }
        // Written once: a restart must not write it while another instance's loops read it (same value anyway).
        if RouteOps.api == nil { RouteOps.api = host.api }
        rc = host.table.http_server_register(host.host, &ops)
        if rc != MR_OK { host.log(MR_LOG_WARNING, "routes of other plugins are not served: \(host.lastError)") }
        pulls.offerCommands(pushes: false)
        pulls.start()
        return Int32(MR_OK)
    }

    private func listen(bind: String, port: Int, cert: String?, key: String?) -> Int32 {
        guard let l = host.listen(self, bind: bind, port: port, cert: cert, key: key) else { return Int32(MR_ERR_IO) }
        listeners.append(l)
        return Int32(MR_OK)
    }

    static func connection(_ ex: OpaquePointer?) -> HttpConnection? {
        guard let ex, let ctx = RouteOps.api?.pointee.http_exchange_context(ex) else { return nil }
        return Unmanaged<HttpConnection>.fromOpaque(ctx).takeUnretainedValue()
    }

    func reconfigure() -> Int32 {
        guard currentListenSettings == listenSettings else { return Int32(MR_RESTART) }
        readSettings()
        pulls.reconfigure()
        return Int32(MR_OK)
    }

    func stop() {
        pulls.stop()
        for l in listeners { host.table.listener_close(l) }
        listeners.removeAll()
    }

    func makeHandler(for conn: OpaquePointer) -> ConnectionHandler? { HttpConnection(plugin: self, conn: conn) }
}

/// Reads the ABI's header arrays for the route bridge.
enum RouteOps {
    nonisolated(unsafe) static var api: UnsafePointer<mr_host_api>?

    static func headers(_ list: UnsafePointer<mr_http_header>?, _ count: Int) -> [(String, String)] {
        guard let list, count > 0, count < 1000 else { return [] }
        return (0..<count).compactMap { i in
            guard let n = list[i].name, let v = list[i].value else { return nil }
            return (String(cString: n), String(cString: v))
        }
    }
}
