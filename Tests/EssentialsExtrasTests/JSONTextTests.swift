import EssentialsExtras
import Foundation
import TestSupport
import XCTest

/// The server's JSON replaced Foundation's JSONSerialization: Foundation stays the reference here.
final class JSONTextTests: XCTestCase {
    private func foundationText(_ o: Any, _ options: JSONSerialization.WritingOptions) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: o, options: options), as: UTF8.self)
    }

    private let sample: [String: Any] = [
        "empty_array": [Any](), "empty_object": [String: Any](), "text": "x/y\"\\\u{1}\u{1f}\u{8}\u{c}\n\r\té\u{7f}\u{2028}😀",
        "half": 1.5, "whole": 5.0, "big": 1e20, "tenth": 0.1, "yes": true, "no": false, "max": Int64.max, "u32": UInt32(7),
        "negzero": -0.0, "tiny": 1e-7, "float": Float(0.1), "neg": -42, "nested": [1, "2", [3, ["k": [Any]()]], [String: Any]()],
        "u64": UInt64.max, "i8": Int8(-3),
    ]

    func testWritesAsJSONSerialization() throws {
        for options: JSONSerialization.WritingOptions in [[.sortedKeys], [.sortedKeys, .prettyPrinted]] {
            let mine = JSONText.text(sample, sortedKeys: true, pretty: options.contains(.prettyPrinted))
            XCTAssertEqual(mine, try foundationText(sample, options))
        }
        XCTAssertEqual(JSONText.text([[String: Any]()], sortedKeys: false, pretty: true), try foundationText([[String: Any]()], [.prettyPrinted]))
        XCTAssertEqual(JSONText.text(["a": Optional<Int>.none as Any, "b": Optional(3) as Any]), #"{"a":null,"b":3}"#)
    }

    func testRefusesWhatJSONSerializationRefuses() {
        XCTAssertNil(JSONText.text(["a": Double.nan]))
        XCTAssertNil(JSONText.text(["a": [1: 2]]))
        XCTAssertNil(JSONText.text("top-level string"))
        XCTAssertNil(JSONText.text(["a": Date()]))
    }

    func testSortsASCIIKeysAsJSONSerialization() throws {
        let fixed = ["a10", "a9", "a_b", "a1", "aB", "ab", "Ab", "a-b", "a.b", "a", "A", "b", "_a", "Z", "e", "f", "a 1", "a01", "a1b",
                     "bytes_in", "bytesIn", "bytes", "stream_id", "streamId", "x2y", "x_y", "x~", "x$", "x@", "x/"]
        var generator = SplitMix64(seed: 0x5EED)
        let alphabet = Array("aAbB019_-. ~$@/zZ")
        let random = (0..<3000).map { _ in String((0..<Int.random(in: 1...5, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }) }
        let object = Dictionary((fixed + random).map { ($0, 1) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(JSONText.text(object), try foundationText(object, [.sortedKeys]))
    }

    func testReadsAsJSONSerialization() throws {
        let texts = [
            #"{"a":1.0,"b":1e2,"c":-0,"d":18446744073709551615,"e":"\u00e9\/\ud83d\ude00","f":[true,false,null],"g":{"h":-1.5E+3}}"#,
            "\u{feff}{\"a\":1}", #" { "a" : [ ] } "#, #"{"a":1,}"#, #"[1, ]"#, #"{"a":1,"a":2}"#, #"[1,"2",{}]"#, #"{"a":9223372036854775807}"#,
        ]
        for t in texts {
            let mine = try XCTUnwrap(JSONText.parse(t), t)
            let theirs = try JSONSerialization.jsonObject(with: Data(t.utf8))
            XCTAssertEqual(JSONText.text(mine), try foundationText(theirs, [.sortedKeys]), t)
        }
        let bad = [#"{"a":"\ud800"}"#, #"{"a":1} x"#, "1", #""s""#, #"{"a":01}"#, #"{"a":1.}"#, "{\"a\":1}\u{0}", #"{"a":"x"#, "{\"a\":\"\u{1}\"}",
                   #"{"a" 1}"#, "{,}", "[,]", #"[1,,]"#, #"{"a":tru}"#, #"{"a":-}"#, #"{"a":1e}"#, "", "{", #"{"a":"\x"}"#,
                   String(repeating: "[", count: 600) + String(repeating: "]", count: 600)]
        for t in bad {
            XCTAssertNil(JSONText.parse(t), t)
            XCTAssertNil(try? JSONSerialization.jsonObject(with: Data(t.utf8)), t)
        }
        XCTAssertNotNil(JSONText.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)))
        XCTAssertNil(JSONText.parse([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]))
    }

    func testNumbersReadAsNSNumber() throws {
        let parsed = try XCTUnwrap(JSONText.parse(#"{"i":3,"d":1.5,"w":2.0,"t":true,"f":false,"n":-7.9,"s":"3","big":1e20}"#) as? [String: Any])
        let reference = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(#"{"i":3,"d":1.5,"w":2.0,"t":true,"f":false,"n":-7.9,"big":1e20}"#.utf8)) as? [String: Any])
        for (k, v) in reference {
            let n = try XCTUnwrap(v as? NSNumber)
            XCTAssertEqual(JSONNumber.int(parsed[k]), n.intValue, k)
            XCTAssertEqual(JSONNumber.int64(parsed[k]), n.int64Value, k)
            XCTAssertEqual(JSONNumber.bool(parsed[k]), n.boolValue, k)
            XCTAssertEqual(JSONNumber.string(parsed[k]), n.stringValue, k)
        }
        XCTAssertNil(JSONNumber.int(parsed["s"]))
        XCTAssertEqual(JSONNumber.string(UInt32(9)), "9")
    }
}
