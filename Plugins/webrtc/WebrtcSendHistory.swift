/// The last packets sent on one SSRC, unencrypted, for answering NACKs (RFC 4585 6.2.1) by plain retransmission:
/// a fixed ring indexed by sequence number, so memory is bounded and a lookup is one comparison.
struct WebrtcSendHistory {
    private var slots: [(sequence: UInt16, packet: [UInt8])?]

    init(capacity: Int) { slots = Array(repeating: nil, count: max(16, capacity)) }

    mutating func record(sequence: UInt16, packet: [UInt8]) {
        slots[Int(sequence) % slots.count] = (sequence, packet)
    }

    func packet(sequence: UInt16) -> [UInt8]? {
        guard let slot = slots[Int(sequence) % slots.count], slot.sequence == sequence else { return nil }
        return slot.packet
    }
}
