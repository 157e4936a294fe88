import Foundation
import XCTest

/// Headless Chromium driven over the DevTools protocol: the tests evaluate script in the page (clicks,
/// DOM reads, the video's playback quality) and capture screenshots while the page runs in real time, which
/// `--screenshot` with `--virtual-time-budget` cannot do for pages that poll a live server.
final class DevToolsSession {
    private let process = Process()
    private let profile: URL
    private var fd: Int32 = -1
    private var nextId = 0
    private var input: [UInt8] = []

    /// Starts Chromium on `url` with a window of `width`×`height` (and extra command-line `flags`) and attaches to its page.
    init(url: String, width: Int = 1280, height: Int = 900, flags: [String] = []) throws {
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("mr-devtools-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let logURL = profile.appendingPathComponent("chromium.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process.executableURL = URL(fileURLWithPath: ChromiumTests.chromium)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--autoplay-policy=no-user-gesture-required", "--mute-audio",
            "--remote-debugging-port=0", "--window-size=\(width),\(height)",
            "--user-data-dir=\(profile.path)", "--no-first-run", "--no-default-browser-check",
        ] + flags + [url]
        process.standardOutput = log
        process.standardError = log
        try process.run()
        // Chromium writes its chosen port here once it listens.
        let portFile = profile.appendingPathComponent("DevToolsActivePort")
        var port = 0
        guard waitUntil(timeout: 15, {
            port = Int((try? String(contentsOf: portFile, encoding: .utf8))?.split(separator: "\n").first ?? "") ?? 0
            return port > 0
        }) else { throw Self.error("Chromium did not open its DevTools port; log:\n" + ((try? String(contentsOf: logURL, encoding: .utf8)) ?? "")) }
        var pagePath = ""
        // Chromium answers HTTP/1.1 and keeps the connection open: what arrives within the timeout is the answer.
        guard waitUntil(timeout: 10, {
            guard let list = talk(port: port, "GET /json/list HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", timeout: 1),
                  let body = list.range(of: "\r\n\r\n").map({ list[$0.upperBound...] }),
                  let targets = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]],
                  let page = targets.first(where: { $0["type"] as? String == "page" }),
                  let ws = page["webSocketDebuggerUrl"] as? String, let path = URL(string: ws)?.path else { return false }
            pagePath = path
            return true
        }) else { throw Self.error("no page target in Chromium") }
        try connect(port: port, path: pagePath)
    }

    deinit { close() }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd); fd = -1 }
        if process.isRunning {
            process.terminate()
            if !waitUntil(timeout: 5, { !self.process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: profile)
    }

    // MARK: protocol

    /// Sends one command and waits for its answer's `result` (events in between are dropped).
    @discardableResult
    func send(_ method: String, _ params: [String: Any] = [:], timeout: TimeInterval = 15) throws -> [String: Any] {
        nextId += 1
        let id = nextId
        let message = try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": params])
        try writeFrame(Array(message))
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let text = try readMessage(until: deadline) else { break }
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  (object["id"] as? NSNumber)?.intValue == id else { continue }
            if let error = object["error"] as? [String: Any] { throw Self.error("\(method): \(error)") }
            return object["result"] as? [String: Any] ?? [:]
        }
        throw Self.error("\(method): no answer in \(timeout) s")
    }

    /// Evaluates an expression in the page (promises awaited) and returns its value as JSON.
    @discardableResult
    func evaluate(_ expression: String) throws -> Any? {
        let result = try send("Runtime.evaluate", ["expression": expression, "awaitPromise": true, "returnByValue": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            throw Self.error("page script failed: \((exception["exception"] as? [String: Any])?["description"] ?? exception)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// An expression's value as text, for failure messages.
    func describe(_ expression: String) -> String {
        do { return String(describing: try evaluate(expression) ?? "nil") } catch { return "\(error)" }
    }

    /// Polls an expression until it is true; false at the timeout.
    func waitFor(_ expression: String, timeout: TimeInterval) -> Bool {
        waitUntil(timeout: timeout) { ((try? self.evaluate(expression)) as? Bool) == true }
    }

    /// A PNG of the page as it is now, at a phone's size when `phone`.
    func screenshot(to path: String, phone: Bool = false) throws {
        if phone {
            try send("Emulation.setDeviceMetricsOverride", ["width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true])
            usleep(300_000)
        }
        defer { if phone { _ = try? send("Emulation.clearDeviceMetricsOverride") } }
        let result = try send("Page.captureScreenshot", ["format": "png"])
        guard let b64 = result["data"] as? String, let png = Data(base64Encoded: b64) else { throw Self.error("no screenshot data") }
        try png.write(to: URL(fileURLWithPath: path))
    }

    // MARK: WebSocket (RFC 6455), client side: masked frames out, unmasked frames in

    private func connect(port: Int, path: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else { throw Self.error("cannot connect to DevTools on \(port)") }
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let upgrade = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try writeAll(Array(upgrade.utf8))
        let deadline = Date().addingTimeInterval(10)
        while input.firstRange(of: [13, 10, 13, 10]) == nil {
            guard Date() < deadline, try fill() else { throw Self.error("no WebSocket upgrade answer") }
        }
        guard let end = input.firstRange(of: [13, 10, 13, 10]),
              String(decoding: input[..<end.lowerBound], as: UTF8.self).hasPrefix("HTTP/1.1 101") else {
            throw Self.error("WebSocket upgrade refused: \(String(decoding: input, as: UTF8.self))")
        }
        input.removeSubrange(..<end.upperBound)
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Self.error("DevTools connection closed while writing") }
            sent += n
        }
    }

    private func writeFrame(_ payload: [UInt8], opcode: UInt8 = 1) throws {
        var frame: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            frame += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        let mask: [UInt8] = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try writeAll(frame)
    }

    /// Reads more input; false when nothing arrived within the receive timeout.
    private func fill() throws -> Bool {
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        let n = recv(fd, &buf, buf.count, 0)
        if n == 0 { throw Self.error("DevTools connection closed") }
        if n < 0 { return false }
        input.append(contentsOf: buf[0..<n])
        return true
    }

    /// One whole text message (continuation frames joined), answering pings; nil at the deadline.
    private func readMessage(until deadline: Date) throws -> String? {
        var message: [UInt8] = []
        while Date() < deadline {
            guard input.count >= 2 else { _ = try fill(); continue }
            let fin = input[0] & 0x80 != 0, opcode = input[0] & 0x0F
            var length = Int(input[1] & 0x7F), offset = 2
            if length == 126 {
                guard input.count >= 4 else { _ = try fill(); continue }
                length = Int(input[2]) << 8 | Int(input[3])
                offset = 4
            } else if length == 127 {
                guard input.count >= 10 else { _ = try fill(); continue }
                length = (2..<10).reduce(0) { $0 << 8 | Int(input[$1]) }
                offset = 10
            }
            guard length >= 0, length < 1 << 28 else { throw Self.error("bad WebSocket frame length \(length)") }
            guard input.count >= offset + length else { _ = try fill(); continue }
            let payload = Array(input[offset..<(offset + length)])
            input.removeSubrange(..<(offset + length))
            switch opcode {
            case 8: throw Self.error("DevTools closed the WebSocket")
            case 9: try writeFrame(payload, opcode: 10)
            case 0, 1:
                message += payload
                if fin { return String(decoding: message, as: UTF8.self) }
            default: break
            }
        }
        return nil
    }

    private static func error(_ text: String) -> NSError {
        NSError(domain: "devtools", code: 1, userInfo: [NSLocalizedDescriptionKey: text])
    }
}
