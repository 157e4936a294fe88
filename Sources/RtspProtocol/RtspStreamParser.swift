/// What arrives on an RTSP TCP connection: a message, or an RTP/RTCP packet framed with `$` (RFC 2326 10.12).
public enum RtspInput: Sendable {
    case message(RtspMessage)
    /// `payload` shares the parser's storage (no copy per packet); its indices are not zero-based.
    case interleaved(channel: UInt8, payload: ArraySlice<UInt8>)
}

public struct RtspParseError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "RTSP: \(message)" }
}

/// Incremental parser for one RTSP connection. Feed it bytes as they arrive and drain `next()` until nil.
/// After an error the connection is unusable: every later `next()` throws the same error.
public struct RtspStreamParser: Sendable {
    public let maxHeaderBytes: Int
    public let maxBodyBytes: Int
    public let maxInterleavedBytes: Int
    public static let maxHeaderCount = 128
    /// Consumed bytes are dropped from the front only once they outnumber what is left and pass this size,
    /// so compaction costs O(1) amortised per byte even with many small `$` frames.
    static let compactThreshold = 64 * 1024

    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// How far the search for the end of the current header got (relative to `readIndex`), so a header
    /// trickling in byte by byte is scanned once, not once per append.
    private var scanned = 0
    private var startLine = StartLineCheck()
    /// A parsed header whose body has not fully arrived.
    private var pending: (message: RtspMessage, headerLength: Int, bodyLength: Int)?
    private var failure: RtspParseError?

    public init(maxHeaderBytes: Int = 16384, maxBodyBytes: Int = 1 << 20, maxInterleavedBytes: Int = 65535) {
        self.maxHeaderBytes = max(64, maxHeaderBytes)
        self.maxBodyBytes = max(0, maxBodyBytes)
        self.maxInterleavedBytes = min(65535, max(0, maxInterleavedBytes))
    }

    /// Bytes received but not yet returned by `next()`.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: ArraySlice<UInt8>) {
        guard failure == nil else { return }
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) { append(bytes[...]) }

    /// Next complete input, nil if more bytes are needed; throws on malformed input (the session should be closed).
    public mutating func next() throws(RtspParseError) -> RtspInput? {
        if let failure { throw failure }
        do {
            return try parseNext()
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func parseNext() throws(RtspParseError) -> RtspInput? {
        if let p = pending { return finishBody(p) }
        if scanned == 0 {
            // Stray CR/LF between messages are tolerated (RFC 7826 20.2.2 keep-alive habit of some clients).
            while readIndex < buffer.count, buffer[readIndex] == 13 || buffer[readIndex] == 10 { readIndex += 1 }
            guard readIndex < buffer.count else { return nil }
            if buffer[readIndex] == 0x24 { return try interleaved() }
            let first = buffer[readIndex]
            guard isAsciiLetter(first) else {
                throw RtspParseError("unexpected byte 0x\(String(first, radix: 16)) where a message or $ frame should start")
            }
        }
        guard let headerLength = try findHeaderEnd() else { return nil }
        let (message, bodyLength) = try RtspHeaderParser(maxBodyBytes: maxBodyBytes, maxHeaderCount: Self.maxHeaderCount)
            .parse(buffer[readIndex..<(readIndex + headerLength)])
        scanned = 0
        startLine = StartLineCheck()
        let p = (message: message, headerLength: headerLength, bodyLength: bodyLength)
        pending = p
        return finishBody(p)
    }

    private mutating func finishBody(_ p: (message: RtspMessage, headerLength: Int, bodyLength: Int)) -> RtspInput? {
        guard bufferedByteCount >= p.headerLength + p.bodyLength else { return nil }
        var message = p.message
        if p.bodyLength > 0 {
            let start = readIndex + p.headerLength
            message.body = Array(buffer[start..<(start + p.bodyLength)])
        }
        readIndex += p.headerLength + p.bodyLength
        pending = nil
        return .message(message)
    }

    private mutating func interleaved() throws(RtspParseError) -> RtspInput? {
        guard bufferedByteCount >= 4 else { return nil }
        let channel = buffer[readIndex + 1]
        let length = Int(buffer[readIndex + 2]) << 8 | Int(buffer[readIndex + 3])
        guard length <= maxInterleavedBytes else {
            throw RtspParseError("interleaved frame of \(length) bytes exceeds \(maxInterleavedBytes)")
        }
        guard bufferedByteCount >= 4 + length else { return nil }
        let start = readIndex + 4
        readIndex = start + length
        return .interleaved(channel: channel, payload: buffer[start..<(start + length)])
    }

    /// Length of the header including its blank line, or nil if it has not all arrived.
    private mutating func findHeaderEnd() throws(RtspParseError) -> Int? {
        let base = readIndex
        let limit = min(buffer.count, base + maxHeaderBytes)
        var i = base + scanned
        while i < limit {
            let c = buffer[i]
            if !startLine.done { try startLine.feed(c) }
            if c == 10, i > base {
                if buffer[i - 1] == 10 { return i + 1 - base }
                if buffer[i - 1] == 13, i - 2 >= base, buffer[i - 2] == 10 { return i + 1 - base }
            }
            i += 1
        }
        scanned = i - base
        if buffer.count - base >= maxHeaderBytes {
            throw RtspParseError("message header exceeds \(maxHeaderBytes) bytes")
        }
        return nil
    }

    private mutating func compactIfWorthwhile() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex >= Self.compactThreshold, readIndex >= buffer.count - readIndex {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}

/// Rejects garbage as soon as the first word of a start line stops looking like a method or "RTSP/x.y",
/// instead of waiting for a whole header's worth of bytes.
private struct StartLineCheck {
    private(set) var done = false
    private var firstWordLength = 0
    private var inFirstWord = true

    mutating func feed(_ c: UInt8) throws(RtspParseError) {
        if c == 10 {
            if inFirstWord { throw RtspParseError("start line has a single word") }
            done = true
            return
        }
        if c == 127 || (c < 32 && c != 13 && c != 9) {
            throw RtspParseError("control byte 0x\(String(c, radix: 16)) in start line")
        }
        guard inFirstWord else { return }
        if c == 32 {
            inFirstWord = false
            return
        }
        firstWordLength += 1
        guard firstWordLength <= 32, isAsciiLetter(c) || (48...57).contains(c) || c == 95 || c == 45 || c == 46 || c == 47 else {
            throw RtspParseError("start line does not begin with a method or RTSP version")
        }
    }
}

@inline(__always) func isAsciiLetter(_ c: UInt8) -> Bool { (65...90).contains(c) || (97...122).contains(c) }
