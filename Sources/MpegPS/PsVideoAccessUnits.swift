import MediaFormats

/// Cuts one H.264 or H.265 stream's PES payloads into access units by their NAL units, as a program stream
/// demuxer must when the PES are not aligned to frames: ffmpeg's `-f mpeg` fills 2 KiB packets, so a PES may
/// begin with the tail of one frame, hold several small frames, or a frame may span many PES. A PTS applies
/// to the first access unit that begins in its PES (ISO/IEC 13818-1 2.4.3.7); one without a PTS gets the last
/// one plus the last frame interval. An access unit ends where the next one begins (H.264 7.4.1.2.3, H.265
/// 7.4.2.4.4), or at `flush` (the RTP marker of a device that sends one frame per RTP timestamp).
struct PsVideoAccessUnits: Sendable {
    struct Unit: Equatable {
        var data: [UInt8]
        var pts: Int64?
        var dts: Int64?
    }

    private let h265: Bool
    private let maxSize: Int
    private var buffer: [UInt8] = []
    /// Where the scan for the next start code resumes.
    private var scanFrom = 0
    /// Whether the buffer begins at a start code (else its first bytes are the tail of a unit already gone:
    /// cut short by the size bound or ended by `flush`) and whether that unit has a slice yet (a new unit
    /// can only begin after one).
    private var headStarted = false
    private var hasSlice = false
    /// After a loss the head waits for a NAL unit that begins an access unit: slices of a frame that lost its
    /// start are dropped, not sent as a frame.
    private var damaged = false
    /// The PES that began in the buffer: the offset of its payload and its timestamps.
    private var stamps: [(offset: Int, pts: Int64, dts: Int64?)] = []
    private var current: (pts: Int64, dts: Int64?)?
    private var lastPts: Int64?
    private var interval: Int64 = 40_000
    private(set) var oversized = 0

    init(h265: Bool, maxSize: Int) {
        self.h265 = h265
        self.maxSize = maxSize
    }

    var buffered: Int { buffer.count }

    /// One PES payload; `pts` and `dts` in microseconds.
    mutating func push(_ payload: ArraySlice<UInt8>, pts: Int64?, dts: Int64?) -> [Unit] {
        if let pts {
            if buffer.isEmpty { current = (pts, dts) } else { stamps.append((buffer.count, pts, dts)) }
        }
        guard buffer.count + payload.count <= maxSize else {
            oversized += 1
            drop()
            return []
        }
        buffer.append(contentsOf: payload)
        return scan()
    }

    /// Bytes that continue the unit being gathered (Hikvision's NAL units outside a PES).
    mutating func append(_ bytes: ArraySlice<UInt8>) -> [Unit] { push(bytes, pts: nil, dts: nil) }

    /// Bytes were lost (or the unit outgrew the bound): the unit being gathered is dropped.
    mutating func drop() {
        buffer = []
        stamps = []
        scanFrom = 0
        headStarted = false
        hasSlice = false
        current = nil
        damaged = true
    }

    /// The unit gathered so far is complete.
    mutating func flush() -> [Unit] {
        var out = scan()
        if hasSlice {
            out += [take(buffer.count)].compactMap { $0 }
        } else if !headStarted {
            _ = take(buffer.count, discarding: true)
        }
        return out
    }

    private mutating func scan() -> [Unit] {
        var out: [Unit] = []
        let need = h265 ? 6 : 5   // start code and the header bytes that say whether a unit begins
        var j = scanFrom
        while j + need <= buffer.count {
            guard let at = buffer.withUnsafeBufferPointer({ NalUnits.nextStartCode($0, from: j) }), at + need <= buffer.count else {
                // No start code with its header bytes here yet: the next push resumes where one could begin.
                j = max(j, buffer.count - need + 1)
                break
            }
            j = at
            let (begins, slice) = classify(j + 3)
            let lead = j > 0 && buffer[j - 1] == 0 ? j - 1 : j
            if !headStarted {
                if damaged, !begins {
                    j += 3
                    continue
                }
                if lead > 0 { _ = take(lead, discarding: true) }
                headStarted = true
                damaged = false
                j -= lead
            }
            if begins, hasSlice {
                // A four-byte start code's leading zero goes with the next unit.
                if let u = take(lead) { out.append(u) }
                headStarted = true
                j = 3 + (j - lead)
            } else {
                j += 3
            }
            if slice { hasSlice = true }
        }
        scanFrom = j
        return out
    }

    /// Whether the NAL unit with its header at `h` begins an access unit (when one with a slice is open), and
    /// whether it is a slice.
    private func classify(_ h: Int) -> (begins: Bool, slice: Bool) {
        if h265 {
            let type = (buffer[h] >> 1) & 0x3F
            if type < 32 { return (buffer[h + 2] & 0x80 != 0, true) }
            return ((32...35).contains(type) || type == 39 || (41...44).contains(type) || (48...55).contains(type), false)
        }
        let type = buffer[h] & 0x1F
        if type == 1 || type == 5 { return (buffer[h + 1] & 0x80 != 0, true) }
        return ((6...9).contains(type) || (14...18).contains(type), false)
    }

    /// The unit of the buffer's first `count` bytes, with its timestamps; the rest stays and begins the next.
    /// `discarding`: the bytes are a tail, not a unit, and the PTS that came with them stays for the next.
    private mutating func take(_ count: Int, discarding: Bool = false) -> Unit? {
        let stamp = current
        // The next unit begins at `count`: it is the first to begin in the last PES that began after this
        // unit's start, up to there, so that PES's PTS is its own.
        let next = stamps.last { $0.offset > 0 && $0.offset <= count }.map { ($0.pts, $0.dts) }
        current = discarding ? next ?? current : next
        // In place: a filtered and mapped copy allocated two arrays per unit.
        stamps.removeAll { $0.offset <= count }
        for i in stamps.indices { stamps[i].offset -= count }
        var data: [UInt8] = []
        if count == buffer.count {
            // The whole buffer (a flush at the marker): handed over rather than copied, and the next unit's
            // buffer made at this one's size at once rather than grown to it.
            swap(&data, &buffer)
            buffer.reserveCapacity(data.count)
        } else {
            data = Array(buffer[..<count])
            buffer.removeFirst(count)
        }
        scanFrom = 0
        headStarted = false
        hasSlice = false
        if discarding { return nil }
        var pts = stamp?.pts
        var dts = stamp?.dts
        if let p = pts, let last = lastPts, p > last { interval = min(p - last, 1_000_000) }
        if pts == nil, let last = lastPts {
            pts = last + interval
            dts = pts
        }
        lastPts = pts ?? lastPts
        return data.isEmpty ? nil : Unit(data: data, pts: pts, dts: dts)
    }
}
