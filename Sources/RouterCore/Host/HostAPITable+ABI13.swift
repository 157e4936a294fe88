import NIOCore
import PluginABI

/// The host functions ABI 1.3 appended: per-loop UDP groups, batched and corked UDP sends, clock references.
extension HostAPITable {
    static func installABI13(_ api: inout mr_host_api) {
        api.plugin_name = { h in
            guard let ctx = HostContext.from(h) else { return nil }
            return UnsafePointer(ctx.cName)
        }
        api.udp_bind_group = { h, opts, cbs, user, out, capacity in
            guard let ctx = HostContext.from(h), let opts, let out, let cbs else { return LastError.fail(MR_ERR_INVALID, "missing argument") }
            let callbacks: mr_udp_callbacks = ABICopy.read(cbs)
            guard callbacks.on_datagram != nil else { return LastError.fail(MR_ERR_INVALID, "on_datagram is required") }
            let loops = ctx.core.pollers.count
            guard capacity >= loops else { return LastError.fail(MR_ERR_INVALID, "out has room for \(capacity) sockets, the group has \(loops)") }
            guard ctx.core.pollers.currentIndex() == nil else {
                return LastError.fail(MR_ERR_THREAD, "udp_bind_group blocks: call it from start/reconfigure or a worker")
            }
            let o: mr_udp_options = ABICopy.read(opts)
            guard o.multicast_group == nil else {
                return LastError.fail(MR_ERR_INVALID, "multicast reaches every socket of a group: use udp_bind")
            }
            let settings = UdpSocketFactory.Settings(host: o.bind_address.map { String(cString: $0) } ?? "0.0.0.0", port: Int(o.port),
                                                     recvBuffer: Int(o.recv_buffer), group: nil, reusePort: true,
                                                     readIntervalMs: UdpSocketFactory.Settings.readInterval(o, pluginMinor: ctx.descriptor.abiMinor))
            do {
                let sockets = try UdpSocketFactory.bindGroup(owner: ctx, settings: settings, cbs: callbacks, user: user)
                for (i, s) in sockets.enumerated() { out[i] = s.handle }
                ctx.logger.info("udp group on \(settings.host):\(sockets.first?.port ?? 0), one socket per loop (\(loops))")
                return Int32(MR_OK)
            } catch {
                return LastError.fail(MR_ERR_BUSY, "cannot bind a udp group on \(settings.host):\(o.port): \(error)")
            }
        }
        api.udp_send_batch = { s, list, count, flags in
            guard let sock = UdpSocket.from(s) else { return LastError.fail(MR_ERR_INVALID, "no socket") }
            guard sock.channel.eventLoop.inEventLoop else { return LastError.fail(MR_ERR_THREAD, "udp_send_batch off the socket's loop") }
            guard !sock.closed else { return LastError.fail(MR_ERR_CLOSED, "socket is closed") }
            guard count <= UdpBatch.maxDatagrams else { return LastError.fail(MR_ERR_INVALID, "at most \(UdpBatch.maxDatagrams) datagrams") }
            guard count > 0 else { return Int32(MR_OK) }
            guard let list else { return LastError.fail(MR_ERR_INVALID, "no datagrams") }
            let prepared = UdpBatch.prepare(UnsafeBufferPointer(start: list, count: count), allocator: sock.channel.allocator) { p in
                p.map { Unmanaged<MediaBuffer>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
            }
            switch prepared {
            case .failure(let e): return LastError.fail(MR_ERR_INVALID, e.message)
            case .success(let datagrams):
                return UdpBatch.send(datagrams, on: sock, segmentation: flags & UInt32(MR_UDP_SEND_NO_GSO) == 0)
            }
        }
        api.udp_cork = { s, on in
            guard let sock = UdpSocket.from(s), sock.channel.eventLoop.inEventLoop else { return }
            sock.setCorked(on != 0)
        }
        api.udp_flush = { s in
            guard let sock = UdpSocket.from(s) else { return LastError.fail(MR_ERR_INVALID, "no socket") }
            guard sock.channel.eventLoop.inEventLoop else { return LastError.fail(MR_ERR_THREAD, "udp_flush off the socket's loop") }
            guard !sock.closed else { return LastError.fail(MR_ERR_CLOSED, "socket is closed") }
            sock.flush()
            return Int32(MR_OK)
        }
        api.source_set_clock_ref = { s, track, ref in
            guard let p = Publisher.from(s), !p.closed else { return LastError.fail(MR_ERR_INVALID, "no source") }
            guard Int(track) < p.tracks.count else { return LastError.fail(MR_ERR_INVALID, "unknown track \(track)") }
            guard let ref else {
                p.source.clockRefs.clear(track: Int(track))
                return Int32(MR_OK)
            }
            let local: mr_clock_ref = ABICopy.read(ref)
            p.source.clockRefs.set(ClockReference(pts: local.pts, ntp: local.ntp, updatedUs: HostClock.nowUs()), track: Int(track))
            return Int32(MR_OK)
        }
        api.reader_clock_ref = { r, track, out in
            guard let reader = BusReader.from(r), let out, let ctx = reader.owner else { return LastError.fail(MR_ERR_INVALID, "missing argument") }
            guard let ref = ctx.core.bus.source(reader.key)?.clockRefs.get(track: Int(track)) else {
                return LastError.fail(MR_ERR_NOT_FOUND, "no clock reference for track \(track)")
            }
            ref.fill(out)
            return Int32(MR_OK)
        }
    }
}
