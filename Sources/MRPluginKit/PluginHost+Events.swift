import PluginABI

/// A bus event as Swift values (the C strings are borrowed only for the callback).
public struct BusEventInfo: Sendable {
    public let type: mr_event_type
    public let vhost: String
    public let app: String
    public let stream: String
    public let protocolName: String
    public let peer: String
    public let detail: String
    public let readers: Int64
    /// Stop events (ABI 1.2): bytes the reader got and how long it was attached.
    public let bytes: Int64
    public let durationMs: Int64
}

private final class EventHandlerBox {
    let handler: (BusEventInfo) -> Void
    init(_ handler: @escaping (BusEventInfo) -> Void) { self.handler = handler }
}

extension PluginHost {
    /// [any thread] Events of the given types, delivered on loop 0. The handler lives as long as the
    /// process; unsubscribe with the returned id (negative on failure).
    @discardableResult
    public func subscribe(_ types: [mr_event_type], _ handler: @escaping (BusEventInfo) -> Void) -> Int64 {
        let mask = types.reduce(UInt64(0)) { $0 | (UInt64(1) << UInt64($1.rawValue)) }
        let box = Unmanaged.passRetained(EventHandlerBox(handler)).toOpaque()
        let id = table.event_subscribe(host, mask, { user, e in
            guard let user, let e else { return }
            let s = { (p: UnsafePointer<CChar>?) in p.map { String(cString: $0) } ?? "" }
            // A 1.1 host's event ends before the traffic fields.
            let hasTraffic = Int(e.pointee.size) >= MemoryLayout<mr_event>.size
            let info = BusEventInfo(type: mr_event_type(rawValue: UInt32(bitPattern: e.pointee.type)),
                                    vhost: s(e.pointee.key.vhost), app: s(e.pointee.key.app), stream: s(e.pointee.key.stream),
                                    protocolName: s(e.pointee.protocol), peer: s(e.pointee.peer), detail: s(e.pointee.detail),
                                    readers: e.pointee.readers,
                                    bytes: hasTraffic ? e.pointee.bytes : 0, durationMs: hasTraffic ? e.pointee.duration_ms : 0)
            Unmanaged<EventHandlerBox>.fromOpaque(user).takeUnretainedValue().handler(info)
        }, box)
        if id < 0 {
            Unmanaged<EventHandlerBox>.fromOpaque(box).release()
            log(MR_LOG_ERROR, "cannot subscribe to events: \(lastError)")
        }
        return id
    }

    /// [any thread] Emits an event to every subscriber.
    public func emit(_ type: mr_event_type, vhost: String?, app: String, stream: String, protocolName: String,
                     peer: String = "", detail: String) {
        var e = mr_event()
        e.size = UInt32(MemoryLayout<mr_event>.size)
        e.type = Int32(bitPattern: type.rawValue)
        _ = protocolName.withCString { proto in peer.withCString { p in detail.withCString { d in
            e.protocol = proto
            e.peer = p
            e.detail = d
            return withKey(vhost: vhost, app: app, stream: stream) { key -> Int32 in
                e.key = key
                return table.event_emit(host, &e)
            }
        } } }
    }
}
