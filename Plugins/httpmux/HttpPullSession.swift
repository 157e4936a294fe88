import HttpProtocol
import MRPluginKit
import PluginABI

/// One connection of an HTTP-FLV/HTTP-TS pull: the GET, the response head (200 opens the bus source, any
/// other status ends the attempt), then the endless body handed to the format's ingest as it arrives.
/// A server that sends nothing for `stallTimeoutUs` is dropped, since the link only times the connect.
final class HttpPullSession: ConnectionHandler {
    /// What the parser may hold between two takes of the body (one read, or one chunk of a chunked body).
    static let maxPendingBodyBytes = 16 << 20
    static let stallTimeoutUs: Int64 = 10_000_000
    static let tickMs: Int64 = 1000

    let proxy: HttpPullProxy
    let conn: OpaquePointer
    private var host: PluginHost { proxy.host }
    private var parser = HttpResponseParser(maxBodyBytes: maxPendingBodyBytes)
    private var source: OpaquePointer?
    private var ingest: HttpPullIngest?
    private var lastDataUs: Int64 = 0
    private var timer: OpaquePointer?
    private lazy var timerUser: UnsafeMutableRawPointer = WeakBox.make(self)
    private var noted = false
    private var closing = false
    private var failure = ""

    init(proxy: HttpPullProxy, conn: OpaquePointer) {
        self.proxy = proxy
        self.conn = conn
    }

    func opened(_ conn: OpaquePointer) {
        lastDataUs = host.table.now_us()
        timer = host.table.timer_start(host.host, host.table.conn_loop(conn), Self.tickMs, Self.tickMs, { user, _ in
            WeakBox<HttpPullSession>.value(user)?.tick()
        }, timerUser)
        host.send(conn, HttpClientRequest.get(proxy.url))
    }

    private func tick() {
        let idle = host.table.now_us() - lastDataUs
        if idle > Self.stallTimeoutUs { fail("nothing received for \(idle / 1_000_000) s") }
    }

    func received(_ conn: OpaquePointer, _ bytes: UnsafeRawBufferPointer) {
        guard !closing else { return }
        lastDataUs = host.table.now_us()
        parser.feed(bytes)
        do {
            // A complete response means the server ended the body: what is left of it goes in first.
            let ended = try parser.next()
            if ingest == nil, let head = ended ?? parser.head { try accept(head) }
            let body = ended?.body ?? parser.takeBody()
            if let ingest, !body.isEmpty, try ingest.push(body) > 0, !noted {
                noted = true
                proxy.streaming()
                host.log(MR_LOG_INFO, "\(proxy.label): pulling \(proxy.format.label) \(ingest.codecs)")
            }
            if ended != nil { fail("the server ended the stream") }
        } catch {
            fail("\(error)")
        }
    }

    /// The head: a 200 opens the source; redirects are not followed (the link connects to one address).
    private func accept(_ head: HttpResponseMessage) throws(HttpPullError) {
        guard head.status == 200 else {
            let location = head.header("Location").map { " to \($0) (redirects are not followed)" } ?? ""
            throw HttpPullError("\(proxy.url.string) answered \(head.status) \(head.reason)\(location)")
        }
        let out = host.openSource(vhost: proxy.request.busVhost, app: proxy.app, stream: proxy.stream, protocolName: proxy.format.protocolName,
                                  peer: proxy.url.string, loop: host.table.conn_loop(conn))
        guard let out else { throw HttpPullError("cannot publish \(proxy.app)/\(proxy.stream): \(host.lastError)") }
        source = out
        switch proxy.format {
        case .flv: ingest = HttpFlvPullIngest(host: host, source: out)
        case .ts: ingest = HttpTsPullIngest(host: host, source: out, label: proxy.label)
        }
        proxy.online()
    }

    private func fail(_ why: String) {
        guard !closing else { return }
        closing = true
        failure = why
        host.table.conn_close(conn, 0)
    }

    func closed(reason: Int32, message: String) {
        closing = true
        if let timer { host.table.timer_cancel(timer) }
        timer = nil
        WeakBox<HttpPullSession>.release(timerUser)
        if let ingest { host.log(MR_LOG_INFO, "\(proxy.label): ended after \(ingest.summary)") }
        ingest = nil
        if let source { host.table.source_close(source) }
        source = nil
        proxy.failed(failure.isEmpty ? "connection closed\(message.isEmpty ? "" : " (\(message))")" : failure)
    }
}

struct HttpPullError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The format side of a pull session: body bytes in, bus frames out.
protocol HttpPullIngest: AnyObject {
    /// Returns how many media frames the bytes completed.
    func push(_ bytes: [UInt8]) throws(HttpPullError) -> Int
    /// Codecs, for the log.
    var codecs: String { get }
    var summary: String { get }
}
