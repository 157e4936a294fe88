/// Turns a Swift object into the `void *` a C callback carries, and back.
public enum PluginBox {
    /// +1 reference: balance with `release`.
    public static func retain<T: AnyObject>(_ object: T) -> UnsafeMutableRawPointer {
        Unmanaged.passRetained(object).toOpaque()
    }

    public static func borrow<T: AnyObject>(_ pointer: UnsafeMutableRawPointer?, as: T.Type = T.self) -> T? {
        guard let pointer else { return nil }
        return Unmanaged<T>.fromOpaque(pointer).takeUnretainedValue()
    }

    public static func release<T: AnyObject>(_ pointer: UnsafeMutableRawPointer?, as: T.Type = T.self) {
        guard let pointer else { return }
        Unmanaged<T>.fromOpaque(pointer).release()
    }

    /// An unretained pointer for callbacks whose lifetime the object outlives.
    public static func unretained<T: AnyObject>(_ object: T) -> UnsafeMutableRawPointer {
        Unmanaged.passUnretained(object).toOpaque()
    }
}
