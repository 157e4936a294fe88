import Foundation
import NIOConcurrencyHelpers
import NIOCore
import PluginABI
@_spi(PluginHarness) import RouterCore

/// One datagram the plugin sent with `udp_send`.
public struct Datagram: Equatable, Sendable {
    public let address: String
    public let port: UInt16
    public let bytes: [UInt8]

    public init(address: String, port: UInt16, bytes: [UInt8]) {
        self.address = address
        self.port = port
        self.bytes = bytes
    }
}

/// A plugin's UDP socket (`mr_udp *`) that binds nothing: the test delivers datagrams to its `on_datagram`
/// (on the socket's loop) and reads what the plugin sent.
public final class FakeUdpSocket: @unchecked Sendable {
    public let port: UInt16
    public let bindAddress: String
    public let multicastGroup: String?
    public let loopIndex: Int
    let loop: EventLoop
    private let callbacks: mr_udp_callbacks
    private let user: UnsafeMutableRawPointer?

    private struct State {
        var sent: [Datagram] = []
        var taken = 0
        var closed = false
    }

    private let state = NIOLockedValueBox(State())

    init(port: UInt16, bindAddress: String, multicastGroup: String?, loopIndex: Int, loop: EventLoop,
         callbacks: mr_udp_callbacks, user: UnsafeMutableRawPointer?) {
        self.port = port
        self.bindAddress = bindAddress
        self.multicastGroup = multicastGroup
        self.loopIndex = loopIndex
        self.loop = loop
        self.callbacks = callbacks
        self.user = user
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> FakeUdpSocket? {
        guard let handle else { return nil }
        return Unmanaged<FakeUdpSocket>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    // MARK: the test's side

    public var sent: [Datagram] { state.withLockedValue { $0.sent } }

    /// What the plugin sent since the last call.
    public func takeSent() -> [Datagram] {
        state.withLockedValue { s in
            defer { s.taken = s.sent.count }
            return Array(s.sent[s.taken...])
        }
    }

    public var isClosed: Bool { state.withLockedValue { $0.closed } }

    /// Delivers one datagram from `address` (IPv4 dotted quad) and `fromPort`; returns once on_datagram has.
    public func deliver(_ bytes: [UInt8], from address: String = "127.0.0.1", port fromPort: UInt16) {
        precondition(!loop.inEventLoop, "drive a fake socket from the test thread, not from a loop")
        _ = try? loop.submit {
            guard !self.isClosed, let cb = self.callbacks.on_datagram else { return }
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = fromPort.bigEndian
            _ = inet_pton(AF_INET, address, &sin.sin_addr)
            withUnsafePointer(to: &sin) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { from in
                    bytes.withUnsafeBufferPointer { cb(self.user, self.handle, $0.baseAddress, $0.count, from, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
        }.wait()
    }

    // MARK: the plugin's side

    func send(to: UnsafePointer<sockaddr>, length: socklen_t, _ pieces: [[UInt8]]) -> Int32 {
        guard loop.inEventLoop else { return InProcessPlugin.fail(Int32(MR_ERR_THREAD), "udp_send off the socket's loop") }
        guard let (address, port) = Self.text(to, length) else { return InProcessPlugin.fail(Int32(MR_ERR_INVALID), "unsupported address family") }
        return state.withLockedValue { s in
            guard !s.closed else { return InProcessPlugin.fail(Int32(MR_ERR_CLOSED), "socket is closed") }
            s.sent.append(Datagram(address: address, port: port, bytes: pieces.flatMap { $0 }))
            return Int32(MR_OK)
        }
    }

    /// udp_close, or the harness stopping: on_close follows from the loop, once.
    func close(reason: Int32 = Int32(MR_CLOSE_LOCAL.rawValue)) {
        let first = state.withLockedValue { s -> Bool in
            defer { s.closed = true }
            return !s.closed
        }
        guard first, callbacks.on_close != nil else { return }
        loop.execute { "closed".withCString { self.callbacks.on_close?(self.user, self.handle, reason, $0) } }
    }

    private static func text(_ to: UnsafePointer<sockaddr>, _ length: socklen_t) -> (String, UInt16)? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch Int32(to.pointee.sa_family) {
        case AF_INET where Int(length) >= MemoryLayout<sockaddr_in>.size:
            return UnsafeRawPointer(to).withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var addr = sin.pointee.sin_addr
                inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count))
                return (String(cString: buffer), UInt16(bigEndian: sin.pointee.sin_port))
            }
        case AF_INET6 where Int(length) >= MemoryLayout<sockaddr_in6>.size:
            return UnsafeRawPointer(to).withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                var addr = sin.pointee.sin6_addr
                inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
                return (String(cString: buffer), UInt16(bigEndian: sin.pointee.sin6_port))
            }
        default:
            return nil
        }
    }
}
