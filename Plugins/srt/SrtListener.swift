import CSrt
import MRPluginKit
import PluginABI
#if canImport(Glibc)
import Glibc
#endif

/// The listening socket: callers pass the admission checks in libsrt's listen callback, then each accepted
/// socket becomes a session on a loop.
final class SrtListener: SrtSocketOwner {
    let sock: SRTSOCKET
    private let admission: SrtAdmission
    private let accepted: (SRTSOCKET, String) -> Void

    /// nil (logged) when the port cannot be bound. The listen callback's reference to `admission` is kept for
    /// the life of the process (one small object per start): libsrt may still be inside the callback for a
    /// handshake in flight when `srt_close` of the listener returns.
    init?(host: PluginHost, settings: SrtSettings, admission: SrtAdmission, accepted: @escaping (SRTSOCKET, String) -> Void) {
        guard let s = SrtLibrary.socket(settings) else {
            host.log(MR_LOG_ERROR, "cannot create an SRT socket: \(SrtLibrary.lastError)")
            return nil
        }
        sock = s
        self.admission = admission
        self.accepted = accepted
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(clamping: settings.port).bigEndian
        guard inet_pton(AF_INET, settings.bind, &addr.sin_addr) == 1 else {
            host.log(MR_LOG_ERROR, "bind address '\(settings.bind)' is not an IPv4 address")
            srt_close(s)
            return nil
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { srt_bind(s, $0, Int32(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0,
              srt_listen_callback(s, { opaque, ns, _, peer, streamId in
                  guard let opaque else { return -1 }
                  let admission = Unmanaged<SrtAdmission>.fromOpaque(opaque).takeUnretainedValue()
                  let bytes = streamId.map { Array(UnsafeRawBufferPointer(start: $0, count: strnlen($0, 1024))) } ?? []
                  guard let code = admission.check(ns, peer: SrtLibrary.text(peer), streamId: bytes) else { return 0 }
                  srt_setrejectreason(ns, code.rawValue)
                  return -1
              }, Unmanaged.passRetained(admission).toOpaque()) == 0,
              srt_listen(s, 128) == 0 else {
            host.log(MR_LOG_ERROR, "cannot listen on \(settings.bind):\(settings.port)/udp: \(SrtLibrary.lastError)")
            srt_close(s)
            return nil
        }
    }

    /// On the poller thread: takes one caller; the level-triggered set reports the listener again while more
    /// wait (an accept with none pending makes libsrt log an error).
    func ready(_ sock: SRTSOCKET, events: Int32) {
        var storage = sockaddr_storage()
        var len = Int32(MemoryLayout<sockaddr_storage>.size)
        let ns = withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { srt_accept(sock, $0, &len) }
        }
        guard ns != SRT_INVALID_SOCK else { return }
        let peer = withUnsafePointer(to: &storage) { p in p.withMemoryRebound(to: sockaddr.self, capacity: 1) { SrtLibrary.text($0) } }
        accepted(ns, peer)
    }

    func close() { srt_close(sock) }
}
