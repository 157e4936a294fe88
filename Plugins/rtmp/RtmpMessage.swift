/// One RTMP message (RTMP spec 6.1) after chunk reassembly.
struct RtmpMessage: Equatable {
    var type: UInt8
    var streamId: UInt32
    /// Absolute timestamp in milliseconds (32-bit, as on the wire).
    var timestamp: UInt32
    var payload: [UInt8]

    // Message type ids (RTMP spec 5.4, 7.1).
    static let setChunkSize: UInt8 = 1
    static let abort: UInt8 = 2
    static let acknowledgement: UInt8 = 3
    static let userControl: UInt8 = 4
    static let windowAckSize: UInt8 = 5
    static let setPeerBandwidth: UInt8 = 6
    static let audio: UInt8 = 8
    static let video: UInt8 = 9
    static let dataAMF3: UInt8 = 15
    static let commandAMF3: UInt8 = 17
    static let dataAMF0: UInt8 = 18
    static let commandAMF0: UInt8 = 20
    static let aggregate: UInt8 = 22
}
