#if canImport(Glibc)
import Glibc
#endif
import PluginABI

public struct PluginLoadError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}

/// Opens a plugin file and checks its descriptor; never unloads (Swift images cannot be unloaded safely).
enum PluginLoader {
    static let hostMajor = Int(MR_ABI_MAJOR)
    static let hostMinor = Int(MR_ABI_MINOR)

    /// The smallest descriptor we accept: everything up to and including `init`.
    static let minimumDescriptorSize = MemoryLayout<mr_plugin_descriptor>.offset(of: \mr_plugin_descriptor.`init`)!
        + MemoryLayout<UnsafeRawPointer>.size

    static func load(path: String) throws(PluginLoadError) -> PluginDescriptor {
        func refuse(_ reason: String) -> PluginLoadError { PluginLoadError(path: path, reason: reason) }
        var st = stat()
        guard stat(path, &st) == 0 else { throw refuse("no such file") }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw refuse("dlopen failed: \(dlerror().map { String(cString: $0) } ?? "unknown error")")
        }
        guard let symbol = dlsym(handle, MR_PLUGIN_ENTRY_SYMBOL) else {
            throw refuse("missing entry symbol \(MR_PLUGIN_ENTRY_SYMBOL) (not a MediaRouter plugin, or built for another ABI major)")
        }
        let entry = unsafeBitCast(symbol, to: mr_plugin_entry_fn.self)
        guard let descriptorPointer = entry() else { throw refuse("entry returned no descriptor") }
        let writerSize = Int(descriptorPointer.pointee.size)
        guard writerSize >= minimumDescriptorSize else {
            throw refuse("descriptor too short (\(writerSize) bytes, need at least \(minimumDescriptorSize))")
        }
        let raw: mr_plugin_descriptor = ABICopy.read(descriptorPointer)
        let d = PluginDescriptor(raw)
        guard d.abiMajor == hostMajor else {
            throw refuse("ABI major \(d.abiMajor) differs from the host's \(hostMajor)")
        }
        guard d.abiMinor <= hostMinor else {
            throw refuse("ABI \(d.abiMajor).\(d.abiMinor) is newer than the host's \(hostMajor).\(hostMinor)")
        }
        guard raw.`init` != nil else { throw refuse("descriptor has no init callback") }
        guard !d.name.isEmpty else { throw refuse("descriptor has no name") }
        if let why = d.declarationError { throw refuse("descriptor's serves declaration is invalid: \(why)") }
        return d
    }
}
