/// Response heads (RFC 9110 status codes, RFC 9112 framing).
public enum HttpResponse {
    public static func reason(_ status: Int) -> String {
        switch status {
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 301: return "Moved Permanently"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 413: return "Content Too Large"
        case 416: return "Range Not Satisfiable"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status"
        }
    }

    public static func head(status: Int, headers: [(String, String)], cors: Bool) -> [UInt8] {
        var s = "HTTP/1.1 \(status) \(reason(status))\r\nServer: MediaRouter\r\n"
        for (k, v) in headers { s += "\(k): \(v)\r\n" }
        if cors && !headers.contains(where: { $0.0.lowercased() == "access-control-allow-origin" }) {
            s += "Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Credentials: true\r\n"
        }
        s += "\r\n"
        return Array(s.utf8)
    }

    /// A small complete response (errors, redirects, API answers).
    public static func simple(status: Int, body: String, contentType: String = "text/plain; charset=utf-8", keepAlive: Bool,
                       cors: Bool, extra: [(String, String)] = []) -> [UInt8] {
        let bytes = Array(body.utf8)
        var headers = [("Content-Type", contentType), ("Content-Length", String(bytes.count)),
                       ("Connection", keepAlive ? "keep-alive" : "close")]
        headers += extra
        return head(status: status, headers: headers, cors: cors) + bytes
    }
}
