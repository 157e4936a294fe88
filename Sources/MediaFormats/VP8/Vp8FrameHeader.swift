/// The uncompressed start of a VP8 frame (RFC 6386 9.1): the 3-byte frame tag and, on a key frame, the start
/// code and the picture size. A forwarder needs no more: the key flag for the bus, the size for the track.
public struct Vp8FrameHeader: Sendable, Equatable {
    public var key: Bool
    /// Key frames only (0 otherwise): the 14-bit sizes; the 2-bit upscaling hints are left out.
    public var width: Int
    public var height: Int

    static let startCode: [UInt8] = [0x9D, 0x01, 0x2A]

    /// Nil when the frame is shorter than its tag, or a key frame lacks its start code or size.
    public init?(_ frame: ArraySlice<UInt8>) {
        guard frame.count >= 3 else { return nil }
        let s = frame.startIndex
        // The frame tag's lowest bit is 0 for a key frame.
        key = frame[s] & 1 == 0
        guard key else {
            (width, height) = (0, 0)
            return
        }
        guard frame.count >= 10, frame[(s + 3)..<(s + 6)].elementsEqual(Self.startCode) else { return nil }
        width = (Int(frame[s + 6]) | Int(frame[s + 7]) << 8) & 0x3FFF
        height = (Int(frame[s + 8]) | Int(frame[s + 9]) << 8) & 0x3FFF
    }
}
