/// Collects the NAL units of one access unit into the bus format (4-byte lengths) as the H.264 / H.265
/// depacketizers parse packets, and decides when a unit is complete and whether it can be trusted.
///
/// A unit closes on the marker bit or when a packet with another timestamp arrives. It is dropped, never delivered
/// half-built, when a loss hit it, a fragment never ended, a packet in it was malformed, or it outgrew `maxUnitSize`.
struct NalUnitAssembler<Format: NalRtpFormat>: Sendable {
    static var maxUnitSize: Int { 8 << 20 }
    /// In-band parameter sets bigger than this are delivered in the unit but not reported: no real one comes close.
    static var maxParameterSetSize: Int { 65535 }   // avcC and hvcC store lengths in 16 bits
    /// Reported parameter sets nobody took are capped so an ignored depacketizer cannot grow without bound.
    static var maxPendingParameterSets: Int { 16 }

    private var data: [UInt8] = []
    /// Timestamp of the unit being assembled; nil between units.
    private var open: UInt32?
    private var damaged = false
    /// Offset in `data` of the length prefix of a NAL unit still arriving in fragments.
    private var fragmentStart: Int?
    /// After a loss (and at the start) the next unit may lack its beginning; it is kept only if its first NAL
    /// unit can only start an access unit.
    private var awaitingStart = true
    private var lastParameterSets: [UInt8: [UInt8]] = [:]
    private var newParameterSets: [[UInt8]] = []
    private(set) var droppedUnits = 0

    var bufferedBytes: Int { data.count }

    /// Starts processing a packet: closes the previous unit if the timestamp moved on.
    mutating func begin(timestamp: UInt32, beginsAccessUnit: Bool, into out: inout [RtpAccessUnit]) {
        if let current = open, current != timestamp { close(into: &out) }
        if open == nil {
            open = timestamp
            if awaitingStart {
                damaged = !beginsAccessUnit
                awaitingStart = false
            }
        }
    }

    /// Finishes processing a packet: the marker closes the unit, and whatever follows it starts a fresh one.
    mutating func end(marker: Bool, into out: inout [RtpAccessUnit]) {
        guard marker else { return }
        close(into: &out)
        awaitingStart = false
    }

    mutating func lost() {
        if open != nil { markDamaged() }
        fragmentStart = nil
        awaitingStart = true
    }

    /// A packet of the current unit was malformed or unusable.
    mutating func markDamaged() {
        damaged = true
        fragmentStart = nil
        release()
    }

    /// Appends one complete NAL unit.
    mutating func appendNal(_ nal: ArraySlice<UInt8>) {
        guard !damaged else { return }
        // A new NAL unit while a fragmented one is still open means its end fragment never came.
        guard fragmentStart == nil else { return markDamaged() }
        guard !nal.isEmpty, reserve(4 + nal.count) else { return }
        appendLength(nal.count)
        data.append(contentsOf: nal)
    }

    /// Opens a fragmented NAL unit whose header was rebuilt from the fragmentation headers.
    mutating func startFragment(header: some Collection<UInt8>, data fragment: ArraySlice<UInt8>) {
        guard !damaged else { return }
        guard fragmentStart == nil else { return markDamaged() }
        guard reserve(4 + header.count + fragment.count) else { return }
        fragmentStart = data.count
        appendLength(0)
        data.append(contentsOf: header)
        data.append(contentsOf: fragment)
    }

    /// Adds a middle or end fragment; the end fragment completes the NAL unit.
    mutating func continueFragment(_ fragment: ArraySlice<UInt8>, end: Bool) {
        guard !damaged else { return }
        // Without the start fragment the NAL unit cannot be rebuilt.
        guard let start = fragmentStart else { return markDamaged() }
        guard reserve(fragment.count) else { return }
        data.append(contentsOf: fragment)
        guard end else { return }
        let length = data.count - start - 4
        for k in 0..<4 { data[start + k] = UInt8(truncatingIfNeeded: length >> (24 - 8 * k)) }
        fragmentStart = nil
    }

    mutating func takeParameterSets() -> [[UInt8]] {
        defer { newParameterSets = [] }
        return newParameterSets
    }

    private mutating func reserve(_ count: Int) -> Bool {
        guard data.count + count <= Self.maxUnitSize else {
            markDamaged()
            return false
        }
        return true
    }

    private mutating func appendLength(_ n: Int) {
        for shift in stride(from: 24, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: n >> shift)) }
    }

    private mutating func close(into out: inout [RtpAccessUnit]) {
        defer {
            open = nil
            damaged = false
            fragmentStart = nil
        }
        guard let timestamp = open else { return }
        guard !damaged, fragmentStart == nil, !data.isEmpty else {
            droppedUnits += 1
            release()
            return
        }
        let key = scan()
        let unit = data
        data = []
        data.reserveCapacity(unit.count)
        out.append(RtpAccessUnit(timestamp: timestamp, key: key, data: unit))
    }

    /// Empties the unit, giving back memory a huge (possibly hostile) unit took.
    private mutating func release() {
        if data.capacity > 1 << 20 { data = [] } else { data.removeAll(keepingCapacity: true) }
    }

    /// Walks the finished unit once: is it a key unit, and which parameter sets changed.
    private mutating func scan() -> Bool {
        var key = false
        var i = 0
        while data.count - i >= 4 {
            let length = Int(data[i]) << 24 | Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3])
            i += 4
            guard length > 0, length <= data.count - i else { break }
            let type = Format.nalType(data[i])
            if Format.isKey(type) { key = true }
            if Format.isParameterSet(type) && length <= Self.maxParameterSetSize {
                let nal = data[i..<(i + length)]
                if lastParameterSets[type].map({ $0[...] == nal }) != true {
                    let copy = Array(nal)
                    lastParameterSets[type] = copy
                    if newParameterSets.count == Self.maxPendingParameterSets { newParameterSets.removeFirst() }
                    newParameterSets.append(copy)
                }
            }
            i += length
        }
        return key
    }
}
