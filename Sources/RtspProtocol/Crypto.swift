import COpenSSL

/// OpenSSL one-shot digests; the process already links libcrypto for TLS, so no second implementation.
enum Digest {
    static func md5(_ data: [UInt8]) -> [UInt8] { run(data, EVP_md5(), 16) }
    static func sha256(_ data: [UInt8]) -> [UInt8] { run(data, EVP_sha256(), 32) }

    private static func run(_ data: [UInt8], _ md: OpaquePointer?, _ size: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = data.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, md, nil)
            }
        }
        // EVP_Digest only fails on allocation failure; an all-zero digest then never matches a real response.
        guard ok == 1, Int(length) == size else { return [UInt8](repeating: 0, count: size) }
        return Array(out[0..<size])
    }
}

/// Cryptographically random bytes for nonces and session ids.
func randomBytes(_ count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    let ok = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
    if ok != 1 {
        // RAND_bytes fails only when OpenSSL cannot seed; the system generator (getrandom) is equally unpredictable.
        var g = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &g) }
    }
    return bytes
}

func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Nil on odd length or a non-hex digit.
func hexBytes(_ s: Substring) -> [UInt8]? {
    let u = Array(s.utf8)
    guard u.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(u.count / 2)
    var i = 0
    while i < u.count {
        guard let hi = hexValue(u[i]), let lo = hexValue(u[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 48...57: return c - 48
    case 65...70: return c - 55
    case 97...102: return c - 87
    default: return nil
    }
}

/// Compares without an early exit so response timing does not reveal how many leading bytes matched.
func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in a.indices { diff |= a[i] ^ b[i] }
    return diff == 0
}
