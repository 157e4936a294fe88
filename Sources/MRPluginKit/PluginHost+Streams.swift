import PluginABI

/// The bus and listener calls every protocol plugin makes the same way: options filled in, C strings kept
/// alive for the call, and the handle or nil (the host's last error tells why).
public extension PluginHost {
    /// A TCP (TLS when `cert` and `key` are given) listener whose connections go to `factory`; logs a failure.
    func listen(_ factory: ConnectionFactory, bind: String, port: Int, cert: String? = nil, key: String? = nil) -> OpaquePointer? {
        var options = mr_listen_options()
        options.size = UInt32(MemoryLayout<mr_listen_options>.size)
        options.port = UInt16(clamping: port)
        var cbs = ConnectionBridge.callbacks()
        var out: OpaquePointer?
        let rc = bind.withCString { b in (cert ?? "").withCString { c in (key ?? "").withCString { k -> Int32 in
            options.bind_address = b
            if cert != nil { options.tls_cert_path = c; options.tls_key_path = k }
            return table.tcp_listen(host, &options, &cbs, ConnectionBridge.user(for: factory), &out)
        } } }
        guard rc == MR_OK, let out else {
            log(MR_LOG_ERROR, "cannot listen on \(bind):\(port): \(lastError)")
            return nil
        }
        return out
    }

    /// Claims a stream for publishing, owned by `loop`.
    func openSource(vhost: String?, app: String, stream: String, protocolName: String, peer: String, loop: Int32,
                    takeover: Bool = false) -> OpaquePointer? {
        var options = mr_source_options()
        options.size = UInt32(MemoryLayout<mr_source_options>.size)
        options.takeover = takeover ? 1 : 0
        options.loop = loop
        var out: OpaquePointer?
        let rc = protocolName.withCString { proto in peer.withCString { p in
            options.protocol = proto
            options.peer = p
            return withKey(vhost: vhost, app: app, stream: stream) { table.source_open(host, &$0, &options, &out) }
        } }
        return rc == MR_OK ? out : nil
    }

    /// A reader of a stream's frames, or (with `format` and `muxer`) of its derived ring in that format, whose
    /// callbacks go to `box`'s handler on `loop`; waits for a publisher as long as the server's play wait.
    func openReader(vhost: String?, app: String, stream: String, format: String? = nil, muxer: RingMuxerFactory? = nil,
                    protocolName: String, peer: String, loop: Int32, box: ReaderBox) -> (status: Int32, reader: OpaquePointer?) {
        var options = mr_reader_options()
        options.size = UInt32(MemoryLayout<mr_reader_options>.size)
        options.loop = loop
        options.wait_ms = -1
        var cbs = ReaderBridge.callbacks()
        var muxerCallbacks = ReaderBridge.muxerCallbacks()
        var out: OpaquePointer?
        let rc = protocolName.withCString { proto in peer.withCString { p in
            options.protocol = proto
            options.peer = p
            return withKey(vhost: vhost, app: app, stream: stream) { key -> Int32 in
                if let format, let muxer {
                    return format.withCString { f in
                        table.reader_open_derived(host, &key, f, &muxerCallbacks, ReaderBridge.user(for: muxer), &options, &cbs,
                                                  ReaderBridge.user(for: box), &out)
                    }
                }
                return table.reader_open(host, &key, &options, &cbs, ReaderBridge.user(for: box), &out)
            }
        } }
        return (rc, out)
    }
}

/// A proxy entry of a plugin's `pull`/`push` list: "app/stream=<url>".
public struct ProxySpec {
    public let app: String
    public let stream: String
    public let url: String

    public init?(_ spec: String) {
        guard let eq = spec.firstIndex(of: "=") else { return nil }
        let name = spec[..<eq].split(separator: "/").map(String.init)
        guard name.count >= 2 else { return nil }
        app = name.dropLast().joined(separator: "/")
        stream = name.last ?? ""
        url = String(spec[spec.index(after: eq)...])
    }
}
