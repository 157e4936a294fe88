/// The receiver's replay list (RFC 3711 3.3.2): the highest authenticated index and a 128-packet bitmap
/// behind it, libsrtp's default width, wide enough for NACK-driven retransmissions on the same SSRC.
struct SrtpReplayWindow {
    static let width: UInt64 = 128
    private(set) var highest: UInt64?
    private var seen: UInt128 = 0

    /// Checked before authentication, recorded after it, so a forged packet cannot move the window.
    func check(_ index: UInt64) -> SrtpError? {
        guard let highest, index <= highest else { return nil }
        let behind = highest - index
        guard behind < Self.width else { return .tooOld }
        return seen & (UInt128(1) << behind) != 0 ? .replayed : nil
    }

    mutating func record(_ index: UInt64) {
        guard let h = highest else {
            highest = index
            seen = 1
            return
        }
        if index > h {
            let shift = index - h
            seen = shift >= Self.width ? 1 : (seen << shift) | 1
            highest = index
        } else {
            seen |= UInt128(1) << (h - index)
        }
    }
}
