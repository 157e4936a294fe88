import PluginABI
#if canImport(Glibc)
import Glibc
#endif

/// Builds a plugin descriptor whose strings and key list live for the life of the process, as the ABI
/// requires (code is never unloaded).
public enum DescriptorBuilder {
    public typealias InitFn = @convention(c) (OpaquePointer?, UnsafePointer<mr_host_api>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32
    public typealias StateFn = @convention(c) (UnsafeMutableRawPointer?) -> Int32
    public typealias VoidFn = @convention(c) (UnsafeMutableRawPointer?) -> Void
    public typealias StatusFn = @convention(c) (UnsafeMutableRawPointer?) -> UnsafePointer<CChar>?

    public static func make(name: String, version: String, description: String, license: String = "MIT",
                            configKeys: [(String, mr_config_type, String)] = [], serves: String? = nil,
                            initialize: InitFn, start: StateFn? = nil, reconfigure: StateFn? = nil, stop: VoidFn? = nil,
                            destroy: VoidFn? = nil, status: StatusFn? = nil) -> UnsafePointer<mr_plugin_descriptor> {
        var d = mr_plugin_descriptor()
        d.size = UInt32(MemoryLayout<mr_plugin_descriptor>.size)
        d.abi_major = UInt16(MR_ABI_MAJOR)
        d.abi_minor = UInt16(MR_ABI_MINOR)
        d.name = UnsafePointer(strdup(name))
        d.version = UnsafePointer(strdup(version))
        d.description = UnsafePointer(strdup(description))
        d.license = UnsafePointer(strdup(license))
        d.build_signature = UnsafePointer(strdup(BuildSignature.swift))
        if !configKeys.isEmpty {
            let keys = UnsafeMutablePointer<mr_config_key>.allocate(capacity: configKeys.count)
            for (i, k) in configKeys.enumerated() {
                keys[i] = mr_config_key(name: UnsafePointer(strdup(k.0)), type: Int32(bitPattern: k.1.rawValue),
                                        description: UnsafePointer(strdup(k.2)))
            }
            d.config_keys = UnsafePointer(keys)
            d.config_key_count = configKeys.count
        }
        // ABI 1.3: what the plugin serves (schemas, sources, URL schemes), read by the management core.
        d.serves = serves.map { UnsafePointer(strdup($0)) }
        d.`init` = initialize
        d.start = start
        d.reconfigure = reconfigure
        d.stop = stop
        d.destroy = destroy
        d.status = status
        let p = UnsafeMutablePointer<mr_plugin_descriptor>.allocate(capacity: 1)
        p.initialize(to: d)
        return UnsafePointer(p)
    }
}

/// "mr-abi 1.0; swift 6.3": shown in plugin lists so a mismatched build is easy to spot.
public enum BuildSignature {
    public static var swift: String {
        #if compiler(>=6.4)
        let compiler = "6.4+"
        #elseif compiler(>=6.3)
        let compiler = "6.3"
        #elseif compiler(>=6.2)
        let compiler = "6.2"
        #else
        let compiler = "<6.2"
        #endif
        return "mr-abi \(MR_ABI_MAJOR).\(MR_ABI_MINOR); swift \(compiler)"
    }
}
