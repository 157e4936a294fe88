import HttpProtocol

/// WebSocket client frames as the WebSocket-FLV/TS players send them: parsed from a buffer that grows by
/// reads of a size the first byte sets, as httpmux accumulates them, with its payload cap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocket(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let readSize = 1 + Int(first)
    var buffer: [UInt8] = []
    var rest = bytes.dropFirst()
    while !rest.isEmpty {
        buffer += rest.prefix(readSize)
        rest = rest.dropFirst(readSize)
        buffer.withUnsafeBytes { _ = WebSocket.headerLength($0) }
        do {
            _ = try WebSocket.parse(&buffer, maxPayload: 4096)
        } catch {
            return 0
        }
    }
    return 0
}
