import MediaFormats

/// STUN attribute types this stack reads or writes (RFC 8489 18.3, RFC 8445 16.1).
public enum StunAttributeType {
    public static let mappedAddress: UInt16 = 0x0001
    public static let username: UInt16 = 0x0006
    public static let messageIntegrity: UInt16 = 0x0008
    public static let errorCode: UInt16 = 0x0009
    public static let unknownAttributes: UInt16 = 0x000A
    public static let realm: UInt16 = 0x0014
    public static let nonce: UInt16 = 0x0015
    public static let messageIntegritySha256: UInt16 = 0x001C
    public static let xorMappedAddress: UInt16 = 0x0020
    public static let priority: UInt16 = 0x0024
    public static let useCandidate: UInt16 = 0x0025
    public static let software: UInt16 = 0x8022
    public static let fingerprint: UInt16 = 0x8028
    public static let iceControlled: UInt16 = 0x8029
    public static let iceControlling: UInt16 = 0x802A
    // Attributes 0x0000-0x7FFF are comprehension-required (RFC 8489 14): an unknown one fails a request.
    static func isComprehensionRequired(_ type: UInt16) -> Bool { type < 0x8000 }
}

/// One decoded attribute. MESSAGE-INTEGRITY and FINGERPRINT are not here: they are computed over the
/// encoded message, so `StunMessage` handles them.
public enum StunAttribute: Sendable, Equatable {
    case mappedAddress(TransportAddress)
    case xorMappedAddress(TransportAddress)
    case username(String)
    case software(String)
    case errorCode(code: Int, reason: String)
    case priority(UInt32)
    case useCandidate
    case iceControlled(tieBreaker: UInt64)
    case iceControlling(tieBreaker: UInt64)
    case unknownAttributes([UInt16])
    /// Anything else, kept raw.
    case other(type: UInt16, value: [UInt8])

    public var type: UInt16 {
        switch self {
        case .mappedAddress: StunAttributeType.mappedAddress
        case .xorMappedAddress: StunAttributeType.xorMappedAddress
        case .username: StunAttributeType.username
        case .software: StunAttributeType.software
        case .errorCode: StunAttributeType.errorCode
        case .priority: StunAttributeType.priority
        case .useCandidate: StunAttributeType.useCandidate
        case .iceControlled: StunAttributeType.iceControlled
        case .iceControlling: StunAttributeType.iceControlling
        case .unknownAttributes: StunAttributeType.unknownAttributes
        case .other(let type, _): type
        }
    }

    /// RFC 8489 14.3 limits USERNAME to 513 bytes, 14.9 SOFTWARE and 14.8 reason phrases to 763.
    static let maxUsername = 513
    static let maxText = 763

    /// Decodes one attribute value; nil when it is malformed. `transactionId` is needed for the XOR forms.
    static func decode(type: UInt16, value: ArraySlice<UInt8>, transactionId: [UInt8]) -> StunAttribute? {
        switch type {
        case StunAttributeType.mappedAddress:
            return decodeAddress(value, xor: nil).map { .mappedAddress($0) }
        case StunAttributeType.xorMappedAddress:
            return decodeAddress(value, xor: StunMessage.magicCookieBytes + transactionId).map { .xorMappedAddress($0) }
        case StunAttributeType.username:
            guard value.count <= maxUsername, let s = String(validating: value, as: UTF8.self) else { return nil }
            return .username(s)
        case StunAttributeType.software:
            guard value.count <= maxText, let s = String(validating: value, as: UTF8.self) else { return nil }
            return .software(s)
        case StunAttributeType.errorCode:
            // RFC 8489 14.8: 21 reserved bits, class (3..6) in 3 bits, number (0..99) in 8 bits, then the reason.
            guard value.count >= 4, value.count - 4 <= maxText else { return nil }
            let s = value.startIndex
            let cls = Int(value[s + 2] & 0x07), number = Int(value[s + 3])
            guard (3...6).contains(cls), number < 100 else { return nil }
            let reason = String(validating: value[(s + 4)...], as: UTF8.self) ?? ""
            return .errorCode(code: cls * 100 + number, reason: reason)
        case StunAttributeType.priority:
            guard value.count == 4 else { return nil }
            var r = ByteReader(value)
            return r.u32().map { .priority($0) }
        case StunAttributeType.useCandidate:
            return value.isEmpty ? .useCandidate : nil
        case StunAttributeType.iceControlled, StunAttributeType.iceControlling:
            guard value.count == 8 else { return nil }
            var r = ByteReader(value)
            guard let hi = r.u32(), let lo = r.u32() else { return nil }
            let tie = UInt64(hi) << 32 | UInt64(lo)
            return type == StunAttributeType.iceControlled ? .iceControlled(tieBreaker: tie) : .iceControlling(tieBreaker: tie)
        case StunAttributeType.unknownAttributes:
            guard value.count % 2 == 0 else { return nil }
            var r = ByteReader(value)
            var types: [UInt16] = []
            while let t = r.u16() { types.append(t) }
            return .unknownAttributes(types)
        default:
            return .other(type: type, value: Array(value))
        }
    }

    /// The value bytes, unpadded.
    func encodeValue(transactionId: [UInt8]) -> [UInt8] {
        switch self {
        case .mappedAddress(let a): return Self.encodeAddress(a, xor: nil)
        case .xorMappedAddress(let a): return Self.encodeAddress(a, xor: StunMessage.magicCookieBytes + transactionId)
        case .username(let s): return Array(s.utf8.prefix(Self.maxUsername))
        case .software(let s): return Array(s.utf8.prefix(Self.maxText))
        case .errorCode(let code, let reason):
            let c = min(max(code, 300), 699)
            return [0, 0, UInt8(c / 100), UInt8(c % 100)] + Array(reason.utf8.prefix(Self.maxText))
        case .priority(let p): return bigEndian(UInt64(p), bytes: 4)
        case .useCandidate: return []
        case .iceControlled(let t), .iceControlling(let t): return bigEndian(t, bytes: 8)
        case .unknownAttributes(let types): return types.flatMap { bigEndian(UInt64($0), bytes: 2) }
        case .other(_, let value): return value
        }
    }

    /// RFC 8489 14.1/14.2: 0, family (1 = IPv4, 2 = IPv6), port, address; the XOR forms mask the port with the
    /// cookie's top 16 bits and the address with the cookie then the transaction ID.
    private static func decodeAddress(_ value: ArraySlice<UInt8>, xor mask: [UInt8]?) -> TransportAddress? {
        guard value.count >= 4 else { return nil }
        let s = value.startIndex
        let family = value[s + 1]
        let length: Int
        switch family {
        case 1: length = 4
        case 2: length = 16
        default: return nil
        }
        guard value.count == 4 + length else { return nil }
        var port = UInt16(value[s + 2]) << 8 | UInt16(value[s + 3])
        var address = Array(value[(s + 4)...])
        if let mask {
            port ^= UInt16(mask[0]) << 8 | UInt16(mask[1])
            for i in address.indices { address[i] ^= mask[i] }
        }
        guard let ip = IpAddress(bytes: address) else { return nil }
        return TransportAddress(ip: ip, port: port)
    }

    private static func encodeAddress(_ a: TransportAddress, xor mask: [UInt8]?) -> [UInt8] {
        var port = a.port
        var address = a.ip.bytes
        if let mask {
            port ^= UInt16(mask[0]) << 8 | UInt16(mask[1])
            for i in address.indices { address[i] ^= mask[i] }
        }
        return [0, a.ip.isIPv4 ? 1 : 2, UInt8(port >> 8), UInt8(port & 0xFF)] + address
    }
}

func bigEndian(_ v: UInt64, bytes n: Int) -> [UInt8] {
    (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64(n - 1 - $0))) }
}
