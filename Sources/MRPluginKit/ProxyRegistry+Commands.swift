import EssentialsExtras
import PluginABI

/// The commands through which the management API (or another plugin) manages a plugin's proxies:
/// `<plugin>.proxy.add|del|list` for pulls, `<plugin>.pusher.add|del|list` for pushes.
public extension ProxyRegistry {
    /// [control] Offers the pull commands, and the push ones when `pushes` is true.
    func offerCommands(pushes: Bool) {
        offer(.pull)
        if pushes { offer(.push) }
    }

    private func offer(_ mode: ProxyRequest.Mode) {
        let prefix = "\(name).\(mode == .pull ? "proxy" : "pusher")"
        host.offerCommand("\(prefix).add") { [self] args, reply in
            switch request(mode, args) {
            case .failure(let e): reply.fail(e.message, status: Int32(MR_ERR_INVALID))
            case .success(let r):
                switch add(r) {
                case .added: reply.answer(["key": r.key])
                case .busy: reply.fail("This stream already exists", status: Int32(MR_ERR_BUSY))
                case .refused(let why): reply.fail(why, status: Int32(MR_ERR_INVALID))
                case .stopped: reply.fail("the \(name) plugin is stopping", status: Int32(MR_ERR_CLOSED))
                }
            }
        }
        host.offerCommand("\(prefix).del") { [self] args, reply in
            guard let key = Self.text(args["key"]) else { return reply.fail("missing key", status: Int32(MR_ERR_INVALID)) }
            // A key of the other kind is not ours to delete through this command.
            let mine = !list(mode: mode, key: key).isEmpty
            reply.answer(["flag": mine && remove(key: key)])
        }
        host.offerCommand("\(prefix).list") { [self] args, reply in
            reply.answer(["proxies": list(mode: mode, key: Self.text(args["key"]))])
        }
    }

    private func request(_ mode: ProxyRequest.Mode, _ args: [String: Any]) -> Result<ProxyRequest, ProxyArgumentError> {
        let urlKey = mode == .pull ? "url" : "dst_url"
        var missing: [String] = []
        let app = Self.text(args["app"]), stream = Self.text(args["stream"]), url = Self.text(args[urlKey])
        if app == nil { missing.append("app") }
        if stream == nil { missing.append("stream") }
        if url == nil { missing.append(urlKey) }
        guard let app, let stream, let url else { return .failure(.init("missing \(missing.joined(separator: ", "))")) }
        var retry = -1
        if let t = Self.text(args["retry_count"]) {
            guard let v = Int(t), v >= -1 else { return .failure(.init("retry_count must be an integer >= -1")) }
            retry = v
        }
        var timeoutMs = 5000
        if let t = Self.text(args["timeout_sec"]) {
            guard let v = Double(t), v > 0, v < 3600 else { return .failure(.init("timeout_sec must be a number of seconds")) }
            timeoutMs = Int(v * 1000)
        }
        var transport: String?
        if let t = Self.text(args["rtp_type"]) {
            switch t {
            case "0": transport = "tcp"
            case "1": transport = "udp"
            default: return .failure(.init("rtp_type \(t) is not supported (0 tcp, 1 udp)"))
            }
        }
        return .success(ProxyRequest(mode: mode, vhost: Self.text(args["vhost"]), app: app, stream: stream, url: url, retryCount: retry,
                                     timeoutMs: timeoutMs, transport: transport, fromConfig: false,
                                     schema: Self.text(args["schema"]) ?? name))
    }

    /// A JSON argument as text: strings as they are, numbers written out (the API passes both).
    static func text(_ v: Any?) -> String? {
        switch v {
        case let s as String: return s.isEmpty ? nil : s
        default: return JSONNumber.string(v)
        }
    }
}

struct ProxyArgumentError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
