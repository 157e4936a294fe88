public struct AMFDecodeError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public let offset: Int
    public var description: String { "AMF: \(message) at byte \(offset)" }
}

/// AMF0 decoding with AMF3 values behind the 0x11 switch marker (AMF3 specification 3.1-3.12, the subset
/// RTMP clients send). Bounded: nesting depth, element counts and lengths are checked against the input.
public struct AMFDecoder {
    private var r: ByteReader
    private static let maxDepth = 32
    // AMF3 reference tables, per message.
    private var strings3: [String] = []
    private var objects3: [AMFValue] = []
    private var traits3: [(members: [String], dynamic: Bool)] = []

    public init(_ bytes: ArraySlice<UInt8>) { r = ByteReader(bytes) }
    public init(_ bytes: [UInt8]) { r = ByteReader(bytes[...]) }

    public var isAtEnd: Bool { r.isAtEnd }

    private func fail(_ message: String) -> AMFDecodeError { AMFDecodeError(message: message, offset: r.offset - r.bytes.startIndex) }

    /// Decodes every value until the end.
    public mutating func decodeAll() throws(AMFDecodeError) -> [AMFValue] {
        var out: [AMFValue] = []
        while !r.isAtEnd {
            out.append(try decode())
            if out.count > 4096 { throw fail("too many values") }
        }
        return out
    }

    public mutating func decode() throws(AMFDecodeError) -> AMFValue { try value0(depth: 0) }

    private mutating func value0(depth: Int) throws(AMFDecodeError) -> AMFValue {
        guard depth < Self.maxDepth else { throw fail("nesting too deep") }
        guard let marker = r.u8() else { throw fail("truncated value") }
        switch marker {
        case 0x00:
            guard let n = r.f64() else { throw fail("truncated number") }
            return .number(n)
        case 0x01:
            guard let b = r.u8() else { throw fail("truncated boolean") }
            return .bool(b != 0)
        case 0x02:
            return .string(try shortString())
        case 0x03:
            return .object(try members0(depth: depth))
        case 0x05: return .null
        case 0x06: return .undefined
        case 0x07:
            guard r.u16() != nil else { throw fail("truncated reference") }
            return .undefined  // AMF0 references are not used by RTMP peers in practice
        case 0x08:
            guard r.u32() != nil else { throw fail("truncated ECMA array") }
            return .ecmaArray(try members0(depth: depth))
        case 0x0A:
            guard let count = r.u32(), Int(count) <= r.remaining else { throw fail("bad strict array length") }
            var items: [AMFValue] = []
            for _ in 0..<count { items.append(try value0(depth: depth + 1)) }
            return .strictArray(items)
        case 0x0B:
            guard let d = r.f64(), r.u16() != nil else { throw fail("truncated date") }
            return .date(d)
        case 0x0C, 0x0F:
            guard let len = r.u32(), let bytes = r.take(Int(len)) else { throw fail("truncated long string") }
            return .string(String(decoding: bytes, as: UTF8.self))
        case 0x0D: return .undefined  // unsupported
        case 0x11:
            return try value3(depth: depth + 1)
        default:
            throw fail("unknown AMF0 marker 0x\(String(marker, radix: 16))")
        }
    }

    private mutating func shortString() throws(AMFDecodeError) -> String {
        guard let len = r.u16(), let bytes = r.take(Int(len)) else { throw fail("truncated string") }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func members0(depth: Int) throws(AMFDecodeError) -> [AMFPair] {
        var pairs: [AMFPair] = []
        while true {
            let key = try shortString()
            if key.isEmpty {
                guard let end = r.u8() else { throw fail("truncated object") }
                if end == 0x09 { return pairs }
                throw fail("object end marker missing")
            }
            pairs.append(AMFPair(key, try value0(depth: depth + 1)))
            if pairs.count > 4096 { throw fail("too many object members") }
        }
    }

    // MARK: AMF3

    private mutating func u29() throws(AMFDecodeError) -> UInt32 {
        var v: UInt32 = 0
        for i in 0..<4 {
            guard let b = r.u8() else { throw fail("truncated U29") }
            if i == 3 { return v << 8 | UInt32(b) }
            v = v << 7 | UInt32(b & 0x7F)
            if b & 0x80 == 0 { return v }
        }
        return v
    }

    private mutating func string3() throws(AMFDecodeError) -> String {
        let header = try u29()
        if header & 1 == 0 {
            let index = Int(header >> 1)
            guard index < strings3.count else { throw fail("bad AMF3 string reference") }
            return strings3[index]
        }
        guard let bytes = r.take(Int(header >> 1)) else { throw fail("truncated AMF3 string") }
        let s = String(decoding: bytes, as: UTF8.self)
        if !s.isEmpty { strings3.append(s) }
        return s
    }

    private mutating func value3(depth: Int) throws(AMFDecodeError) -> AMFValue {
        guard depth < Self.maxDepth else { throw fail("nesting too deep") }
        guard let marker = r.u8() else { throw fail("truncated AMF3 value") }
        switch marker {
        case 0x00: return .undefined
        case 0x01: return .null
        case 0x02: return .bool(false)
        case 0x03: return .bool(true)
        case 0x04:
            let v = try u29()
            return .number(Double(v & 0x1000_0000 != 0 ? Int32(bitPattern: v | 0xE000_0000) : Int32(v)))
        case 0x05:
            guard let d = r.f64() else { throw fail("truncated AMF3 double") }
            return .number(d)
        case 0x06:
            return .string(try string3())
        case 0x08:
            let header = try u29()
            if header & 1 == 0 { return try objectRef(header) }
            guard let d = r.f64() else { throw fail("truncated AMF3 date") }
            objects3.append(.date(d))
            return .date(d)
        case 0x09:
            let header = try u29()
            if header & 1 == 0 { return try objectRef(header) }
            var assoc: [AMFPair] = []
            while true {
                let key = try string3()
                if key.isEmpty { break }
                assoc.append(AMFPair(key, try value3(depth: depth + 1)))
                if assoc.count > 4096 { throw fail("too many AMF3 array members") }
            }
            let count = Int(header >> 1)
            guard count <= r.remaining else { throw fail("bad AMF3 array length") }
            var dense: [AMFValue] = []
            for _ in 0..<count { dense.append(try value3(depth: depth + 1)) }
            let v: AMFValue = assoc.isEmpty ? .strictArray(dense) : .ecmaArray(assoc + dense.enumerated().map { AMFPair(String($0.offset), $0.element) })
            objects3.append(v)
            return v
        case 0x0A:
            let header = try u29()
            if header & 1 == 0 { return try objectRef(header) }
            let traits: (members: [String], dynamic: Bool)
            if header & 2 == 0 {
                let index = Int(header >> 2)
                guard index < traits3.count else { throw fail("bad AMF3 traits reference") }
                traits = traits3[index]
            } else {
                guard header & 4 == 0 else { throw fail("externalizable AMF3 objects are not supported") }
                _ = try string3()  // class name
                let count = Int(header >> 4)
                guard count <= r.remaining else { throw fail("bad AMF3 sealed member count") }
                var names: [String] = []
                for _ in 0..<count { names.append(try string3()) }
                traits = (names, header & 8 != 0)
                traits3.append(traits)
            }
            var pairs: [AMFPair] = []
            for name in traits.members { pairs.append(AMFPair(name, try value3(depth: depth + 1))) }
            if traits.dynamic {
                while true {
                    let key = try string3()
                    if key.isEmpty { break }
                    pairs.append(AMFPair(key, try value3(depth: depth + 1)))
                    if pairs.count > 4096 { throw fail("too many AMF3 object members") }
                }
            }
            objects3.append(.object(pairs))
            return .object(pairs)
        default:
            throw fail("unsupported AMF3 marker 0x\(String(marker, radix: 16))")
        }
    }

    private func objectRef(_ header: UInt32) throws(AMFDecodeError) -> AMFValue {
        let index = Int(header >> 1)
        guard index < objects3.count else { throw fail("bad AMF3 object reference") }
        return objects3[index]
    }
}
