import HttpProtocol
import MRPluginKit
import PluginABI

/// One GET over a host TCP connection (HttpClientRequest.get), its response parsed with a body limit. The
/// completion runs once, on the connection's loop, unless the fetch was cancelled first.
final class HlsHttpFetch: ConnectionHandler, ConnectionFactory {
    enum Outcome {
        case response(HttpResponseMessage)
        case failure(String)
    }

    let url: HttpURL
    private let host: PluginHost
    private var parser: HttpResponseParser
    private var completion: ((Outcome) -> Void)?
    private var conn: OpaquePointer?
    /// The proxy link whose connection this is, told when it closes (the first request of a pull).
    var link: ProxyLink?
    let startedUs: Int64

    init(host: PluginHost, url: HttpURL, maxBodyBytes: Int, completion: @escaping (Outcome) -> Void) {
        self.host = host
        self.url = url
        self.parser = HttpResponseParser(maxBodyBytes: maxBodyBytes)
        self.completion = completion
        self.startedUs = host.table.now_us()
    }

    /// Connects on `loop`; false (and no completion) when the host refused to start the connect.
    func connect(loop: Int32) -> Bool {
        var options = mr_connect_options()
        options.size = UInt32(MemoryLayout<mr_connect_options>.size)
        options.port = UInt16(clamping: url.port)
        options.timeout_ms = 5000
        options.loop = loop
        options.tls = url.secure ? 1 : 0
        options.tls_verify = url.secure && ProxyLink.verifiesTls(host) ? 1 : 0
        var cbs = ConnectionBridge.callbacks()
        // The connect's reference, given back in makeHandler or connectFailed.
        let user = Unmanaged.passRetained(self).toOpaque()
        let rc = url.host.withCString { h in
            options.host = h
            return host.table.tcp_connect(host.host, &options, &cbs, user)
        }
        if rc != MR_OK { Unmanaged.passUnretained(self).release() }
        return rc == MR_OK
    }

    func makeHandler(for conn: OpaquePointer) -> ConnectionHandler? {
        defer { Unmanaged.passUnretained(self).release() }
        return completion == nil ? nil : self
    }

    func connectFailed(_ message: String) {
        defer { Unmanaged.passUnretained(self).release() }
        finish(.failure(message.isEmpty ? "cannot connect to \(url.authority)" : message))   // the host's message names the address
    }

    /// No completion after this; the connection, if any, is aborted.
    func cancel() {
        completion = nil
        if let conn { host.table.conn_close(conn, 1) }
    }

    func opened(_ conn: OpaquePointer) {
        self.conn = conn
        guard completion != nil else { return host.table.conn_close(conn, 1) }
        host.send(conn, HttpClientRequest.get(url))
    }

    func received(_ conn: OpaquePointer, _ bytes: UnsafeRawBufferPointer) {
        guard completion != nil else { return }
        parser.feed(bytes)
        do {
            if let r = try parser.next() {
                finish(.response(r))
                host.table.conn_close(conn, 1)
            }
        } catch {
            finish(.failure("bad HTTP response from \(url.authority): \(error)"))
            host.table.conn_close(conn, 1)
        }
    }

    func closed(reason: Int32, message: String) {
        conn = nil
        link?.connectionEnded()
        link = nil
        guard completion != nil else { return }
        do {
            if let r = try parser.finish() {
                finish(.response(r))
            } else {
                finish(.failure("\(url.authority) closed the connection without a response\(message.isEmpty ? "" : " (\(message))")"))
            }
        } catch {
            finish(.failure("bad HTTP response from \(url.authority): \(error)"))
        }
    }

    private func finish(_ outcome: Outcome) {
        let c = completion
        completion = nil
        c?(outcome)
    }
}
