/// Cuts a program stream into its units (ISO/IEC 13818-1 2.5.3): pack headers are skipped, stream maps and
/// the PES of audio and video streams are returned whole; the system header, padding (0xBE), private
/// streams (0xBD, 0xBF) and other ids are skipped by their length. Quirks of real devices:
/// - a video PES with PES_packet_length 0 runs to the next system start code (or `flushUnbounded`);
/// - Hikvision's H.265 puts NAL units straight after a pack header, without a PES: such bytes (a start code
///   followed by a NAL header, below 0xB9) up to the next system start code come out as `rawVideo`.
/// Inside an H.264/H.265 byte stream a start code is always followed by a NAL header (< 0x80), so a start
/// code followed by 0xB9...0xFF always begins a system unit. Out of sync, bytes are skipped to the next
/// `00 00 01 BA`.
struct PsScanner: Sendable {
    enum Unit {
        case streamMap(ArraySlice<UInt8>)
        case pes(UInt8, ArraySlice<UInt8>)
        case rawVideo(ArraySlice<UInt8>)
    }

    /// An unbounded unit longer than this is dropped and the scanner resyncs.
    static let maxUnbounded = PsDemuxer.maxFrameSize

    private var buffer: [UInt8] = []
    /// Where the bytes not yet consumed begin in `buffer`. The consumed ones are dropped at the next push, not at
    /// the end of a scan: the units a scan returns are slices of the buffer, so dropping them then would copy it.
    private var start = 0
    private var synced = false
    private var errors: [String] = []
    /// Where the search for the end of an unbounded unit at `start` goes on (an index in `buffer`).
    private var searchFrom = 0

    var buffered: Int { buffer.count - start }

    mutating func takeErrors() -> [String] {
        defer { errors = [] }
        return errors
    }

    mutating func push(_ bytes: ArraySlice<UInt8>) -> [Unit] {
        if start > 0 {
            // The last scan's units are gone by now, so the buffer is changed in place.
            buffer.removeFirst(start)
            searchFrom = max(0, searchFrom - start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
        return scan(final: false)
    }

    /// Bytes were lost before what comes next: what is held is dropped and the next pack header resyncs.
    mutating func reset() {
        buffer = []
        start = 0
        synced = false
        searchFrom = 0
    }

    /// The end of the input for now (an RTP frame ended): an unbounded unit ends here.
    mutating func flushUnbounded() -> [Unit] { scan(final: true) }

    private mutating func scan(final: Bool) -> [Unit] {
        var units: [Unit] = []
        var i = start
        let b = buffer
        let end = b.count
        loop: while true {
            if !synced {
                guard let j = Self.find(b, from: i, where: { $0 == PsHeaders.packStart }) else {
                    i = max(i, end - 3)
                    break
                }
                i = j
                synced = true
            }
            guard end - i >= 4 else { break }
            let zeroLed = b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 0 && b[i + 3] == 1
            guard zeroLed || (b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1) else {
                lose("lost sync: no start code where a unit should begin", &i)
                continue
            }
            if zeroLed, end - i >= 5, b[i + 4] >= PsHeaders.endCode {
                i += 1   // a trailing zero byte before a system start code
                continue
            }
            let code = zeroLed ? 0 : b[i + 3]
            if code < PsHeaders.endCode {
                guard let next = unboundedEnd(b, from: i, final: final, &i) else { break loop }
                if next > i { units.append(.rawVideo(b[i..<next])) }
                i = next
                continue
            }
            switch code {
            case PsHeaders.packStart:
                guard let length = PsHeaders.packHeaderLength(b[i...]) else { break loop }
                guard length > 0 else {
                    lose("pack header with neither MPEG-2 nor MPEG-1 marker bits", &i)
                    continue
                }
                guard end - i >= length else { break loop }
                i += length
            case PsHeaders.endCode:
                i += 4
            default:
                guard end - i >= 6 else { break loop }
                let length = Int(b[i + 4]) << 8 | Int(b[i + 5])
                if length == 0, PsStreamTypes.isVideo(code) {
                    guard let next = unboundedEnd(b, from: i, final: final, &i) else { break loop }
                    units.append(.pes(code, b[i..<next]))
                    i = next
                    continue
                }
                guard end - i >= 6 + length else { break loop }
                let packet = b[i..<(i + 6 + length)]
                if code == PsHeaders.streamMap {
                    units.append(.streamMap(packet))
                } else if PsStreamTypes.isVideo(code) || PsStreamTypes.isAudio(code) {
                    units.append(.pes(code, packet))
                }
                i += 6 + length
            }
            searchFrom = 0
        }
        start = min(i, buffer.count)
        return units
    }

    /// The end of an unbounded unit starting at `start`: the next system start code, the buffer's end when
    /// `final`, or nil to wait for more (after dropping a unit past the bound).
    private mutating func unboundedEnd(_ b: [UInt8], from start: Int, final: Bool, _ i: inout Int) -> Int? {
        let from = max(start + 4, searchFrom)
        if let j = Self.find(b, from: from, where: { $0 >= PsHeaders.endCode }) {
            searchFrom = 0
            return j
        }
        if final {
            searchFrom = 0
            return b.count
        }
        guard b.count - start <= Self.maxUnbounded else {
            lose("unbounded unit over \(Self.maxUnbounded) bytes dropped", &i)
            i = b.count
            searchFrom = 0
            return nil
        }
        searchFrom = max(start, b.count - 3)
        return nil
    }

    private mutating func lose(_ message: String, _ i: inout Int) {
        errors.append(message)
        synced = false
        i += 1
    }

    /// The index of the next `00 00 01 xx` with `code(xx)` at or after `from`.
    private static func find(_ b: [UInt8], from: Int, where code: (UInt8) -> Bool) -> Int? {
        var j = max(0, from)
        while j + 3 < b.count {
            if b[j + 2] > 1 { j += 3; continue }
            if b[j] == 0, b[j + 1] == 0, b[j + 2] == 1, code(b[j + 3]) { return j }
            j += 1
        }
        return nil
    }
}
