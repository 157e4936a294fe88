import HttpProtocol
import PluginABI
#if canImport(Glibc)
import Glibc
#endif

/// A parsed request as the ABI's `mr_http_request`, valid for the duration of one call.
enum CRequest {
    /// `method` overrides the request's (HEAD is dispatched as GET; the connection drops the body).
    static func with(_ r: HttpRequest, peer: String, loop: Int32, method: String? = nil, _ body: (UnsafePointer<mr_http_request>) -> Int32) -> Int32 {
        // strdup'd copies: the header array needs stable pointers for all fields at once.
        var owned: [UnsafeMutablePointer<CChar>] = []
        defer { owned.forEach { free($0) } }
        func c(_ s: String) -> UnsafePointer<CChar> {
            let p = strdup(s)!
            owned.append(p)
            return UnsafePointer(p)
        }
        var headers = r.headers.map { mr_http_header(name: c($0.name), value: c($0.value)) }
        var req = mr_http_request()
        req.size = UInt32(MemoryLayout<mr_http_request>.size)
        req.method = c(method ?? r.method)
        req.path = c(r.path)
        req.query = c(r.query)
        req.peer = c(peer)
        req.loop = loop
        req.is_websocket = 0
        return headers.withUnsafeMutableBufferPointer { h in
            req.headers = UnsafePointer(h.baseAddress)
            req.header_count = h.count
            return r.body.withUnsafeBufferPointer { b in
                req.body = b.baseAddress
                req.body_len = b.count
                return body(&req)
            }
        }
    }
}
