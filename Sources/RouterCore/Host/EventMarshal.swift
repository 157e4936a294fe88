import PluginABI

/// Converts events between the core's Swift form and `mr_event`.
enum EventMarshal {
    static func withCEvent(_ e: BusEvent, _ body: (UnsafePointer<mr_event>) -> Void) {
        let vhost = e.key?.vhost ?? "", app = e.key?.app ?? "", stream = e.key?.stream ?? ""
        vhost.withCString { v in app.withCString { a in stream.withCString { s in
            e.protocolName.withCString { p in e.peer.withCString { peer in e.detail.withCString { d in
                var c = mr_event()
                c.size = UInt32(MemoryLayout<mr_event>.size)
                c.type = Int32(bitPattern: e.type.rawValue)
                c.key = mr_stream_key(vhost: v, app: a, stream: s)
                c.protocol = p
                c.peer = peer
                c.detail = d
                c.readers = Int64(e.readers)
                c.bytes = e.bytes
                c.duration_ms = e.durationMs
                body(&c)
            } } }
        } } }
    }

    static func fromC(_ p: UnsafePointer<mr_event>, defaultProtocol: String) -> BusEvent {
        let c: mr_event = ABICopy.read(p)
        func s(_ x: UnsafePointer<CChar>?) -> String { x.map { String(cString: $0) } ?? "" }
        let key = withUnsafePointer(to: c.key) { HostAPITable.key($0) }
        return BusEvent(type: mr_event_type(rawValue: UInt32(bitPattern: c.type)), key: key,
                        protocolName: c.protocol == nil ? defaultProtocol : s(c.protocol), peer: s(c.peer),
                        detail: s(c.detail), readers: Int(c.readers))
    }
}
