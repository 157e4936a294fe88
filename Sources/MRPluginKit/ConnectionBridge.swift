import PluginABI

/// A Swift object that handles one TCP connection's callbacks.
public protocol ConnectionHandler: AnyObject {
    func opened(_ conn: OpaquePointer)
    func received(_ conn: OpaquePointer, _ bytes: UnsafeRawBufferPointer)
    func writabilityChanged(_ conn: OpaquePointer, writable: Bool)
    func closed(reason: Int32, message: String)
}

public extension ConnectionHandler {
    func writabilityChanged(_ conn: OpaquePointer, writable: Bool) {}
}

/// Makes a handler per accepted (or connected) connection.
public protocol ConnectionFactory: AnyObject {
    func makeHandler(for conn: OpaquePointer) -> ConnectionHandler?
    /// An outgoing connect failed before any connection existed.
    func connectFailed(_ message: String)
}

public extension ConnectionFactory {
    func connectFailed(_ message: String) {}
}

/// C callbacks that route a listener's connections to Swift handlers. The listener's `user` is an
/// unretained factory; each connection's `user` becomes a retained handler, released after on_close.
public enum ConnectionBridge {
    public static func callbacks() -> mr_conn_callbacks {
        var c = mr_conn_callbacks()
        c.size = UInt32(MemoryLayout<mr_conn_callbacks>.size)
        c.on_open = { user, conn in
            guard let user, let conn, let factory = Unmanaged<AnyObject>.fromOpaque(user).takeUnretainedValue() as? ConnectionFactory
            else { return }
            guard let handler = factory.makeHandler(for: conn) else {
                // Refused: the connection must not keep the factory as its user (on_close would take it for a
                // handler box).
                connectionBridgeAPI?.pointee.conn_set_user(conn, nil)
                connectionBridgeAPI?.pointee.conn_close(conn, 1)
                return
            }
            let box = HandlerBox(handler)
            connectionBridgeAPI?.pointee.conn_set_user(conn, Unmanaged.passRetained(box).toOpaque())
            handler.opened(conn)
        }
        // After on_open the connection's user is always our HandlerBox: no dynamic cast on the data path.
        c.on_data = { user, conn, data, len in
            guard let user, let conn else { return }
            Unmanaged<HandlerBox>.fromOpaque(user).takeUnretainedValue().handler.received(conn, UnsafeRawBufferPointer(start: data, count: len))
        }
        c.on_writable = { user, conn, writable in
            guard let user, let conn else { return }
            Unmanaged<HandlerBox>.fromOpaque(user).takeUnretainedValue().handler.writabilityChanged(conn, writable: writable != 0)
        }
        c.on_close = { user, conn, reason, message in
            guard let user else { return }
            guard conn != nil else {
                // A failed outgoing connect closes with the connect's own user: the factory.
                (Unmanaged<AnyObject>.fromOpaque(user).takeUnretainedValue() as? ConnectionFactory)?
                    .connectFailed(message.map { String(cString: $0) } ?? "connect failed")
                return
            }
            let box = Unmanaged<HandlerBox>.fromOpaque(user)
            box.takeUnretainedValue().handler.closed(reason: reason, message: message.map { String(cString: $0) } ?? "")
            box.release()
        }
        return c
    }

    /// The host table, set once by the plugin's init (conn_set_user is needed before a handler exists).
    public static var bridgeAPI: UnsafePointer<mr_host_api>? {
        get { connectionBridgeAPI }
        set { connectionBridgeAPI = newValue }
    }

    /// The pointer to pass as the listener's `user` for `factory` (the plugin keeps the factory alive).
    public static func user(for factory: ConnectionFactory) -> UnsafeMutableRawPointer {
        Unmanaged.passUnretained(factory as AnyObject).toOpaque()
    }

    final class HandlerBox {
        let handler: ConnectionHandler
        init(_ handler: ConnectionHandler) { self.handler = handler }
    }
}

/// A global, not a member: C function pointers cannot capture the enum's metatype.
nonisolated(unsafe) private var connectionBridgeAPI: UnsafePointer<mr_host_api>?
