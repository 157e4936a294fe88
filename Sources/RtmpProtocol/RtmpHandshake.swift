import COpenSSL

/// The RTMP handshake, server side: the simple form (RTMP spec 5.2) and the digest form Flash-era
/// clients and some encoders use (a C1 whose version field is not zero carries an HMAC-SHA256 digest).
public struct RtmpHandshake {
    public static let size = 1536

    public enum Outcome {
        case needMore
        /// Send these bytes (S0+S1+S2) and wait for C2.
        case reply([UInt8])
        case failed(String)
    }

    // Keys of the digest scheme as the RTMP community documents them (the "Genuine Adobe" strings plus
    // a fixed 32-byte tail).
    private static let tail: [UInt8] = [
        0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
        0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE,
    ]
    public static let clientKey = Array("Genuine Adobe Flash Player 001".utf8)               // 30 bytes
    public static let serverKey = Array("Genuine Adobe Flash Media Server 001".utf8)         // 36 bytes
    public static let serverKeyFull = serverKey + tail                                        // 68 bytes
    public static let clientKeyFull = clientKey + tail                                        // 62 bytes

    /// Handles C0+C1 (exactly 1537 bytes).
    public static func respond(toC0C1 c0c1: ArraySlice<UInt8>, now: UInt32) -> Outcome {
        guard c0c1.count == 1 + size else { return .needMore }
        let version = c0c1[c0c1.startIndex]
        guard version == 3 || version == 6 else { return .failed("unsupported RTMP version \(version)") }
        let c1 = Array(c0c1.dropFirst())
        let clientVersion = c1[4..<8]
        if clientVersion.allSatisfy({ $0 == 0 }) {
            return .reply([3] + simpleS1(now: now) + c1)
        }
        guard let digestOffset = findDigest(c1, key: clientKey) else {
            // Not a digest C1 after all (some encoders fill the version field): answer the simple way.
            return .reply([3] + simpleS1(now: now) + c1)
        }
        let clientDigest = Array(c1[digestOffset..<(digestOffset + 32)])
        let s1 = digestS1(now: now)
        var s2 = random(size - 32)
        let key = hmac(serverKeyFull, clientDigest)
        s2 += hmac(key, s2)
        return .reply([3] + s1 + s2)
    }

    private static func simpleS1(now: UInt32) -> [UInt8] {
        var s1 = [UInt8((now >> 24) & 0xFF), UInt8((now >> 16) & 0xFF), UInt8((now >> 8) & 0xFF), UInt8(now & 0xFF), 0, 0, 0, 0]
        s1 += random(size - 8)
        return s1
    }

    /// S1 with the server digest placed by scheme 1 (offset base 8), which clients check for.
    private static func digestS1(now: UInt32) -> [UInt8] {
        var s1 = [UInt8((now >> 24) & 0xFF), UInt8((now >> 16) & 0xFF), UInt8((now >> 8) & 0xFF), UInt8(now & 0xFF),
                  0x04, 0x05, 0x00, 0x01]
        s1 += random(size - 8)
        let offset = digestOffset(s1, base: 8)
        let joined = Array(s1[0..<offset]) + Array(s1[(offset + 32)...])
        let digest = hmac(serverKey, joined)
        s1.replaceSubrange(offset..<(offset + 32), with: digest)
        return s1
    }

    /// The digest position for a scheme whose offset bytes start at `base` (8 or 772).
    public static func digestOffset(_ c1: [UInt8], base: Int) -> Int {
        let sum = Int(c1[base]) + Int(c1[base + 1]) + Int(c1[base + 2]) + Int(c1[base + 3])
        return base + 4 + sum % 728
    }

    /// Where a valid client digest sits (scheme 1 checked first, as most clients use it), if any.
    public static func findDigest(_ c1: [UInt8], key: [UInt8]) -> Int? {
        for base in [8, 772] {
            let offset = digestOffset(c1, base: base)
            guard offset + 32 <= c1.count else { continue }
            let joined = Array(c1[0..<offset]) + Array(c1[(offset + 32)...])
            if hmac(key, joined) == Array(c1[offset..<(offset + 32)]) { return offset }
        }
        return nil
    }

    public static func hmac(_ key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 32
        _ = key.withUnsafeBytes { k in data.withUnsafeBytes { d in
            HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count, &out, &len)
        } }
        return out
    }

    public static func random(_ n: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        if RAND_bytes(&out, Int32(n)) != 1 {
            for i in 0..<n { out[i] = UInt8.random(in: 0...255) }
        }
        return out
    }
}
