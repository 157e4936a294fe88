import CSrt
import MRPluginKit
import PluginABI
#if canImport(Glibc)
import Glibc
#endif

/// libsrt's process-wide state: started once (the library stays loaded, RTLD_NODELETE), its own log lines
/// at warning level and above forwarded to the plugin log of the instance running now.
enum SrtLibrary {
    private static let started: Bool = {
        guard srt_startup() >= 0 else { return false }
        srt_setloglevel(4)   // LOG_WARNING: libsrt's notes on broken handshakes and garbage reach the log
        srt_setloghandler(nil) { _, level, _, _, area, message in
            guard let message else { return }
            var text = String(cString: message)
            while text.last?.isNewline == true { text.removeLast() }
            SrtLibrary.forward(level <= 3 ? MR_LOG_ERROR : MR_LOG_WARNING, "libsrt\(area.map { " " + String(cString: $0) } ?? ""): \(text)")
        }
        srt_setlogflags(Int32(SRT_LOGF_DISABLE_TIME | SRT_LOGF_DISABLE_THREADNAME | SRT_LOGF_DISABLE_SEVERITY | SRT_LOGF_DISABLE_EOL))
        return true
    }()

    /// The host libsrt's log lines go to, and a budget so a flood (garbage on the port) cannot fill the log.
    private static let sink = LockedValue<(host: PluginHost?, windowStart: Int64, lines: Int)>((nil, 0, 0))

    static func start(_ host: PluginHost) -> Bool {
        sink.withLock { $0.host = host }
        return started
    }

    static func detach() { sink.withLock { $0.host = nil } }

    private static func forward(_ level: mr_log_level, _ text: String) {
        let host = sink.withLock { s -> PluginHost? in
            guard let h = s.host else { return nil }
            let now = h.table.now_us()
            if now - s.windowStart > 10_000_000 { (s.windowStart, s.lines) = (now, 0) }
            s.lines += 1
            return s.lines <= 20 ? h : nil
        }
        host?.log(level, text)
    }

    /// The text of libsrt's last error on this thread.
    static var lastError: String { srt_getlasterror_str().map { String(cString: $0) } ?? "unknown error" }
    static var lastErrorCode: Int32 { srt_getlasterror(nil) }

    static func set(_ sock: SRTSOCKET, _ option: SRT_SOCKOPT, _ value: Int32) -> Bool {
        var v = value
        return srt_setsockflag(sock, option, &v, Int32(MemoryLayout<Int32>.size)) == 0
    }

    static func set(_ sock: SRTSOCKET, _ option: SRT_SOCKOPT, _ value: String) -> Bool {
        value.withCString { srt_setsockflag(sock, option, $0, Int32(strlen($0))) == 0 }
    }

    /// The streamid a caller sent (at most 512 bytes), as bytes: it need not be UTF-8.
    static func streamId(_ sock: SRTSOCKET) -> [UInt8] {
        var buf = [CChar](repeating: 0, count: 600)
        var len = Int32(buf.count)
        guard srt_getsockflag(sock, SRTO_STREAMID, &buf, &len) == 0, len > 0 else { return [] }
        return buf.prefix(Int(min(len, Int32(buf.count)))).map { UInt8(bitPattern: $0) }
    }

    /// "ip:port" of a socket address.
    static func text(_ addr: UnsafePointer<sockaddr>?) -> String {
        guard let addr else { return "?" }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST)), serv = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let len = socklen_t(addr.pointee.sa_family == sa_family_t(AF_INET6) ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        guard getnameinfo(addr, len, &host, socklen_t(host.count), &serv, socklen_t(serv.count), NI_NUMERICHOST | NI_NUMERICSERV) == 0
        else { return "?" }
        func text(_ c: [CChar]) -> String { String(decoding: c.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return "\(text(host)):\(text(serv))"
    }

    static func peer(_ sock: SRTSOCKET) -> String { address(sock, srt_getpeername) }
    static func local(_ sock: SRTSOCKET) -> String { address(sock, srt_getsockname) }

    private static func address(_ sock: SRTSOCKET, _ get: (SRTSOCKET, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<Int32>?) -> Int32) -> String {
        var storage = sockaddr_storage()
        var len = Int32(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                get(sock, sa, &len) == 0 ? text(UnsafePointer(sa)) : "?"
            }
        }
    }

    /// The buffers of a socket that only sends (a player of ours). libsrt sizes a connection's receiver loss
    /// list by our flow window (SRTO_FC, 16 bytes a packet: 400 KB at the default 25600) and its receive
    /// buffer's index by SRTO_RCVBUF (8192 packets, 128 KB), both allocated and written at the handshake
    /// whatever arrives later; a player sends us control packets only, so libsrt's minimum of 32 packets is
    /// plenty (measured on an idle accepted socket: 762 kB -> 227 kB). FC first: libsrt clamps RCVBUF to
    /// it. Both are pre-bind options, so this runs in the listen callback. The send buffer bounds what waits
    /// for a slow player (libsrt's default, 8192 packets, is about a minute of a 2 Mbit/s stream); once
    /// full, sends fail with EASYNCSND and the player's reader pauses, then skips to a keyframe.
    static func sizeBuffersForSending(_ sock: SRTSOCKET, sendBufferBytes: Int) {
        _ = set(sock, SRTO_FC, minimumPackets)
        _ = set(sock, SRTO_RCVBUF, minimumPackets * (1500 - 28))
        _ = set(sock, SRTO_SNDBUF, Int32(clamping: sendBufferBytes))
    }

    /// libsrt's smallest flow window and receive buffer, in packets.
    private static let minimumPackets: Int32 = 32

    /// A socket in live mode, non-blocking both ways, with the settings every connection of the plugin shares.
    static func socket(_ settings: SrtSettings, latencyMs: Int? = nil) -> SRTSOCKET? {
        let s = srt_create_socket()
        guard s != SRT_INVALID_SOCK else { return nil }
        var ok = set(s, SRTO_TRANSTYPE, Int32(SRTT_LIVE.rawValue))
        ok = ok && set(s, SRTO_RCVSYN, 0) && set(s, SRTO_SNDSYN, 0)
        ok = ok && set(s, SRTO_LATENCY, Int32(clamping: latencyMs ?? settings.latencyMs))
        ok = ok && set(s, SRTO_PAYLOADSIZE, Int32(clamping: settings.payloadSize))
        ok = ok && set(s, SRTO_PEERIDLETIMEO, Int32(clamping: settings.peerIdleTimeoutMs))
        ok = ok && set(s, SRTO_CONNTIMEO, Int32(clamping: settings.connectTimeoutMs))
        guard ok else {
            srt_close(s)
            return nil
        }
        return s
    }
}
