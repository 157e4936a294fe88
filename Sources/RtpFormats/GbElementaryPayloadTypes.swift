import MediaFormats

/// The payload types GB28181 devices use for elementary streams sent without a PS wrapper (GB/T 28181-2016
/// annex, as ZLMediaKit reads them): 98 H.264, 99 H.265, and the static G.711 types. Any other payload type
/// on a GB28181 port carries PS (or TS). Shared by the gb28181 plugin and its fuzz target.
public enum GbElementaryPayloadTypes {
    public static func codec(_ pt: UInt8) -> Codec? {
        switch pt {
        case 98: return .h264
        case 99: return .h265
        case 8: return .pcma
        case 0: return .pcmu
        default: return nil
        }
    }
}
