#if canImport(Glibc)
import Glibc
#endif
import PluginABI

/// ABI 1.3 transport and clock-reference calls. Each returns a failure (or nil) on a 1.2 host, which lacks them.
public extension PluginHost {
    /// True when the host has the ABI 1.3 functions (MR_HAS_FIELD on the last of them).
    var hasABI13Transport: Bool {
        guard let offset = MemoryLayout<mr_host_api>.offset(of: \.reader_clock_ref) else { return false }
        return Int(table.size) >= offset + MemoryLayout<UnsafeRawPointer>.size
    }

    /// One UDP socket per loop on one port (index = loop). [control]. nil on failure (see lastError).
    func bindUdpGroup(address: String = "0.0.0.0", port: UInt16, recvBuffer: Int32 = 0,
                      callbacks: mr_udp_callbacks, user: UnsafeMutableRawPointer?) -> [OpaquePointer]? {
        guard hasABI13Transport, let bindGroup = table.udp_bind_group else { return nil }
        let loops = Int(table.loop_count(host))
        var out = [OpaquePointer?](repeating: nil, count: loops)
        var cbs = callbacks
        cbs.size = UInt32(MemoryLayout<mr_udp_callbacks>.size)
        var options = mr_udp_options()
        options.size = UInt32(MemoryLayout<mr_udp_options>.size)
        options.port = port
        options.loop = -1
        options.recv_buffer = recvBuffer
        let rc = address.withCString { a in
            options.bind_address = a
            return out.withUnsafeMutableBufferPointer { bindGroup(host, &options, &cbs, user, $0.baseAddress, loops) }
        }
        guard rc == MR_OK else { return nil }
        let sockets = out.compactMap { $0 }
        return sockets.count == loops ? sockets : nil
    }

    /// [owner loop] Queue sends on `sock` until `flushUdp` or `cork(udp:false)`.
    func cork(udp sock: OpaquePointer, _ on: Bool) {
        guard hasABI13Transport else { return }
        table.udp_cork?(sock, on ? 1 : 0)
    }

    @discardableResult
    func flushUdp(_ sock: OpaquePointer) -> Int32 {
        guard hasABI13Transport, let flush = table.udp_flush else { return Int32(MR_ERR_UNSUPPORTED) }
        return flush(sock)
    }

    /// [source loop] Track `track`'s wall-clock reference: the frame at `pts` was captured at NTP time `ntp`.
    @discardableResult
    func setClockReference(source: OpaquePointer, track: UInt32, pts: Int64, ntp: UInt64) -> Int32 {
        guard hasABI13Transport, let set = table.source_set_clock_ref else { return Int32(MR_ERR_UNSUPPORTED) }
        var ref = mr_clock_ref(size: UInt32(MemoryLayout<mr_clock_ref>.size), pts: pts, ntp: ntp, updated_us: 0)
        return set(source, track, &ref)
    }

    /// [owner loop] The latest reference of the reader's source's track, nil if the publisher set none.
    func clockReference(reader: OpaquePointer, track: UInt32) -> mr_clock_ref? {
        guard hasABI13Transport, let get = table.reader_clock_ref else { return nil }
        var ref = mr_clock_ref()
        ref.size = UInt32(MemoryLayout<mr_clock_ref>.size)
        return get(reader, track, &ref) == MR_OK ? ref : nil
    }
}
