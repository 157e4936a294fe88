/// Reassembles messages from an incoming RTMP chunk stream (RTMP spec 5.3). Every length is checked
/// before use; memory is bounded by `maxMessageSize` per chunk stream and `maxChunkStreams` streams.
public struct RtmpChunkParser {
    public struct ProtocolError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    private struct StreamState {
        public var timestamp: UInt32 = 0
        public var delta: UInt32 = 0
        public var length = 0
        public var type: UInt8 = 0
        public var streamId: UInt32 = 0
        public var extended = false
        public var partial: [UInt8] = []
        public var started = false
    }

    /// The peer's chunk size (Set Chunk Size changes it).
    public private(set) var chunkSize = 128
    public let maxMessageSize: Int
    public let maxChunkStreams: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var streams: [UInt32: StreamState] = [:]
    /// Bytes consumed so far, for acknowledgements.
    public private(set) var bytesConsumed: UInt64 = 0

    public init(maxMessageSize: Int = 8 << 20, maxChunkStreams: Int = 64) {
        self.maxMessageSize = maxMessageSize
        self.maxChunkStreams = maxChunkStreams
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        if readIndex > 0 && readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > 64 * 1024 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func feed(_ bytes: [UInt8]) { bytes.withUnsafeBytes { feed($0) } }

    public var buffered: Int { buffer.count - readIndex }

    public mutating func setChunkSize(_ size: Int) throws(ProtocolError) {
        // The spec allows up to 2^31-1; nobody sends more than a few MB, and a huge value is an attack.
        guard size >= 1, size <= 16 << 20 else { throw ProtocolError(message: "absurd chunk size \(size)") }
        chunkSize = size
    }

    /// The next complete message, nil if more bytes are needed.
    public mutating func next() throws(ProtocolError) -> RtmpMessage? {
        while true {
            let start = readIndex
            guard let message = try parseChunk() else {
                if readIndex == start { return nil }
                continue
            }
            return message
        }
    }

    /// Parses one chunk; returns a message when it completes one. Leaves `readIndex` unchanged when the
    /// chunk is not fully buffered yet.
    private mutating func parseChunk() throws(ProtocolError) -> RtmpMessage? {
        var i = readIndex
        let end = buffer.count
        guard i < end else { return nil }
        let b0 = buffer[i]
        i += 1
        let fmt = b0 >> 6
        var csid = UInt32(b0 & 0x3F)
        if csid == 0 {
            guard i + 1 <= end else { return nil }
            csid = 64 + UInt32(buffer[i])
            i += 1
        } else if csid == 1 {
            guard i + 2 <= end else { return nil }
            csid = 64 + UInt32(buffer[i]) + UInt32(buffer[i + 1]) * 256
            i += 2
        }
        let headerSize = [11, 7, 3, 0][Int(fmt)]
        guard i + headerSize <= end else { return nil }
        var state = streams[csid] ?? StreamState()
        if streams[csid] == nil {
            guard streams.count < maxChunkStreams else { throw ProtocolError(message: "too many chunk streams") }
            guard fmt == 0 else { throw ProtocolError(message: "chunk stream \(csid) starts without a full header (fmt \(fmt))") }
        }
        let newMessage = state.partial.isEmpty
        var field: UInt32 = 0
        if fmt <= 2 {
            guard state.partial.isEmpty else {
                throw ProtocolError(message: "new message header inside a message on chunk stream \(csid)")
            }
            field = u24(i)
            if fmt <= 1 {
                let length = Int(u24(i + 3))
                guard length <= maxMessageSize else { throw ProtocolError(message: "message of \(length) bytes is over the limit") }
                state.length = length
                state.type = buffer[i + 6]
                if fmt == 0 {
                    state.streamId = UInt32(buffer[i + 7]) | UInt32(buffer[i + 8]) << 8 | UInt32(buffer[i + 9]) << 16 | UInt32(buffer[i + 10]) << 24
                }
            }
            state.extended = field == 0xFF_FFFF
        }
        i += headerSize
        var extendedValue: UInt32?
        if state.extended {
            guard i + 4 <= end else { return nil }
            extendedValue = u32(i)
            i += 4
        }
        if fmt <= 2 {
            let value = extendedValue ?? field
            if fmt == 0 {
                state.timestamp = value
                state.delta = 0
            } else {
                state.delta = value
                state.timestamp &+= value
            }
        } else if newMessage && state.started {
            // A type-3 chunk that starts a message repeats the previous delta.
            state.timestamp &+= state.delta
        }
        let remaining = state.length - state.partial.count
        let take = min(remaining, chunkSize)
        guard i + take <= end else { return nil }
        state.partial.append(contentsOf: buffer[i..<(i + take)])
        i += take
        bytesConsumed += UInt64(i - readIndex)
        readIndex = i
        state.started = true
        if state.partial.count == state.length {
            let message = RtmpMessage(type: state.type, streamId: state.streamId, timestamp: state.timestamp, payload: state.partial)
            state.partial = []
            state.partial.reserveCapacity(0)
            streams[csid] = state
            if message.type == RtmpMessage.setChunkSize {
                guard message.payload.count >= 4 else { throw ProtocolError(message: "short Set Chunk Size") }
                try setChunkSize(Int(u32(message.payload, 0) & 0x7FFF_FFFF))
            } else if message.type == RtmpMessage.abort, message.payload.count >= 4 {
                streams[u32(message.payload, 0)]?.partial = []
            }
            return message
        }
        streams[csid] = state
        return nil
    }

    private func u24(_ i: Int) -> UInt32 { UInt32(buffer[i]) << 16 | UInt32(buffer[i + 1]) << 8 | UInt32(buffer[i + 2]) }
    private func u32(_ i: Int) -> UInt32 { u32(buffer, i) }
    private func u32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }
}

