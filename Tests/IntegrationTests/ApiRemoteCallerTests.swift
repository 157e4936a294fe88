import Foundation
import XCTest

/// The API secret as a caller on another address sees it: the server runs in a network namespace of the
/// test's own whose lo also carries a non-loopback address, so curl can call it from 127.0.0.1 and from an
/// address `[api] loopback_exempt` must not exempt. Nothing leaves the namespace.
final class ApiRemoteCallerTests: XCTestCase {
    /// TEST-NET-1 (RFC 5737): documentation-only, routed nowhere, and here only on the namespace's lo.
    static let remote = "192.0.2.1"

    private func serverInNamespace(api: String) throws -> (NetworkNamespace, ServerProcess, Int) {
        try XCTSkipUnless(NetworkNamespace.available, "needs root, unshare, nsenter and ip")
        let ns = try NetworkNamespace()
        let (status, out) = try ns.run(["/usr/sbin/ip", "addr", "add", "\(Self.remote)/32", "dev", "lo"])
        XCTAssertEqual(status, 0, out)
        let http = freePort()
        let s = try ServerProcess(config: "[httpmux]\nport = \(http)\n[api]\n\(api)\n")
        s.launcher = ns.launcher
        try s.start()
        XCTAssertTrue(waitUntil { (try? self.call(ns, http, from: "127.0.0.1", "secret=s3cret"))?["code"] != nil }, s.log)
        return (ns, s, http)
    }

    /// getServerConfig (it answers the secret itself, so it must be guarded) called from `source` to `source`.
    private func call(_ ns: NetworkNamespace, _ http: Int, from source: String, _ query: String) throws -> [String: Any] {
        let (_, out) = try ns.run(["/usr/bin/curl", "-s", "--max-time", "5", "--interface", source,
                                   "http://\(source):\(http)/index/api/getServerConfig?\(query)"], timeout: 10)
        return (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? ["unparsed": out]
    }

    func testSecretRequiredFromNonLoopbackAddressEvenWhenLoopbackIsExempt() throws {
        let (ns, s, http) = try serverInNamespace(api: "secret = \"s3cret\"")
        defer { s.stop(); ns.close() }
        XCTAssertEqual(try call(ns, http, from: "127.0.0.1", "")["code"] as? Int, 0, "loopback_exempt defaults to true")
        XCTAssertEqual(try call(ns, http, from: Self.remote, "")["code"] as? Int, -100)
        XCTAssertEqual(try call(ns, http, from: Self.remote, "secret=wrong")["code"] as? Int, -100)
        XCTAssertEqual(try call(ns, http, from: Self.remote, "secret=s3cre")["code"] as? Int, -100, "a prefix is not the secret")
        let allowed = try call(ns, http, from: Self.remote, "secret=s3cret")
        XCTAssertEqual(allowed["code"] as? Int, 0, "\(allowed)")
        XCTAssertNotNil(allowed["data"], "\(allowed)")
        XCTAssertTrue(s.log.contains("API getServerConfig from \(Self.remote)"), "the refusal names the caller: \(s.log)")
    }

    func testLoopbackNeedsTheSecretWhenNotExemptAndNoSecretMeansLoopbackOnly() throws {
        do {
            let (ns, s, http) = try serverInNamespace(api: "secret = \"s3cret\"\nloopback_exempt = false")
            defer { s.stop(); ns.close() }
            XCTAssertEqual(try call(ns, http, from: "127.0.0.1", "")["code"] as? Int, -100)
            XCTAssertEqual(try call(ns, http, from: "127.0.0.1", "secret=s3cret")["code"] as? Int, 0)
            XCTAssertEqual(try call(ns, http, from: Self.remote, "secret=s3cret")["code"] as? Int, 0)
        }
        // No secret at all: the API reconfigures the server, so only this host may call it.
        let (ns, s, http) = try serverInNamespace(api: "secret = \"\"")
        defer { s.stop(); ns.close() }
        XCTAssertEqual(try call(ns, http, from: "127.0.0.1", "")["code"] as? Int, 0)
        XCTAssertEqual(try call(ns, http, from: Self.remote, "")["code"] as? Int, -100)
        XCTAssertEqual(try call(ns, http, from: Self.remote, "secret=")["code"] as? Int, -100)
    }
}
