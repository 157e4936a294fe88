import PluginABI

/// What the core keeps of a plugin's descriptor, copied by the append-only rule.
struct PluginDescriptor: @unchecked Sendable {
    let raw: mr_plugin_descriptor
    let name: String
    let version: String
    let description: String
    let license: String
    let buildSignature: String
    let abiMajor: Int
    let abiMinor: Int
    let configKeys: [(name: String, type: Int32, help: String)]
    /// ABI 1.3 `serves`; empty for older plugins and those that declare nothing.
    let declaration: PluginDeclaration
    /// Why `serves` could not be read, if it could not (the loader refuses such a plugin).
    let declarationError: String?

    init(_ raw: mr_plugin_descriptor) {
        self.raw = raw
        func text(_ p: UnsafePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }
        name = text(raw.name)
        version = text(raw.version)
        description = text(raw.description)
        license = text(raw.license)
        buildSignature = text(raw.build_signature)
        abiMajor = Int(raw.abi_major)
        abiMinor = Int(raw.abi_minor)
        var keys: [(String, Int32, String)] = []
        if let list = raw.config_keys, raw.config_key_count > 0, raw.config_key_count < 10_000 {
            for i in 0..<raw.config_key_count {
                let k = list[i]
                if let n = k.name { keys.append((String(cString: n), k.type, text(k.description))) }
            }
        }
        configKeys = keys
        // The copy zeroes fields past the writer's size, so a 1.2 plugin reads as NULL here.
        if let text = raw.serves {
            do {
                declaration = try PluginDeclaration(json: String(cString: text))
                declarationError = nil
            } catch {
                declaration = .empty
                declarationError = error.description
            }
        } else {
            declaration = .empty
            declarationError = nil
        }
    }
}
