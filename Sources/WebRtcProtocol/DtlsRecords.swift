/// Splits what OpenSSL wrote to the memory BIO (whole records of a flight, back to back) into datagrams of at
/// most `mtu` bytes without cutting a record (RFC 6347 4.1.1: a record never spans datagrams).
enum DtlsRecords {
    static let headerSize = 13

    static func datagrams(_ bytes: [UInt8], mtu: Int) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var current: [UInt8] = []
        var i = 0
        while bytes.count - i >= headerSize {
            let length = headerSize + (Int(bytes[i + 11]) << 8 | Int(bytes[i + 12]))
            guard bytes.count - i >= length else { break }
            if !current.isEmpty, current.count + length > mtu {
                out.append(current)
                current = []
            }
            current += bytes[i..<(i + length)]
            i += length
        }
        if !current.isEmpty { out.append(current) }
        return out
    }
}
