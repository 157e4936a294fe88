import MRPluginKit

/// Rewrites the timestamps of the chunked messages in a shared "rtmp" ring packet for one player: the
/// type-0 header (and the extended timestamp, wherever the old or new value needs one) become inline
/// bytes; every payload piece stays a range of the shared buffer.
public enum RtmpRebase {
    public static func append(_ out: inout IovecBuilder, buf: OpaquePointer, data: UnsafeRawBufferPointer, shiftMs: UInt32,
                       chunkSize: Int) -> Bool {
        func u24(_ i: Int) -> UInt32 { UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) }
        // Validate the whole packet first, so a malformed one adds nothing; then walk again to emit.
        var i = 0
        while i < data.count {
            guard data.count - i >= 12, data[i] >> 6 == 0, data[i] & 0x3F >= 2 else { return false }
            let field = u24(i + 1)
            let extended = field == 0xFF_FFFF
            var p = i + 12
            if extended {
                guard data.count - p >= 4 else { return false }
                p += 4
            }
            let length = Int(u24(i + 4))
            var remaining = length
            var first = true
            while remaining > 0 || first {
                if !first {
                    guard p < data.count, data[p] == 0xC0 | (data[i] & 0x3F) else { return false }
                    p += extended ? 5 : 1
                }
                let n = min(chunkSize, remaining)
                guard data.count - p >= n else { return false }
                p += n
                remaining -= n
                first = false
            }
            i = p
        }
        var next = 0
        while next < data.count {
            let header = next
            let field = u24(header + 1)
            let wasExtended = field == 0xFF_FFFF
            let oldTs = wasExtended ? (UInt32(data[header + 12]) << 24 | u24(header + 13)) : field
            let m = (header: header, ts: oldTs >= shiftMs ? oldTs - shiftMs : 0, extended: wasExtended, length: Int(u24(header + 4)))
            let newExtended = m.ts >= 0xFF_FFFF
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { h in
                h[0] = data[m.header]
                let field = newExtended ? 0xFF_FFFF : m.ts
                h[1] = UInt8((field >> 16) & 0xFF); h[2] = UInt8((field >> 8) & 0xFF); h[3] = UInt8(field & 0xFF)
                for k in 4..<12 { h[k] = data[m.header + k] }
                var n = 12
                if newExtended {
                    h[12] = UInt8(m.ts >> 24); h[13] = UInt8((m.ts >> 16) & 0xFF); h[14] = UInt8((m.ts >> 8) & 0xFF); h[15] = UInt8(m.ts & 0xFF)
                    n = 16
                }
                out.inline(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(h)[0..<n]))
            }
            var p = m.header + 12 + (m.extended ? 4 : 0)
            var remaining = m.length
            var first = true
            while remaining > 0 {
                if !first {
                    p += m.extended ? 5 : 1
                    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 5) { h in
                        h[0] = data[m.header] | 0xC0
                        h[1] = UInt8(m.ts >> 24); h[2] = UInt8((m.ts >> 16) & 0xFF); h[3] = UInt8((m.ts >> 8) & 0xFF); h[4] = UInt8(m.ts & 0xFF)
                        out.inline(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(h)[0..<(newExtended ? 5 : 1)]))
                    }
                }
                let n = min(chunkSize, remaining)
                out.range(buf, p, n)
                p += n
                remaining -= n
                first = false
            }
            next = p
        }
        return true
    }
}
