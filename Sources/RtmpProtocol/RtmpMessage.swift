/// One RTMP message (RTMP spec 6.1) after chunk reassembly.
public struct RtmpMessage: Equatable {
    public var type: UInt8
    public var streamId: UInt32
    /// Absolute timestamp in milliseconds (32-bit, as on the wire).
    public var timestamp: UInt32
    public var payload: [UInt8]

    // Message type ids (RTMP spec 5.4, 7.1).
    public static let setChunkSize: UInt8 = 1
    public static let abort: UInt8 = 2
    public static let acknowledgement: UInt8 = 3
    public static let userControl: UInt8 = 4
    public static let windowAckSize: UInt8 = 5
    public static let setPeerBandwidth: UInt8 = 6
    public static let audio: UInt8 = 8
    public static let video: UInt8 = 9
    public static let dataAMF3: UInt8 = 15
    public static let commandAMF3: UInt8 = 17
    public static let dataAMF0: UInt8 = 18
    public static let commandAMF0: UInt8 = 20
    public static let aggregate: UInt8 = 22
}
