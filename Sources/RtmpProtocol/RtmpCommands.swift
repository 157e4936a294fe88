import MediaFormats

/// Command and status messages the server sends (RTMP spec 7.2, and what clients expect in practice).
public enum RtmpCommands {
    /// Chunk size the server announces at connect and uses for everything it sends afterwards.
    public static let outChunkSize = 4096
    public static let commandCsid: UInt32 = 3

    public static func command(_ values: [AMFValue], streamId: UInt32 = 0) -> [UInt8] {
        RtmpChunkWriter.chunks(csid: commandCsid, timestamp: 0, type: RtmpMessage.commandAMF0, streamId: streamId,
                               payload: AMF0Encoder.encode(values)[...], chunkSize: outChunkSize)
    }

    public static func data(_ values: [AMFValue], streamId: UInt32) -> [UInt8] {
        RtmpChunkWriter.chunks(csid: 5, timestamp: 0, type: RtmpMessage.dataAMF0, streamId: streamId,
                               payload: AMF0Encoder.encode(values)[...], chunkSize: outChunkSize)
    }

    public static func connectResult(transaction: Double, objectEncoding: Double) -> [UInt8] {
        command([
            .string("_result"), .number(transaction),
            .object([AMFPair("fmsVer", .string("FMS/3,0,1,123")), AMFPair("capabilities", .number(31))]),
            .object([AMFPair("level", .string("status")), AMFPair("code", .string("NetConnection.Connect.Success")),
                     AMFPair("description", .string("Connection succeeded.")),
                     AMFPair("objectEncoding", .number(objectEncoding))]),
        ])
    }

    public static func result(transaction: Double, _ value: AMFValue = .undefined) -> [UInt8] {
        command([.string("_result"), .number(transaction), .null, value])
    }

    public static func error(transaction: Double, code: String, description: String) -> [UInt8] {
        command([.string("_error"), .number(transaction), .null,
                 .object([AMFPair("level", .string("error")), AMFPair("code", .string(code)),
                          AMFPair("description", .string(description))])])
    }

    public static func onStatus(level: String = "status", code: String, description: String, streamId: UInt32 = 1) -> [UInt8] {
        command([.string("onStatus"), .number(0), .null,
                 .object([AMFPair("level", .string(level)), AMFPair("code", .string(code)),
                          AMFPair("description", .string(description))])], streamId: streamId)
    }
}
