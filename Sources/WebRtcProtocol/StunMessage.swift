import MediaFormats

/// Why a datagram was not accepted as a STUN message.
public enum StunError: Error, Equatable, Sendable {
    case notStun
    case truncated
    case badAttribute(type: UInt16)
    case badFingerprint
    case attributeAfterIntegrity
}

/// The class bits of a STUN message type (RFC 8489 5).
public enum StunClass: UInt16, Sendable {
    case request = 0b00
    case indication = 0b01
    case successResponse = 0b10
    case errorResponse = 0b11
}

/// A STUN message (RFC 8489 5): a 20-byte header and TLV attributes padded to 4 bytes.
public struct StunMessage: Sendable, Equatable {
    public static let headerSize = 20
    public static let magicCookie: UInt32 = 0x2112_A442
    static let magicCookieBytes: [UInt8] = [0x21, 0x12, 0xA4, 0x42]
    public static let bindingMethod: UInt16 = 0x001
    /// Far above any real ICE check (about 100 bytes): a bigger datagram is refused before it is walked.
    public static let maxSize = 2048

    public var method: UInt16
    public var messageClass: StunClass
    /// 12 bytes.
    public var transactionId: [UInt8]
    public var attributes: [StunAttribute]
    /// Offset of MESSAGE-INTEGRITY in the datagram it was parsed from, for `verifyIntegrity`.
    public private(set) var integrityOffset: Int?
    public private(set) var hasFingerprint = false

    public init(method: UInt16 = bindingMethod, class messageClass: StunClass, transactionId: [UInt8], attributes: [StunAttribute] = []) {
        self.method = method
        self.messageClass = messageClass
        self.transactionId = transactionId
        self.attributes = attributes
    }

    public static func == (a: StunMessage, b: StunMessage) -> Bool {
        a.method == b.method && a.messageClass == b.messageClass && a.transactionId == b.transactionId && a.attributes == b.attributes
    }

    /// The RFC 7983 demultiplexing test: the first byte 0...3 and the magic cookie in place.
    public static func looksLikeStun(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard bytes.count >= headerSize else { return false }
        let s = bytes.startIndex
        return bytes[s] < 4 && Array(bytes[(s + 4)..<(s + 8)]) == magicCookieBytes
    }

    /// Parses a datagram. A FINGERPRINT, when present, must match (RFC 8489 14.7) or the datagram is not STUN;
    /// attributes after MESSAGE-INTEGRITY other than FINGERPRINT are refused (RFC 8489 14.5).
    public init(parsing bytes: ArraySlice<UInt8>) throws(StunError) {
        guard Self.looksLikeStun(bytes), bytes.count <= Self.maxSize else { throw .notStun }
        let s = bytes.startIndex
        let type = UInt16(bytes[s]) << 8 | UInt16(bytes[s + 1])
        let length = Int(bytes[s + 2]) << 8 | Int(bytes[s + 3])
        guard length % 4 == 0 else { throw .notStun }
        guard bytes.count == Self.headerSize + length else { throw .truncated }
        // RFC 8489 5: the method's 12 bits are interleaved with the class bits C0 (bit 4) and C1 (bit 8).
        method = (type & 0x000F) | (type & 0x00E0) >> 1 | (type & 0x3E00) >> 2
        messageClass = StunClass(rawValue: (type >> 4) & 1 | (type >> 7) & 2) ?? .request
        transactionId = Array(bytes[(s + 8)..<(s + 20)])
        attributes = []
        var i = s + Self.headerSize
        while i < bytes.endIndex {
            guard bytes.endIndex - i >= 4 else { throw .truncated }
            let attrType = UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
            let attrLength = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            let padded = (attrLength + 3) & ~3
            guard bytes.endIndex - i - 4 >= padded else { throw .truncated }
            let value = bytes[(i + 4)..<(i + 4 + attrLength)]
            if hasFingerprint { throw .badAttribute(type: attrType) }
            switch attrType {
            case StunAttributeType.messageIntegrity:
                guard attrLength == 20 else { throw .badAttribute(type: attrType) }
                guard integrityOffset == nil else { throw .attributeAfterIntegrity }
                integrityOffset = i - s
            case StunAttributeType.fingerprint:
                guard attrLength == 4 else { throw .badAttribute(type: attrType) }
                let stated = UInt32(value[value.startIndex]) << 24 | UInt32(value[value.startIndex + 1]) << 16
                    | UInt32(value[value.startIndex + 2]) << 8 | UInt32(value[value.startIndex + 3])
                guard Self.fingerprint(of: bytes[s..<i], lengthThrough: i - s + 8) == stated else { throw .badFingerprint }
                hasFingerprint = true
            default:
                if integrityOffset != nil { throw .attributeAfterIntegrity }
                guard let attribute = StunAttribute.decode(type: attrType, value: value, transactionId: transactionId) else {
                    throw .badAttribute(type: attrType)
                }
                attributes.append(attribute)
            }
            i += 4 + padded
        }
    }

    public init(parsing bytes: [UInt8]) throws(StunError) { try self.init(parsing: bytes[...]) }

    /// True when the MESSAGE-INTEGRITY of `bytes` (the datagram this message was parsed from) is the HMAC-SHA1,
    /// keyed with `key`, of the message up to it with the length field covering it (RFC 8489 14.5). For ICE the
    /// key is the password itself (short-term credentials, RFC 8489 9.1.1; OpaqueString is the identity for
    /// the ASCII passwords ICE generates).
    public func verifyIntegrity(of bytes: ArraySlice<UInt8>, key: [UInt8]) -> Bool {
        guard let offset = integrityOffset, bytes.count >= offset + 24 else { return false }
        let s = bytes.startIndex
        var covered = Array(bytes[s..<(s + offset)])
        let length = offset + 24 - Self.headerSize
        covered[2] = UInt8(length >> 8)
        covered[3] = UInt8(length & 0xFF)
        let expected = HmacSha1.mac(key: key, data: covered[...])
        return HmacSha1.constantTimeEqual(expected[...], bytes[(s + offset + 4)..<(s + offset + 24)])
    }

    public func attribute<T>(_ pick: (StunAttribute) -> T?) -> T? {
        for a in attributes { if let v = pick(a) { return v } }
        return nil
    }

    public var username: String? { attribute { if case .username(let u) = $0 { u } else { nil } } }
    public var priority: UInt32? { attribute { if case .priority(let p) = $0 { p } else { nil } } }
    public var useCandidate: Bool { attributes.contains(.useCandidate) }
    public var xorMappedAddress: TransportAddress? { attribute { if case .xorMappedAddress(let a) = $0 { a } else { nil } } }
    public var errorCode: Int? { attribute { if case .errorCode(let c, _) = $0 { c } else { nil } } }

    /// The message on the wire, with MESSAGE-INTEGRITY keyed by `integrityKey` and FINGERPRINT when asked.
    /// `padding` fills attribute padding (any value is legal; RFC 5769's vectors use spaces).
    public func encode(integrityKey: [UInt8]? = nil, fingerprint: Bool = false, padding: UInt8 = 0) -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        let type = (method & 0x000F) | (method & 0x0070) << 1 | (method & 0x0F80) << 2
            | (messageClass.rawValue & 1) << 4 | (messageClass.rawValue & 2) << 7
        w.u16(type)
        w.u16(0)
        w.append(Self.magicCookieBytes)
        w.append(transactionId.prefix(12))
        for a in attributes {
            Self.appendAttribute(type: a.type, value: a.encodeValue(transactionId: transactionId), to: &w, padding: padding)
        }
        var out = w.bytes
        if let integrityKey {
            Self.setLength(&out, out.count + 24 - Self.headerSize)
            let mac = HmacSha1.mac(key: integrityKey, data: out[...])
            var tail = ByteWriter(capacity: 24)
            Self.appendAttribute(type: StunAttributeType.messageIntegrity, value: mac, to: &tail, padding: padding)
            out += tail.bytes
        }
        if fingerprint {
            let crc = Self.fingerprint(of: out[...], lengthThrough: out.count + 8)
            Self.setLength(&out, out.count + 8 - Self.headerSize)
            out += [0x80, 0x28, 0, 4] + bigEndian(UInt64(crc), bytes: 4)
        } else {
            Self.setLength(&out, out.count - Self.headerSize)
        }
        return out
    }

    private static func appendAttribute(type: UInt16, value: [UInt8], to w: inout ByteWriter, padding: UInt8) {
        w.u16(type)
        w.u16(UInt16(value.count))
        w.append(value)
        w.append(repeatElement(padding, count: (4 - value.count % 4) % 4))
    }

    private static func setLength(_ out: inout [UInt8], _ length: Int) {
        out[2] = UInt8(truncatingIfNeeded: length >> 8)
        out[3] = UInt8(truncatingIfNeeded: length)
    }

    /// RFC 8489 14.7: CRC-32 of the message up to FINGERPRINT, with the header length covering FINGERPRINT,
    /// XOR 0x5354554E.
    private static func fingerprint(of prefix: ArraySlice<UInt8>, lengthThrough total: Int) -> UInt32 {
        var copy = Array(prefix)
        setLength(&copy, total - headerSize)
        return StunCrc32.checksum(copy[...]) ^ 0x5354_554E
    }
}
