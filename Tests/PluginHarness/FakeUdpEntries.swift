import PluginABI
@_spi(PluginHarness) import RouterCore

/// The UDP entries of the fake host table: sockets that never touch the network.
enum FakeUdpEntries {
    static func install(_ api: inout mr_host_api) {
        api.udp_bind = { h, opts, cbs, user, out in
            guard let fakes = HarnessRegistry.fakes(h), let opts, let cbs, let out else {
                return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "missing argument")
            }
            let callbacks = InProcessPlugin.readSized(cbs)
            guard callbacks.on_datagram != nil else { return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "on_datagram is required") }
            guard fakes.pollers.currentIndex() == nil else {
                return InProcessPlugin.fail(Int32(MR_ERR_THREAD), "udp_bind blocks: call it from start/reconfigure or a worker")
            }
            let o = InProcessPlugin.readSized(opts)
            guard let s = fakes.bindUdp(port: o.port, bind: o.bind_address.map { String(cString: $0) } ?? "0.0.0.0",
                                        group: o.multicast_group.map { String(cString: $0) }, loop: o.loop,
                                        callbacks: callbacks, user: user) else {
                return InProcessPlugin.fail(Int32(MR_ERR_BUSY), "udp port \(o.port) is taken")
            }
            out.pointee = s.handle
            return Int32(MR_OK)
        }
        api.udp_send = { s, to, len, list, count in
            guard let sock = FakeUdpSocket.from(s), let to else { return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "missing argument") }
            guard let pieces = FakeHostTable.bytes(list, count) else { return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "bad buffer list") }
            return sock.send(to: to, length: len, pieces)
        }
        api.udp_port = { s in FakeUdpSocket.from(s)?.port ?? 0 }
        api.udp_loop = { s in Int32(FakeUdpSocket.from(s)?.loopIndex ?? -1) }
        api.udp_close = { s in FakeUdpSocket.from(s)?.close() }
    }
}
