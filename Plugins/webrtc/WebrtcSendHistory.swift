/// The last packets sent on one SSRC, unencrypted, for answering NACKs (RFC 4585 6.2.1) by plain retransmission:
/// a fixed ring indexed by sequence number, so memory is bounded and a lookup is one comparison. Each slot
/// keeps its buffer: once the ring has gone round, recording a packet copies it without allocating.
struct WebrtcSendHistory {
    private var sequences: [UInt16]
    private var packets: [[UInt8]]

    init(capacity: Int) {
        let n = max(16, capacity)
        sequences = Array(repeating: 0, count: n)
        packets = Array(repeating: [], count: n)
    }

    mutating func record(sequence: UInt16, packet: [UInt8]) {
        let i = Int(sequence) % packets.count
        sequences[i] = sequence
        packets[i].removeAll(keepingCapacity: true)
        packets[i].append(contentsOf: packet)
    }

    func packet(sequence: UInt16) -> [UInt8]? {
        let i = Int(sequence) % packets.count
        guard sequences[i] == sequence, !packets[i].isEmpty else { return nil }
        return packets[i]
    }
}
