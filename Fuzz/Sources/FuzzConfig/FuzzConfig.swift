@testable import RouterCore

/// The configuration file as load and hot reload read it: TOML through TOMLKit into the document, then every
/// table through the checks validate runs ([server], [api], [hook], each plugin table). Plugin libraries are
/// not opened (validate's key check dlopens them): a fuzzer must not load whatever a path names.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let document = try? ConfigDocument.parse(text: text, path: "fuzz.conf") else { return 0 }
    let warn: (String) -> Void = { _ in }
    _ = try? ServerSettings.parse(document.server, document: document, warn: warn)
    _ = try? ApiSettings.parse(document.core["api"] ?? [:], document: document, warn: warn)
    _ = try? HookSettings.parse(document.core["hook"] ?? [:], document: document, warn: warn)
    for (name, table) in document.plugins {
        _ = try? PluginEntry.parse(name: name, table: table, document: document, pluginDir: "/nonexistent")
        for key in table.keys { _ = document.line(table: name, key: key) }
    }
    return 0
}
