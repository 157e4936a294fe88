import MRPluginKit
import PluginABI
import Synchronization

/// The GET halves of RTSP-over-HTTP tunnels by session cookie, so a POST (on any loop) can hand its decoded
/// requests to the session on the GET's loop.
final class RtspTunnels: @unchecked Sendable {
    final class Target: @unchecked Sendable {
        /// Loaded on other loops only to be carried back to `loop`; used there.
        weak var session: RtspServerSession?
        let loop: Int32
        init(_ session: RtspServerSession, loop: Int32) {
            self.session = session
            self.loop = loop
        }
    }

    private let host: PluginHost
    private let targets = Mutex<[String: Target]>([:])
    static let maxTunnels = 10_000

    init(host: PluginHost) { self.host = host }

    /// False when the cookie is taken or too many tunnels are open.
    func register(_ cookie: String, _ session: RtspServerSession, loop: Int32) -> Bool {
        targets.withLock { t in
            if let existing = t[cookie], existing.session != nil { return false }
            guard t.count < Self.maxTunnels else { return false }
            t[cookie] = Target(session, loop: loop)
            return true
        }
    }

    func remove(_ cookie: String, _ session: RtspServerSession) {
        targets.withLock { t in
            if let existing = t[cookie], existing.session === session || existing.session == nil { t.removeValue(forKey: cookie) }
        }
    }

    func target(_ cookie: String) -> Target? { targets.withLock { $0[cookie] } }

    /// Runs `bytes` as input of the tunnel's session on its loop.
    func forward(_ bytes: [UInt8], to target: Target) {
        host.onLoop(target.loop) { target.session?.tunnelled(bytes) }
    }
}
