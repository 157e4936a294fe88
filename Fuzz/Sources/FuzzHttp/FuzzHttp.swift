import Foundation
import HttpProtocol

/// HTTP/1.1 as httpmux serves it and the HLS/HTTP-FLV pulls read it. Odd first byte: the request parser, with
/// everything httpmux reads from a request (live URL, range, WebSocket upgrade, query) and the static-file
/// resolver, which must never resolve a path outside its root (a symlink in the root points out of it). Even:
/// the response parser, with HEAD's no-body rule from the second bit, its body taken as a streaming client does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHttp(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let body = bytes.dropFirst()
    if first & 1 == 1 {
        var parser = HttpRequestParser(maxBodyBytes: 16384)
        body.withUnsafeBytes { parser.feed($0) }
        while let request = try? parser.next() { inspect(request) }
    } else {
        var parser = HttpResponseParser(maxBodyBytes: 16384)
        parser.expectsNoBody = first & 2 != 0
        let half = body.count / 2
        for piece in [body.prefix(half), body.dropFirst(half)] {
            parser.feed(piece)
            while let response = try? parser.next() {
                _ = response.header("Content-Type")
                _ = parser.takeBody()
            }
        }
        _ = try? parser.finish()
    }
    return 0
}

private func inspect(_ r: HttpRequest) {
    _ = r.keepAlive
    if r.isWebSocketUpgrade, let key = r.header("Sec-WebSocket-Key") { _ = WebSocket.acceptKey(key) }
    _ = LiveURL(path: r.path, query: r.query)
    _ = r.queryParameter("secret")
    _ = StaticFiles.range(r.header("Range"), size: 1000)
    _ = HttpURL("http://h" + r.target)
    guard let files = StaticFiles(root: webRoot) else { return }
    switch files.resolve(r.path) {
    case .file(let path, _), .directory(let path, _):
        guard path == files.root || path.hasPrefix(files.root + "/") else { fatalError("\(r.path) resolved outside the root: \(path)") }
    case .notFound, .forbidden: break
    }
}

/// A web root with a file, a folder and a symlink out of the root, made once per process.
private let webRoot: String = {
    let root = NSTemporaryDirectory() + "mediarouter-fuzz-root-\(getpid())"
    try? FileManager.default.createDirectory(atPath: root + "/live", withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: root + "/live/index.m3u8", contents: Data("#EXTM3U\n".utf8))
    try? FileManager.default.createSymbolicLink(atPath: root + "/out", withDestinationPath: "/etc")
    return root
}()
