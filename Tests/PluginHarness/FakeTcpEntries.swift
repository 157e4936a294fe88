import PluginABI
@_spi(PluginHarness) import RouterCore

/// The TCP entries of the fake host table: listeners and connections that never touch a socket.
enum FakeTcpEntries {
    private static func text(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }

    private static func callbacks(_ cbs: UnsafePointer<mr_conn_callbacks>?) -> mr_conn_callbacks? {
        guard let cbs else { return nil }
        let c = InProcessPlugin.readSized(cbs)
        return c.on_open != nil && c.on_data != nil && c.on_close != nil ? c : nil
    }

    // swiftlint:disable:next function_body_length
    static func install(_ api: inout mr_host_api) {
        api.tcp_listen = { h, opts, cbs, user, out in
            guard let fakes = HarnessRegistry.fakes(h), let opts, let out else {
                return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "missing argument")
            }
            guard let c = FakeTcpEntries.callbacks(cbs) else {
                return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "on_open, on_data and on_close are required")
            }
            guard fakes.pollers.currentIndex() == nil else {
                return InProcessPlugin.fail(Int32(MR_ERR_THREAD), "tcp_listen blocks: call it from start/reconfigure or a worker")
            }
            let o = InProcessPlugin.readSized(opts)
            let tls = o.tls_cert_path != nil || o.tls_key_path != nil
            guard let l = fakes.listen(port: o.port, bind: FakeTcpEntries.text(o.bind_address) ?? "0.0.0.0", tls: tls, callbacks: c, user: user) else {
                return InProcessPlugin.fail(Int32(MR_ERR_BUSY), "port \(o.port) is taken")
            }
            out.pointee = l.handle
            return Int32(MR_OK)
        }
        api.listener_port = { l in FakeListener.from(l)?.port ?? 0 }
        api.listener_close = { l in FakeListener.from(l)?.close() }
        api.tcp_connect = { h, opts, cbs, user in
            guard let fakes = HarnessRegistry.fakes(h), let opts else { return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "missing argument") }
            guard let c = FakeTcpEntries.callbacks(cbs) else {
                return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "on_open, on_data and on_close are required")
            }
            let o = InProcessPlugin.readSized(opts)
            guard let host = FakeTcpEntries.text(o.host), !host.isEmpty else { return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "no host") }
            fakes.connectOut(host: host, port: o.port, loop: o.loop, callbacks: c, user: user)
            return Int32(MR_OK)
        }
        api.conn_set_user = { c, user in FakeConnection.from(c)?.setUser(user) }
        api.conn_send = { c, list, count in
            guard let conn = FakeConnection.from(c) else { return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "no connection") }
            guard let pieces = FakeHostTable.bytes(list, count) else { return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "bad buffer list") }
            return conn.send(pieces)
        }
        api.conn_send_vec = { c, vec, count in
            guard let conn = FakeConnection.from(c) else { return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "no connection") }
            guard count >= 0, count <= 4096, count == 0 || vec != nil else { return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "bad vector") }
            var pieces: [[UInt8]] = []
            for i in 0..<count {
                guard let v = vec?[i] else { break }
                if let b = v.buf {
                    let whole = FakeHostTable.bytes(b)
                    guard v.offset <= whole.count, v.len <= whole.count - v.offset else {
                        return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "range \(i) is outside its buffer")
                    }
                    pieces.append(Array(whole[v.offset..<(v.offset + v.len)]))
                } else {
                    guard v.bytes != nil || v.len == 0, v.len <= 1 << 20 else {
                        return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "bad inline bytes at \(i)")
                    }
                    pieces.append(v.len == 0 ? [] : Array(UnsafeRawBufferPointer(start: v.bytes, count: v.len)))
                }
            }
            return conn.send(pieces)
        }
        api.conn_send_bytes = { c, p, n in
            guard let conn = FakeConnection.from(c) else { return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "no connection") }
            guard p != nil || n == 0 else { return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "no data") }
            return conn.send([n == 0 ? [] : Array(UnsafeRawBufferPointer(start: p, count: n))])
        }
        api.conn_cork = { c, on in FakeConnection.from(c)?.setCorked(on != 0) }
        api.conn_set_nodelay = { c, on in FakeConnection.from(c)?.setNoDelay(on != 0) }
        api.conn_writable = { c in FakeConnection.from(c)?.writable == true ? 1 : 0 }
        api.conn_pending_bytes = { _ in 0 }
        api.conn_set_reading = { c, on in FakeConnection.from(c)?.setReading(on != 0) }
        api.conn_close = { c, abort in FakeConnection.from(c)?.requestClose(abort: abort != 0) }
        api.conn_loop = { c in Int32(FakeConnection.from(c)?.loopIndex ?? -1) }
        api.conn_peer = { c in FakeConnection.from(c)?.peerPointer }
        api.conn_local = { c in FakeConnection.from(c)?.localPointer }
        api.conn_id = { c in FakeConnection.from(c)?.id ?? 0 }
    }
}
