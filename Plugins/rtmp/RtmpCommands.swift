import MediaFormats

/// Command and status messages the server sends (RTMP spec 7.2, and what clients expect in practice).
enum RtmpCommands {
    /// Chunk size the server announces at connect and uses for everything it sends afterwards.
    static let outChunkSize = 4096
    static let commandCsid: UInt32 = 3

    static func command(_ values: [AMFValue], streamId: UInt32 = 0) -> [UInt8] {
        RtmpChunkWriter.chunks(csid: commandCsid, timestamp: 0, type: RtmpMessage.commandAMF0, streamId: streamId,
                               payload: AMF0Encoder.encode(values)[...], chunkSize: outChunkSize)
    }

    static func data(_ values: [AMFValue], streamId: UInt32) -> [UInt8] {
        RtmpChunkWriter.chunks(csid: 5, timestamp: 0, type: RtmpMessage.dataAMF0, streamId: streamId,
                               payload: AMF0Encoder.encode(values)[...], chunkSize: outChunkSize)
    }

    static func connectResult(transaction: Double, objectEncoding: Double) -> [UInt8] {
        command([
            .string("_result"), .number(transaction),
            .object([AMFPair("fmsVer", .string("FMS/3,0,1,123")), AMFPair("capabilities", .number(31))]),
            .object([AMFPair("level", .string("status")), AMFPair("code", .string("NetConnection.Connect.Success")),
                     AMFPair("description", .string("Connection succeeded.")),
                     AMFPair("objectEncoding", .number(objectEncoding))]),
        ])
    }

    static func result(transaction: Double, _ value: AMFValue = .undefined) -> [UInt8] {
        command([.string("_result"), .number(transaction), .null, value])
    }

    static func error(transaction: Double, code: String, description: String) -> [UInt8] {
        command([.string("_error"), .number(transaction), .null,
                 .object([AMFPair("level", .string("error")), AMFPair("code", .string(code)),
                          AMFPair("description", .string(description))])])
    }

    static func onStatus(level: String = "status", code: String, description: String, streamId: UInt32 = 1) -> [UInt8] {
        command([.string("onStatus"), .number(0), .null,
                 .object([AMFPair("level", .string(level)), AMFPair("code", .string(code)),
                          AMFPair("description", .string(description))])], streamId: streamId)
    }
}
