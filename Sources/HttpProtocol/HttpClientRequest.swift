/// The requests of the HTTP clients in the plugins (HLS pull, HTTP-FLV/HTTP-TS pull), written in one place
/// so they all look the same to servers.
public enum HttpClientRequest {
    /// A GET of `url` with `Connection: close`: any HTTP/1.x server answers it (python's http.server included),
    /// and a close-delimited or chunked body both work.
    public static func get(_ url: HttpURL) -> [UInt8] {
        Array("GET \(url.target) HTTP/1.1\r\nHost: \(url.authority)\r\nUser-Agent: MediaRouter\r\nAccept: */*\r\nConnection: close\r\n\r\n".utf8)
    }
}
