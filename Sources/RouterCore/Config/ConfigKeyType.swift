import PluginABI

/// The type names config key lists use ("string", "integer", "boolean", "float", "list", "table"), shared by
/// the core's own tables and plugins' mr_config_key types.
public enum ConfigKeyType {
    public static func name(ofABI type: Int32) -> String {
        switch UInt32(bitPattern: type) {
        case MR_CONFIG_STRING.rawValue: return "string"
        case MR_CONFIG_INT.rawValue: return "integer"
        case MR_CONFIG_BOOL.rawValue: return "boolean"
        case MR_CONFIG_DOUBLE.rawValue: return "float"
        case MR_CONFIG_LIST.rawValue: return "list"
        default: return "table"
        }
    }
}
