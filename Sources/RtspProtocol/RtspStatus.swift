/// Status codes and reason phrases (RFC 2326 7.1.1, RFC 7826 17).
public enum RtspStatus {
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 301: return "Moved Permanently"
        case 302: return "Moved Temporarily"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 413: return "Request Entity Too Large"
        case 414: return "Request-URI Too Large"
        case 415: return "Unsupported Media Type"
        case 451: return "Parameter Not Understood"
        case 453: return "Not Enough Bandwidth"
        case 454: return "Session Not Found"
        case 455: return "Method Not Valid in This State"
        case 456: return "Header Field Not Valid for Resource"
        case 457: return "Invalid Range"
        case 458: return "Parameter Is Read-Only"
        case 459: return "Aggregate Operation Not Allowed"
        case 460: return "Only Aggregate Operation Allowed"
        case 461: return "Unsupported Transport"
        case 462: return "Destination Unreachable"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "RTSP Version Not Supported"
        case 551: return "Option Not Supported"
        default: return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error"
        }
    }
}

extension RtspMessage {
    /// A response with CSeq first, as servers conventionally write it; `cseq` nil omits the header
    /// (for answering a request that had none).
    public static func response(status: Int, reason: String? = nil, cseq: Int?, headers: [(String, String)] = [], body: [UInt8] = []) -> RtspMessage {
        var all: [(name: String, value: String)] = []
        all.reserveCapacity(headers.count + 1)
        if let cseq { all.append(("CSeq", String(cseq))) }
        for (n, v) in headers { all.append((n, v)) }
        return RtspMessage(kind: .response(status: status, reason: reason ?? RtspStatus.reasonPhrase(status)), headers: all, body: body)
    }

    /// A request with CSeq first; `method` is sent as given (upper case by convention).
    public static func request(method: String, uri: String, cseq: Int, headers: [(String, String)] = [], body: [UInt8] = []) -> RtspMessage {
        var all: [(name: String, value: String)] = [("CSeq", String(cseq))]
        for (n, v) in headers { all.append((n, v)) }
        return RtspMessage(kind: .request(method: method, uri: uri), headers: all, body: body)
    }
}
