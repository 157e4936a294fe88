import MRPluginKit

/// The management API's parameters as ApiRouter reads them: a query string, and a body that is JSON or a form
/// depending on the content type. The input is `<content type selector><query>\0<body>`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzApiParams(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = bytes.first else { return 0 }
    let rest = bytes.dropFirst()
    let zero = rest.firstIndex(of: 0) ?? rest.endIndex
    let query = String(decoding: rest[..<zero], as: UTF8.self)
    let body = Array(rest[zero...].dropFirst())
    let types = ["", "application/json", "application/x-www-form-urlencoded", "text/plain; charset=utf-8"]
    guard let params = ApiEndpoint.parameters(query: query, body: body, contentType: types[Int(selector) % types.count]) else { return 0 }
    // What ApiCall does with them: integers and booleans as text.
    for (_, value) in params {
        _ = Int(value)
        _ = value.lowercased() == "true"
    }
    _ = ApiEndpoint.isLoopback(params["peer"] ?? "")
    return 0
}
