#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
#if canImport(Glibc)
import Glibc
#endif
import Logging
import CSocketShims
import NIOCore
import NIOSSL
import PluginABI

/// The host function table (`mr_host_api`) handed to every plugin. Each entry is a C function that finds
/// the calling plugin's context from its `mr_host *` and forwards to the core.
// Free functions, not members: a C function pointer cannot capture the enum's metatype.
fileprivate func buf(_ p: OpaquePointer?) -> MediaBuffer? {
    guard let p else { return nil }
    return Unmanaged<MediaBuffer>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
}

fileprivate func newBuf(_ b: MediaBuffer) -> OpaquePointer { OpaquePointer(Unmanaged.passRetained(b).toOpaque()) }

fileprivate func buffers(_ list: UnsafePointer<OpaquePointer?>?, _ count: Int) -> [ByteBuffer]? {
    guard count >= 0, count <= 4096 else { return nil }
    guard count > 0 else { return [] }
    guard let list else { return nil }
    var out: [ByteBuffer] = []
    out.reserveCapacity(count)
    for i in 0..<count {
        guard let b = buf(list[i]) else { return nil }
        out.append(b.byteBuffer)
    }
    return out
}

fileprivate func str(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }

fileprivate func streamKey(_ k: UnsafePointer<mr_stream_key>?) -> StreamKey? {
    guard let k, let app = str(k.pointee.app), let stream = str(k.pointee.stream), !app.isEmpty, !stream.isEmpty,
          app.utf8.count < 512, stream.utf8.count < 512 else { return nil }
    return StreamKey(vhost: str(k.pointee.vhost), app: app, stream: stream)
}

fileprivate func json(_ value: Any) -> OpaquePointer? {
    newBuf(MediaBuffer(bytes: (JSONText.text(value, pretty: true) ?? "null").utf8))
}

fileprivate func level(_ l: Int32) -> Logger.Level {
    switch l {
    case 0: return .trace
    case 1: return .debug
    case 2: return .info
    case 3: return .notice
    case 4: return .warning
    case 5: return .error
    default: return .critical
    }
}

fileprivate func cFrames(_ frames: UnsafePointer<mr_frame>?, _ count: Int) -> [BusFrame]? {
    guard count >= 0, count <= 65536 else { return nil }
    guard count > 0 else { return [] }
    guard let frames else { return nil }
    var out: [BusFrame] = []
    out.reserveCapacity(count)
    for i in 0..<count {
        guard let f = BusFrame(c: frames[i]) else { return nil }
        out.append(f)
    }
    return out
}


enum HostAPITable {
    static let serverVersion = "0.1.0"
    nonisolated(unsafe) static let versionString = strdup(serverVersion)

    nonisolated(unsafe) static let table: UnsafeMutablePointer<mr_host_api> = {
        let p = UnsafeMutablePointer<mr_host_api>.allocate(capacity: 1)
        p.initialize(to: make())
        return p
    }()

    static func key(_ k: UnsafePointer<mr_stream_key>?) -> StreamKey? { streamKey(k) }

    // swiftlint:disable:next function_body_length
    private static func make() -> mr_host_api {
        var api = mr_host_api()
        api.size = UInt32(MemoryLayout<mr_host_api>.size)
        api.abi_major = UInt16(MR_ABI_MAJOR)
        api.abi_minor = UInt16(MR_ABI_MINOR)
        api.server_version = UnsafePointer(versionString)

        api.last_error = { LastError.get() }
        api.log = { h, lvl, msg in
            guard let ctx = HostContext.from(h), let msg else { return }
            ctx.logger.log(level: level(lvl), "\(String(cString: msg))")
        }

        // Config
        api.config_string = { h, k, def in
            guard let ctx = HostContext.from(h), let key = str(k) else { return def }
            guard let v = ctx.configValue(key) else { return def }
            switch v {
            case .string(let s): return ctx.intern(s)
            case .table, .list:
                LastError.set("config key \(key) is a \(v.typeName), not a string")
                return def
            default: return ctx.intern(v.text)
            }
        }
        api.config_int = { h, k, def in
            guard let ctx = HostContext.from(h), let key = str(k), let v = ctx.configValue(key) else { return def }
            if case .int(let i) = v { return i }
            LastError.set("config key \(key) is a \(v.typeName), not an integer")
            return def
        }
        api.config_bool = { h, k, def in
            guard let ctx = HostContext.from(h), let key = str(k), let v = ctx.configValue(key) else { return def }
            if case .bool(let b) = v { return b ? 1 : 0 }
            LastError.set("config key \(key) is a \(v.typeName), not a boolean")
            return def
        }
        api.config_double = { h, k, def in
            guard let ctx = HostContext.from(h), let key = str(k), let v = ctx.configValue(key) else { return def }
            if case .double(let d) = v { return d }
            if case .int(let i) = v { return Double(i) }
            LastError.set("config key \(key) is a \(v.typeName), not a float")
            return def
        }
        api.config_list_count = { h, k in
            guard let ctx = HostContext.from(h), let key = str(k), case .list(let l)? = ctx.configValue(key) else { return 0 }
            return l.count
        }
        api.config_list_item = { h, k, i in
            guard let ctx = HostContext.from(h), let key = str(k), case .list(let l)? = ctx.configValue(key),
                  i < l.count else { return nil }
            return ctx.intern(l[i].text)
        }
        api.config_has = { h, k in
            guard let ctx = HostContext.from(h), let key = str(k) else { return 0 }
            return ctx.configValue(key) == nil ? 0 : 1
        }

        // Buffers
        api.buf_alloc = { n in n > 1 << 30 ? nil : newBuf(MediaBuffer(capacity: n)) }
        api.buf_copy = { p, n in
            guard n <= 1 << 30, p != nil || n == 0 else { return nil }
            return newBuf(MediaBuffer(copying: UnsafeRawBufferPointer(start: p, count: n)))
        }
        api.buf_wrap = { p, n, freeFn, freeUser in
            guard let p else { return nil }
            let fn = UnsafeSendable(freeFn)
            let user = UnsafeSendable(freeUser)
            let data = UnsafeSendable(p)
            return newBuf(MediaBuffer(wrapping: p, count: n) { fn.value?(user.value, data.value) })
        }
        api.buf_retain = { b in if let b { _ = Unmanaged<MediaBuffer>.fromOpaque(UnsafeRawPointer(b)).retain() } }
        api.buf_release = { b in if let b { Unmanaged<MediaBuffer>.fromOpaque(UnsafeRawPointer(b)).release() } }
        api.buf_data = { b in buf(b).map { UnsafePointer($0.baseAddress.assumingMemoryBound(to: UInt8.self)) } }
        api.buf_mutable = { b in buf(b)?.baseAddress.assumingMemoryBound(to: UInt8.self) }
        api.buf_len = { b in buf(b)?.count ?? 0 }
        api.buf_slice = { b, off, len in
            guard let parent = buf(b), let s = parent.slice(offset: off, length: len) else { return nil }
            return newBuf(s)
        }

        // Loops, tasks, timers
        api.loop_count = { h in Int32(HostContext.from(h)?.core.pollers.count ?? 0) }
        api.loop_current = { h in Int32(HostContext.from(h)?.core.pollers.currentIndex() ?? -1) }
        api.run_on_loop = { h, loopIndex, fn, user in
            guard let ctx = HostContext.from(h), let fn else { return LastError.fail(MR_ERR_INVALID, "no function") }
            let pollers = ctx.core.pollers
            let index = loopIndex >= 0 && Int(loopIndex) < pollers.count ? Int(loopIndex) : pollers.nextIndex()
            let u = UnsafeSendable(user)
            let f = UnsafeSendable(fn)
            pollers.loop(index).execute { [weak ctx] in
                guard ctx?.alive.load(ordering: .relaxed) == true else { return }
                f.value(u.value)
            }
            return Int32(MR_OK)
        }
        api.run_on_worker = { h, fn, done, doneLoop, user in
            guard let ctx = HostContext.from(h), let fn else { return LastError.fail(MR_ERR_INVALID, "no function") }
            let u = UnsafeSendable(user)
            let f = UnsafeSendable(fn)
            let d = UnsafeSendable(done)
            let loop = ctx.core.pollers.loop(ctx.core.pollers.resolve(doneLoop))
            ctx.workerJobs.wrappingIncrement(ordering: .relaxed)
            ctx.core.workers.runIfActive(eventLoop: loop) { [weak ctx] in
                // A job accepted before the plugin stopped still runs (its code stays loaded until destroy,
                // which waits for it): a plugin flushing files in stop loses nothing. Only `done`, which
                // would run on a loop, is skipped once the plugin is stopped.
                guard ctx != nil else { return }
                f.value(u.value)
            }.whenComplete { [weak ctx] _ in
                defer { ctx?.workerJobs.wrappingDecrement(ordering: .relaxed) }
                guard ctx?.alive.load(ordering: .relaxed) == true, let done = d.value else { return }
                done(u.value)
            }
            return Int32(MR_OK)
        }
        api.timer_start = { h, loopIndex, delay, repeatMs, fn, user in
            guard let ctx = HostContext.from(h), let fn else { LastError.set("no function"); return nil }
            let pollers = ctx.core.pollers
            let index = loopIndex >= 0 && Int(loopIndex) < pollers.count ? Int(loopIndex) : (pollers.currentIndex() ?? 0)
            let t = PluginTimer(loop: pollers.loop(index), fn: fn, user: user, owner: ctx)
            t.start(delayMs: delay, repeatMs: repeatMs)
            return t.handle
        }
        api.timer_cancel = { t in PluginTimer.from(t)?.cancel() }
        api.now_us = { HostClock.nowUs() }

        // TCP
        api.tcp_listen = { h, opts, cbs, user, out in
            guard let ctx = HostContext.from(h), let opts, let out else { return LastError.fail(MR_ERR_INVALID, "missing argument") }
            guard let callbacks = ConnCallbacks(cbs) else {
                return LastError.fail(MR_ERR_INVALID, "on_open, on_data and on_close are required")
            }
            guard ctx.core.pollers.currentIndex() == nil else {
                return LastError.fail(MR_ERR_THREAD, "tcp_listen blocks: call it from start/reconfigure or a worker")
            }
            let o: mr_listen_options = ABICopy.read(opts)
            let host = str(o.bind_address) ?? "0.0.0.0"
            var tls: NIOSSLContext?
            if o.tls_cert_path != nil || o.tls_key_path != nil {
                guard let cert = str(o.tls_cert_path), let key = str(o.tls_key_path) else {
                    return LastError.fail(MR_ERR_INVALID, "TLS needs both a certificate and a key")
                }
                do {
                    tls = try TlsContexts.server(certPath: cert, keyPath: key)
                } catch {
                    return LastError.fail(MR_ERR_INVALID, "cannot load TLS certificate \(cert) / key \(key): \(error)")
                }
            }
            do {
                let l = try TcpListener.bind(owner: ctx, host: host, port: Int(o.port), backlog: o.backlog > 0 ? Int(o.backlog) : TcpListener.defaultBacklog,
                                             reusePort: o.reuse_port != 0, tls: tls, callbacks: callbacks, user: user)
                ctx.logger.info("listening on \(tls == nil ? "tcp" : "tls") \(host):\(l.port)")
                out.pointee = l.handle
                return Int32(MR_OK)
            } catch {
                return LastError.fail(MR_ERR_BUSY, "cannot listen on tcp \(host):\(o.port): \(error)")
            }
        }
        api.listener_port = { l in TcpListener.from(l)?.port ?? 0 }
        api.listener_close = { l in TcpListener.from(l)?.close() }
        api.tcp_connect = { h, opts, cbs, user in
            guard let ctx = HostContext.from(h), let opts else { return LastError.fail(MR_ERR_INVALID, "missing argument") }
            guard let callbacks = ConnCallbacks(cbs) else {
                return LastError.fail(MR_ERR_INVALID, "on_open, on_data and on_close are required")
            }
            let o: mr_connect_options = ABICopy.read(opts)
            guard let host = str(o.host), !host.isEmpty else { return LastError.fail(MR_ERR_INVALID, "no host") }
            var tls: (context: NIOSSLContext, serverName: String?)?
            if o.tls != 0 {
                do {
                    tls = (try TlsContexts.client(verify: o.tls_verify != 0), str(o.tls_server_name) ?? host)
                } catch {
                    return LastError.fail(MR_ERR, "cannot create a TLS client context: \(error)")
                }
            }
            var local: SocketAddress?
            if o.local_address != nil || o.local_port != 0 {
                // Literals only: tcp_connect may be called on a loop, where a name lookup would block it.
                let wildcard = host.contains(":") ? "::" : "0.0.0.0"
                guard let address = try? SocketAddress(ipAddress: str(o.local_address) ?? wildcard, port: Int(o.local_port)) else {
                    return LastError.fail(MR_ERR_INVALID, "local_address must be an IP address")
                }
                local = address
            }
            let loop = ctx.core.pollers.resolve(o.loop)
            TcpConnector.connect(owner: ctx, host: host, port: Int(o.port), timeoutMs: o.timeout_ms > 0 ? Int(o.timeout_ms) : 10000,
                                 loopIndex: loop, local: local, tls: tls, callbacks: callbacks, user: user)
            return Int32(MR_OK)
        }
        api.conn_set_user = { c, user in TcpConnection.from(c)?.user = user }
        api.conn_send = { c, list, count in
            guard let conn = TcpConnection.from(c) else { return LastError.fail(MR_ERR_INVALID, "no connection") }
            guard conn.channel.eventLoop.inEventLoop else { return LastError.fail(MR_ERR_THREAD, "conn_send off the connection's loop") }
            guard count >= 0, count <= 4096, count == 0 || list != nil else { return LastError.fail(MR_ERR_INVALID, "bad buffer list") }
            // The fan-out hot path: no array, one write per buffer, one flush.
            return conn.sendPaced(count: count) { i in list.flatMap { buf($0[i]) }?.byteBuffer }
        }
        api.conn_send_vec = { c, vec, count in
            guard let conn = TcpConnection.from(c) else { return LastError.fail(MR_ERR_INVALID, "no connection") }
            guard conn.channel.eventLoop.inEventLoop else { return LastError.fail(MR_ERR_THREAD, "conn_send_vec off the connection's loop") }
            guard count >= 0, count <= 4096 else { return LastError.fail(MR_ERR_INVALID, "bad vector length") }
            guard count > 0 else { return Int32(MR_OK) }
            guard let vec else { return LastError.fail(MR_ERR_INVALID, "no vector") }
            // Check every piece before writing any, so a bad vector sends nothing.
            for i in 0..<count {
                let v = vec[i]
                if let b = buf(v.buf) {
                    guard v.offset <= b.count, v.len <= b.count - v.offset else { return LastError.fail(MR_ERR_INVALID, "range \(i) is outside its buffer") }
                } else {
                    guard v.bytes != nil || v.len == 0, v.len <= 1 << 20 else { return LastError.fail(MR_ERR_INVALID, "bad inline bytes at \(i)") }
                }
            }
            conn.noteSend()
            // Straight to the socket when nothing waits before it: the iovecs point into the shared buffers
            // and the plugin's own inline bytes, which it holds for the call.
            var sentDirectly: Int?
            if let fd = conn.directDescriptor(count: count) {
                let iov = mr_shim_iov()
                var total = 0
                for i in 0..<count {
                    let v = vec[i]
                    let p: UnsafeRawPointer? = if let b = buf(v.buf) { UnsafeRawPointer(b.baseAddress) + v.offset } else { v.bytes }
                    iov[i] = iovec(iov_base: UnsafeMutableRawPointer(mutating: p), iov_len: v.len)
                    total += v.len
                }
                switch TcpDirectWrite.send(descriptor: fd, count: count) {
                case .sent(let n) where n == total:
                    conn.dropScratch()
                    return Int32(MR_OK)
                case .sent(let n): sentDirectly = n
                case .failed(let e):
                    conn.failDirect(e)
                    return Int32(MR_OK)
                }
            }
            // All inline runs go into the connection's scratch buffer, written first and then sliced: no
            // allocation per call once the previous call's slices have left NIO's queue.
            var inlineTotal = 0
            for i in 0..<count where vec[i].buf == nil { inlineTotal += vec[i].len }
            let inline = conn.inlineScratch(inlineTotal) { scratch in
                for i in 0..<count where vec[i].buf == nil {
                    scratch.writeBytes(UnsafeRawBufferPointer(start: vec[i].bytes, count: vec[i].len))
                }
            }
            // Pieces are taken in order, so the inline runs are consumed front to back.
            var inlineAt = inline.readerIndex
            let piece = { (i: Int) -> ByteBuffer? in
                let v = vec[i]
                if let b = buf(v.buf) {
                    let whole = b.byteBuffer
                    return whole.getSlice(at: whole.readerIndex + v.offset, length: v.len)
                }
                defer { inlineAt += v.len }
                return inline.getSlice(at: inlineAt, length: v.len)
            }
            if let sent = sentDirectly {
                // The socket took part (or none) of it: the rest goes to NIO, inline runs copied above.
                let rest = (0..<count).compactMap(piece)
                conn.handOver(count: rest.count, after: sent) { rest[$0] }
                return Int32(MR_OK)
            }
            return conn.sendPaced(count: count, piece)
        }
        api.conn_send_bytes = { c, p, n in
            guard let conn = TcpConnection.from(c) else { return LastError.fail(MR_ERR_INVALID, "no connection") }
            guard conn.channel.eventLoop.inEventLoop else { return LastError.fail(MR_ERR_THREAD, "conn_send_bytes off the connection's loop") }
            guard p != nil || n == 0 else { return LastError.fail(MR_ERR_INVALID, "no data") }
            var b = conn.channel.allocator.buffer(capacity: n)
            b.writeBytes(UnsafeRawBufferPointer(start: p, count: n))
            return conn.sendPaced(count: 1) { _ in b }
        }
        api.conn_cork = { c, on in TcpConnection.from(c)?.setCorked(on != 0) }
        api.conn_set_nodelay = { c, on in
            guard let conn = TcpConnection.from(c) else { return }
            conn.nodelayChosen = true
            conn.channel.setOption(.tcpOption(.tcp_nodelay), value: on != 0 ? 1 : 0).whenFailure { _ in }
        }
        api.conn_writable = { c in
            guard let conn = TcpConnection.from(c) else { return 0 }
            return conn.channel.isWritable && !conn.heldWritability ? 1 : 0
        }
        api.conn_pending_bytes = { c in
            guard let conn = TcpConnection.from(c), conn.channel.eventLoop.inEventLoop else { return 0 }
            return ((try? conn.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? nil).map { Int($0) } ?? 0
        }
        api.conn_set_reading = { c, on in
            guard let conn = TcpConnection.from(c) else { return }
            conn.channel.setOption(.autoRead, value: on != 0).whenFailure { _ in }
            if on != 0 { conn.channel.read() }
        }
        api.conn_close = { c, abort in TcpConnection.from(c)?.close(abort: abort != 0) }
        api.conn_loop = { c in Int32(TcpConnection.from(c)?.loopIndex ?? -1) }
        api.conn_peer = { c in TcpConnection.from(c).map { UnsafePointer($0.peerText.pointer) } }
        api.conn_local = { c in TcpConnection.from(c).map { UnsafePointer($0.localText.pointer) } }
        api.conn_id = { c in TcpConnection.from(c)?.id ?? 0 }

        // UDP
        api.udp_bind = { h, opts, cbs, user, out in
            guard let ctx = HostContext.from(h), let opts, let out, let cbs else { return LastError.fail(MR_ERR_INVALID, "missing argument") }
            let callbacks: mr_udp_callbacks = ABICopy.read(cbs)
            guard callbacks.on_datagram != nil else { return LastError.fail(MR_ERR_INVALID, "on_datagram is required") }
            guard ctx.core.pollers.currentIndex() == nil else {
                return LastError.fail(MR_ERR_THREAD, "udp_bind blocks: call it from start/reconfigure or a worker")
            }
            let o: mr_udp_options = ABICopy.read(opts)
            let host = str(o.bind_address) ?? "0.0.0.0"
            do {
                let settings = UdpSocketFactory.Settings(host: host, port: Int(o.port), recvBuffer: Int(o.recv_buffer),
                                                         group: str(o.multicast_group), reusePort: o.reuse_port != 0,
                                                         readIntervalMs: UdpSocketFactory.Settings.readInterval(o, pluginMinor: ctx.descriptor.abiMinor))
                let s = try UdpSocketFactory.bind(owner: ctx, settings: settings, loopIndex: ctx.core.pollers.resolve(o.loop),
                                                  cbs: callbacks, user: user)
                out.pointee = s.handle
                return Int32(MR_OK)
            } catch {
                return LastError.fail(MR_ERR_BUSY, "cannot bind udp \(host):\(o.port): \(error)")
            }
        }
        api.udp_send = { s, to, len, list, count in
            guard let sock = UdpSocket.from(s), let to else { return LastError.fail(MR_ERR_INVALID, "missing argument") }
            guard sock.channel.eventLoop.inEventLoop else { return LastError.fail(MR_ERR_THREAD, "udp_send off the socket's loop") }
            guard let bufs = buffers(list, count) else { return LastError.fail(MR_ERR_INVALID, "bad buffer list") }
            guard let address = UdpBatch.address(to, len) else { return LastError.fail(MR_ERR_INVALID, "unsupported address family") }
            return sock.send(to: address, bufs)
        }
        api.udp_port = { s in UdpSocket.from(s)?.port ?? 0 }
        api.udp_loop = { s in Int32(UdpSocket.from(s)?.loopIndex ?? -1) }
        api.udp_close = { s in UdpSocket.from(s)?.close() }

        // Bus: publishing
        api.source_open = { h, k, opts, out in
            guard let ctx = HostContext.from(h), let out else { return LastError.fail(MR_ERR_INVALID, "missing argument") }
            guard let key = streamKey(k) else { return LastError.fail(MR_ERR_INVALID, "a stream key needs app and stream") }
            var o = mr_source_options()
            o.loop = -1
            if let opts { o = ABICopy.read(opts) }
            let pollers = ctx.core.pollers
            do {
                let p = try ctx.core.bus.openSource(key: key, owner: ctx, protocolName: str(o.protocol) ?? ctx.name,
                                                    peer: str(o.peer) ?? "", takeover: o.takeover != 0,
                                                    loopIndex: pollers.resolve(o.loop))
                ctx.track(p)
                out.pointee = p.handle
                return Int32(MR_OK)
            } catch {
                return LastError.fail(MR_ERR_BUSY, "\(error)")
            }
        }
        api.source_add_track = { s, info in
            guard let p = Publisher.from(s), let info, let track = TrackInfo(c: info) else {
                return LastError.fail(MR_ERR_INVALID, "bad track")
            }
            guard !p.ready else { return LastError.fail(MR_ERR_INVALID, "tracks are added before source_ready") }
            guard p.tracks.count < 16 else { return LastError.fail(MR_ERR_INVALID, "at most 16 tracks") }
            p.tracks.append(track)
            return Int32(p.tracks.count - 1)
        }
        api.source_update_track = { s, index, info in
            guard let p = Publisher.from(s), let info, let track = TrackInfo(c: info), Int(index) < p.tracks.count else {
                return LastError.fail(MR_ERR_INVALID, "bad track")
            }
            p.tracks[Int(index)] = track
            if p.ready { p.onHome { p.source.updateTrack(Int(index), track) } }
            return Int32(MR_OK)
        }
        api.source_ready = { s in
            guard let p = Publisher.from(s), !p.closed else { return LastError.fail(MR_ERR_INVALID, "no source") }
            guard !p.ready else { return Int32(MR_OK) }
            guard !p.tracks.isEmpty else { return LastError.fail(MR_ERR_INVALID, "a source needs at least one track") }
            p.ready = true
            p.source.bus.publisherReady(p)
            return Int32(MR_OK)
        }
        api.source_write = { s, frames, count in
            guard let p = Publisher.from(s), !p.closed else { return LastError.fail(MR_ERR_INVALID, "no source") }
            if p.kicked.load(ordering: .relaxed) { return LastError.fail(MR_ERR_CLOSED, "another publisher took over this stream") }
            guard p.ready else { return LastError.fail(MR_ERR_INVALID, "source_write before source_ready") }
            guard let list = cFrames(frames, count) else { return LastError.fail(MR_ERR_INVALID, "bad frame list") }
            for f in list where Int(f.track) >= p.tracks.count {
                return LastError.fail(MR_ERR_INVALID, "frame for unknown track \(f.track)")
            }
            let source = p.source
            p.onHome { source.write(list) }
            return Int32(MR_OK)
        }
        api.source_close = { s in
            guard let p = Publisher.from(s), !p.closed else { return }
            p.closed = true
            p.owner?.forget(p)
            p.source.bus.publisherClosed(p)
        }
        api.source_reader_count = { s in Int64(Publisher.from(s)?.source.totalReaders.load(ordering: .relaxed) ?? 0) }

        // Bus: reading
        api.reader_open = { h, k, opts, cbs, user, out in
            openReader(h, k, nil, nil, nil, opts, cbs, user, out)
        }
        api.reader_open_derived = { h, k, format, muxer, muxerUser, opts, cbs, user, out in
            guard let format, let name = str(format), !name.isEmpty else { return LastError.fail(MR_ERR_INVALID, "no format") }
            if let owner = HostContext.from(h)?.name, !DerivedRingName.allowed(name, plugin: owner) {
                return LastError.fail(MR_ERR_INVALID, DerivedRingName.refusal(name, plugin: owner))
            }
            guard let spec = MuxerSpec(muxer, user: muxerUser, owner: HostContext.from(h)) else {
                return LastError.fail(MR_ERR_INVALID, "muxer needs create, on_frames and destroy")
            }
            return openReader(h, k, name, spec, nil, opts, cbs, user, out)
        }
        api.reader_set_paused = { r, paused in
            guard let reader = BusReader.from(r), !reader.closed else { return }
            let wasPaused = reader.paused
            reader.paused = paused != 0
            if wasPaused, !reader.paused, let mirror = reader.mirror {
                // Deliver from the loop, not from inside the caller's callback.
                reader.loop.execute { if !reader.paused, !reader.closed { mirror.deliver(to: reader) } }
            }
        }
        api.reader_close = { r in
            guard let reader = BusReader.from(r) else { return }
            reader.owner.map { ctx in ctx.core.bus.closeReader(reader) }
        }
        api.reader_track_count = { r in UInt32(BusReader.from(r)?.tracks.count ?? 0) }
        api.reader_track_info = { r, i, out in
            guard let reader = BusReader.from(r), let out, Int(i) < reader.tracks.count else {
                return LastError.fail(MR_ERR_NOT_FOUND, "no such track")
            }
            reader.tracks[Int(i)].fill(out)
            return Int32(MR_OK)
        }
        api.reader_skipped = { r in BusReader.from(r)?.skippedCount.load(ordering: .relaxed) ?? 0 }

        // Derived rings
        api.ring_track_count = { r in UInt32(DerivedRing.from(r)?.tracks.count ?? 0) }
        api.ring_track_info = { r, i, out in
            guard let ring = DerivedRing.from(r), let out, Int(i) < ring.tracks.count else {
                return LastError.fail(MR_ERR_NOT_FOUND, "no such track")
            }
            ring.tracks[Int(i)].fill(out)
            return Int32(MR_OK)
        }
        api.ring_write = { r, packets, count in
            guard let ring = DerivedRing.from(r) else { return LastError.fail(MR_ERR_INVALID, "no ring") }
            guard ring.source.home.inEventLoop else { return LastError.fail(MR_ERR_THREAD, "ring_write off the source's loop") }
            guard let list = cFrames(packets, count) else { return LastError.fail(MR_ERR_INVALID, "bad packet list") }
            ring.write(list)
            return Int32(MR_OK)
        }
        api.ring_set_header = { r, b in
            guard let ring = DerivedRing.from(r) else { return LastError.fail(MR_ERR_INVALID, "no ring") }
            ring.hub.setHeader(buf(b))
            return Int32(MR_OK)
        }

        // Events and auth
        api.event_subscribe = { h, mask, fn, user in
            guard let ctx = HostContext.from(h), let fn else { return Int64(LastError.fail(MR_ERR_INVALID, "no function")) }
            let f = UnsafeSendable(fn)
            let u = UnsafeSendable(user)
            let id = ctx.core.bus.events.subscribe(mask: mask, owner: ctx) { [weak ctx] e in
                guard ctx?.alive.load(ordering: .relaxed) == true else { return }
                EventMarshal.withCEvent(e) { f.value(u.value, $0) }
            }
            ctx.track(subscription: id)
            return id
        }
        api.event_unsubscribe = { h, id in
            guard let ctx = HostContext.from(h) else { return }
            ctx.core.bus.events.unsubscribe(id)
            ctx.forget(subscription: id)
        }
        api.event_emit = { h, e in
            guard let ctx = HostContext.from(h), let e else { return LastError.fail(MR_ERR_INVALID, "no event") }
            ctx.core.bus.events.emit(EventMarshal.fromC(e, defaultProtocol: ctx.name))
            return Int32(MR_OK)
        }
        api.auth_ask = { h, req, loopIndex, done, user in
            guard let ctx = HostContext.from(h), let req, let done else { return LastError.fail(MR_ERR_INVALID, "missing argument") }
            let loop = ctx.core.pollers.loop(ctx.core.pollers.resolve(loopIndex))
            let local: mr_auth_request = ABICopy.read(req)
            let what = "\(local.action == 0 ? "publish" : "play") \(withUnsafePointer(to: local.key) { streamKey($0) }?.description ?? "?")"
            let d = UnsafeSendable(done)
            let u = UnsafeSendable(user)
            ctx.core.auth.ask(req, loop: loop, description: what) { [weak ctx] allowed, reason in
                guard ctx?.alive.load(ordering: .relaxed) == true else { return }
                reason.withCString { d.value(u.value, allowed ? 1 : 0, $0) }
            }
            return Int32(MR_OK)
        }
        api.auth_set_handler = { h, fn, user in
            guard let ctx = HostContext.from(h), let fn else { return LastError.fail(MR_ERR_INVALID, "no handler") }
            ctx.core.auth.setHandler(fn, user: user, owner: ctx)
            return Int32(MR_OK)
        }
        api.auth_answer = { t, allowed, reason in
            guard let t else { return }
            let ticket = Unmanaged<AuthTicket>.fromOpaque(UnsafeRawPointer(t)).takeRetainedValue()
            ticket.resolve((allowed != 0, str(reason) ?? (allowed != 0 ? "allowed" : "denied")))
        }

        // Stats
        api.stat_add = { h, n, d in if let ctx = HostContext.from(h), let name = str(n) { ctx.statAdd(name, d) } }
        api.stat_set = { h, n, v in if let ctx = HostContext.from(h), let name = str(n) { ctx.statSet(name, v) } }

        // HTTP routes
        api.http_route_add = { h, method, prefix, handler, user in
            guard let ctx = HostContext.from(h), let prefix = str(prefix), prefix.hasPrefix("/"), let handler else {
                return LastError.fail(MR_ERR_INVALID, "a route needs a prefix starting with / and a handler")
            }
            return ctx.core.router.add(.init(method: str(method)?.uppercased(), prefix: prefix, handler: handler, user: user, owner: ctx))
        }
        api.http_server_register = { h, ops in
            guard let ctx = HostContext.from(h), let ops else { return LastError.fail(MR_ERR_INVALID, "no ops") }
            let local: mr_http_server_ops = ABICopy.read(ops)
            guard local.respond != nil, local.begin != nil, local.write != nil, local.end != nil else {
                return LastError.fail(MR_ERR_INVALID, "server ops need respond, begin, write and end")
            }
            return ctx.core.router.setServer(local, owner: ctx)
        }
        api.http_exchange_new = { h, serverCtx in
            guard let ctx = HostContext.from(h) else { return nil }
            return OpaquePointer(Unmanaged.passRetained(HttpExchange(serverContext: serverCtx, router: ctx.core.router)).toOpaque())
        }
        api.http_exchange_context = { ex in HttpExchange.from(ex)?.serverContext }
        api.http_dispatch = { h, req, ex in
            guard let ctx = HostContext.from(h), let req, let ex else { return LastError.fail(MR_ERR_INVALID, "missing argument") }
            let local: mr_http_request = ABICopy.read(req)
            guard let method = str(local.method), let path = str(local.path),
                  let route = ctx.core.router.match(method: method.uppercased(), path: path) else {
                return LastError.fail(MR_ERR_NOT_FOUND, "no route")
            }
            return route.handler(route.user, req, ex)
        }
        api.http_exchange_free = { ex in
            guard let ex else { return }
            let exchange = Unmanaged<HttpExchange>.fromOpaque(UnsafeRawPointer(ex)).takeRetainedValue()
            exchange.finished = true
            let hooks = exchange.onClose
            exchange.onClose.removeAll()
            for (fn, user) in hooks { fn(user) }
        }
        api.http_respond = { ex, status, headers, count, body in
            guard let e = HttpExchange.from(ex), !e.finished, let ops = e.router.serverOps, let fn = ops.respond else {
                return LastError.fail(MR_ERR_CLOSED, "exchange is finished or no HTTP server")
            }
            return fn(ops.user, ex, status, headers, count, body)
        }
        api.http_begin = { ex, status, headers, count in
            guard let e = HttpExchange.from(ex), !e.finished, let ops = e.router.serverOps, let fn = ops.begin else {
                return LastError.fail(MR_ERR_CLOSED, "exchange is finished or no HTTP server")
            }
            return fn(ops.user, ex, status, headers, count)
        }
        api.http_write = { ex, bufs, count in
            guard let e = HttpExchange.from(ex), !e.finished, let ops = e.router.serverOps, let fn = ops.write else {
                return LastError.fail(MR_ERR_CLOSED, "exchange is finished or no HTTP server")
            }
            return fn(ops.user, ex, bufs, count)
        }
        api.http_end = { ex in
            guard let e = HttpExchange.from(ex), !e.finished, let ops = e.router.serverOps, let fn = ops.end else {
                return LastError.fail(MR_ERR_CLOSED, "exchange is finished or no HTTP server")
            }
            return fn(ops.user, ex)
        }
        api.http_on_close = { ex, fn, user in
            guard let e = HttpExchange.from(ex), let fn else { return }
            e.onClose.append((fn, user))
        }

        // Introspection
        api.describe_plugins = { h in
            guard let ctx = HostContext.from(h) else { return nil }
            return json(ctx.core.describePlugins())
        }
        api.describe_streams = { h in
            guard let ctx = HostContext.from(h) else { return nil }
            return json(ctx.core.bus.describeStreams())
        }
        api.describe_readers = { h, k in
            guard let ctx = HostContext.from(h) else { return nil }
            guard let key = streamKey(k) else { return json(["error": "a stream key needs app and stream"]) }
            guard let readers = ctx.core.bus.describeReaders(key) else { return json(["error": "stream \(key) not found"]) }
            return json(readers)
        }

        api.request_reload = { h in
            guard let ctx = HostContext.from(h) else { return LastError.fail(MR_ERR_INVALID, "no host") }
            ctx.core.requestReload()
            return Int32(MR_OK)
        }
        // Commands (ABI 1.2)
        api.command_register = { h, n, fn, user in
            guard let ctx = HostContext.from(h), let name = str(n), let fn else {
                return LastError.fail(MR_ERR_INVALID, "a command needs a name and a handler")
            }
            return ctx.core.commands.register(name, .init(fn: fn, user: user, owner: ctx))
        }
        api.command_call = { h, n, a, loopIndex, done, user in
            guard let ctx = HostContext.from(h), let name = str(n), let done else {
                return LastError.fail(MR_ERR_INVALID, "missing argument")
            }
            let loop = ctx.core.pollers.loop(ctx.core.pollers.resolve(loopIndex))
            let d = UnsafeSendable(done)
            let u = UnsafeSendable(user)
            let found = ctx.core.commands.call(name, args: str(a) ?? "{}", loop: loop) { [weak ctx] status, reply in
                guard ctx?.alive.load(ordering: .relaxed) == true else { return }
                reply.withCString { d.value(u.value, status, $0) }
            }
            return found ? Int32(MR_OK) : LastError.fail(MR_ERR_NOT_FOUND, "no plugin offers command '\(name)'")
        }
        api.command_answer = { t, status, reply in
            guard let t else { return }
            let ticket = Unmanaged<CommandTicket>.fromOpaque(UnsafeRawPointer(t)).takeRetainedValue()
            var text = str(reply) ?? ""
            if text.isEmpty { text = status == MR_OK ? "{}" : #"{"error":"command failed"}"# }
            ticket.resolve((status, text))
        }
        installABI13(&api)
        installABI14(&api)
        return api
    }

}

// swiftlint:disable:next function_parameter_count
fileprivate func openReader(_ h: OpaquePointer?, _ k: UnsafePointer<mr_stream_key>?, _ format: String?,
                               _ muxer: MuxerSpec?, _ unused: Void?, _ opts: UnsafePointer<mr_reader_options>?,
                               _ cbs: UnsafePointer<mr_reader_callbacks>?, _ user: UnsafeMutableRawPointer?,
                               _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guard let ctx = HostContext.from(h), let out else { return LastError.fail(MR_ERR_INVALID, "missing argument") }
    guard let key = streamKey(k) else { return LastError.fail(MR_ERR_INVALID, "a stream key needs app and stream") }
    guard let callbacks = ReaderCallbacks(cbs, user: user) else {
        return LastError.fail(MR_ERR_INVALID, "on_frames and on_event are required")
    }
    var o = mr_reader_options()
    o.loop = -1
    o.wait_ms = -1
    if let opts { o = ABICopy.read(opts) }
    let bus = ctx.core.bus
    let settings = bus.settings
    let loopIndex = ctx.core.pollers.resolve(o.loop)
    let reader = BusReader(id: ctx.core.ids.next(), key: key, format: format, loopIndex: loopIndex,
                           loop: ctx.core.pollers.loop(loopIndex), protocolName: str(o.protocol) ?? ctx.name,
                           peer: str(o.peer) ?? "", maxLag: o.max_lag > 0 ? Int(o.max_lag) : settings.readerMaxLag,
                           callbacks: callbacks, owner: ctx)
    out.pointee = reader.handle
    bus.openReader(reader, muxer: muxer, waitMs: o.wait_ms >= 0 ? Int(o.wait_ms) : settings.playWaitMs)
    return Int32(MR_OK)
}
