/// What differs between the H.264 (RFC 6184) and H.265 (RFC 7798) payload formats. Both build on the same
/// three packet kinds (single NAL unit, aggregation, fragmentation), so one packetizer and one assembler serve both.
protocol NalRtpFormat: Sendable {
    /// Bytes of the NAL unit header (1 for H.264, 2 for H.265).
    static var nalHeaderSize: Int { get }
    /// Bytes before the first aggregation unit of a STAP-A / AP.
    static var aggregationHeaderSize: Int { get }
    /// Bytes before the fragment data of an FU-A / FU.
    static var fragmentHeaderSize: Int { get }

    /// Appends the STAP-A / AP header computed from the aggregated units' headers.
    static func appendAggregationHeader(for nals: ArraySlice<ArraySlice<UInt8>>, to out: inout [UInt8])
    /// Appends the FU-A / FU headers for a fragment of `nal` (whose header is still in place).
    static func appendFragmentHeader(of nal: ArraySlice<UInt8>, start: Bool, end: Bool, to out: inout [UInt8])

    /// NAL unit type from the first header byte.
    static func nalType(_ firstByte: UInt8) -> UInt8
    /// A picture decodable without earlier ones: IDR (H.264), IRAP (H.265).
    static func isKey(_ type: UInt8) -> Bool
    static func isParameterSet(_ type: UInt8) -> Bool
    /// Whether a NAL unit of this type, whose payload begins with `firstPayloadByte`, can only open an access unit
    /// (H.264 7.4.1.2.3, H.265 7.4.2.4.4): lets the assembler trust the first unit after a loss.
    static func beginsAccessUnit(type: UInt8, firstPayloadByte: UInt8?) -> Bool
}
