import MediaFormats

/// CRC-32/MPEG-2 (polynomial 0x04C11DB7, initial value all ones, no reflection, no final XOR): the CRC_32 field of
/// every long-form PSI section (ISO/IEC 13818-1 Annex A). Over a section including its CRC it yields 0.
package enum Crc32Mpeg2 {
    static let table: [UInt32] = (0..<256).map { i in
        var c = UInt32(i) << 24
        for _ in 0..<8 { c = c & 0x8000_0000 != 0 ? (c << 1) ^ 0x04C1_1DB7 : c << 1 }
        return c
    }

    package static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = (crc << 8) ^ table[Int((crc >> 24) ^ UInt32(b))] }
        return crc
    }
}

/// The PAT and PMT this library writes: one program (number 1, transport_stream_id 1, version 0), as FFmpeg does,
/// so players that only look at the first program find it.
enum TsPsi {
    static let transportStreamId: UInt16 = 1
    static let programNumber: UInt16 = 1

    struct Stream: Equatable {
        var streamType: UInt8
        var pid: UInt16
        var descriptors: [UInt8]
    }

    static func pat(pmtPid: UInt16) -> [UInt8] {
        var w = ByteWriter()
        w.u8(0x00)                               // table_id: program_association_section
        w.u16(0xB000 | 13)                       // section_syntax_indicator, '0', reserved, section_length
        w.u16(transportStreamId)
        w.u8(0xC1)                               // reserved, version 0, current_next_indicator
        w.u8(0)                                  // section_number
        w.u8(0)                                  // last_section_number
        w.u16(programNumber)
        w.u16(0xE000 | pmtPid)
        return withCrc(w.bytes)
    }

    static func pmt(pcrPid: UInt16, streams: [Stream]) -> [UInt8] {
        let length = 9 + streams.reduce(0) { $0 + 5 + $1.descriptors.count } + 4
        var w = ByteWriter()
        w.u8(0x02)                               // table_id: TS_program_map_section
        w.u16(0xB000 | UInt16(length))
        w.u16(programNumber)
        w.u8(0xC1)
        w.u8(0)
        w.u8(0)
        w.u16(0xE000 | pcrPid)
        w.u16(0xF000)                            // program_info_length 0
        for s in streams {
            w.u8(s.streamType)
            w.u16(0xE000 | s.pid)
            w.u16(0xF000 | UInt16(s.descriptors.count))
            w.append(s.descriptors)
        }
        return withCrc(w.bytes)
    }

    private static func withCrc(_ section: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: section.count + 4)
        w.append(section)
        w.u32(Crc32Mpeg2.checksum(section))
        return w.bytes
    }
}

/// A long-form section (section_syntax_indicator 1) whose length and CRC have been checked (2.4.4.10).
struct TsSection {
    let tableId: UInt8
    let tableIdExtension: UInt16
    let version: UInt8
    let currentNext: Bool
    /// Between the 8-byte header and the CRC.
    let body: ArraySlice<UInt8>

    init?(_ bytes: ArraySlice<UInt8>) {
        var r = ByteReader(bytes)
        guard let tableId = r.u8(), let flagsLength = r.u16(), flagsLength & 0x8000 != 0 else { return nil }
        let length = Int(flagsLength & 0x0FFF)
        guard length >= 9, r.remaining >= length, Crc32Mpeg2.checksum(bytes.prefix(3 + length)) == 0,
              let ext = r.u16(), let version = r.u8(), r.u16() != nil else { return nil }
        self.tableId = tableId
        self.tableIdExtension = ext
        self.version = (version >> 1) & 0x1F
        self.currentNext = version & 1 != 0
        let start = bytes.startIndex + 8
        body = bytes[start..<(bytes.startIndex + 3 + length - 4)]
    }
}

/// The first program of a PAT (program_number 0 is the network PID, not a program).
func tsFirstProgramPid(pat: TsSection) -> UInt16? {
    var r = ByteReader(pat.body)
    while let number = r.u16(), let pid = r.u16() {
        if number != 0 { return pid & 0x1FFF }
    }
    return nil
}

/// A parsed TS_program_map_section (2.4.4.8).
struct TsProgramMap: Equatable {
    struct Entry: Equatable {
        var streamType: UInt8
        var pid: UInt16
        var descriptors: ArraySlice<UInt8>
    }

    var pcrPid: UInt16
    var programDescriptors: ArraySlice<UInt8>
    var entries: [Entry]

    init?(_ section: TsSection) {
        guard section.tableId == 0x02 else { return nil }
        var r = ByteReader(section.body)
        guard let pcr = r.u16(), let infoLength = r.u16(), let info = r.take(Int(infoLength & 0x0FFF)) else { return nil }
        pcrPid = pcr & 0x1FFF
        programDescriptors = info
        entries = []
        while !r.isAtEnd {
            guard let type = r.u8(), let pid = r.u16(), let length = r.u16(),
                  let descriptors = r.take(Int(length & 0x0FFF)) else { return nil }
            entries.append(Entry(streamType: type, pid: pid & 0x1FFF, descriptors: descriptors))
        }
    }
}

/// Collects the sections of one PID across packets: pointer_field, sections spanning packets, several sections in
/// one packet, 0xFF stuffing (2.4.4.1-2.4.4.2).
struct TsSectionAssembler {
    /// PAT and PMT sections may not exceed 1024 bytes (section_length <= 1021); anything longer is corrupt.
    static let maxSectionLength = 1021

    private var buffer: [UInt8] = []
    private var active = false

    /// Returns the complete sections (length checked, CRC not yet). `errors` counts sections abandoned half-way.
    mutating func push(_ payload: ArraySlice<UInt8>, unitStart: Bool, errors: inout Int) -> [[UInt8]] {
        var sections: [[UInt8]] = []
        var data = payload
        if unitStart {
            guard let pointer = data.first else { reset(); return [] }
            data = data.dropFirst()
            guard Int(pointer) <= data.count else { errors += 1; reset(); return [] }
            if active {
                buffer.append(contentsOf: data.prefix(Int(pointer)))
                drain(into: &sections, errors: &errors)
                if active { errors += 1 }   // the previous section never completed
            }
            reset()
            active = true
            data = data.dropFirst(Int(pointer))
        } else if !active {
            return []
        }
        buffer.append(contentsOf: data)
        drain(into: &sections, errors: &errors)
        return sections
    }

    private mutating func drain(into sections: inout [[UInt8]], errors: inout Int) {
        while active, buffer.count >= 3 {
            if buffer[0] == 0xFF { reset(); return }   // stuffing: no more sections in this packet
            let length = Int(buffer[1] & 0x0F) << 8 | Int(buffer[2])
            guard length <= Self.maxSectionLength else { errors += 1; reset(); return }
            guard buffer.count >= 3 + length else { return }
            sections.append(Array(buffer[0..<(3 + length)]))
            buffer.removeFirst(3 + length)
        }
        // Emptied at a packet's end: the next section must come with payload_unit_start.
        if buffer.isEmpty || buffer.first == 0xFF { reset() }
    }

    private mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        active = false
    }
}
