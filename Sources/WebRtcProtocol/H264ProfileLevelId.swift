/// H.264 profile-level-id (RFC 6184 8.1): profile_idc, profile-iop (constraint flags) and level_idc, from
/// which the offer/answer picks a payload type of the right profile.
public struct H264ProfileLevelId: Sendable, Equatable {
    public enum Profile: Int, Sendable, Comparable {
        case constrainedBaseline, baseline, main, constrainedHigh, high, other
        public static func < (a: Profile, b: Profile) -> Bool { a.rawValue < b.rawValue }
    }

    public var profileIdc: UInt8
    public var profileIop: UInt8
    public var levelIdc: UInt8

    public init(profileIdc: UInt8, profileIop: UInt8, levelIdc: UInt8) {
        self.profileIdc = profileIdc
        self.profileIop = profileIop
        self.levelIdc = levelIdc
    }

    /// Six hex digits; nil otherwise.
    public init?(_ text: String) {
        guard text.utf8.count == 6, let v = UInt32(text, radix: 16) else { return nil }
        self.init(profileIdc: UInt8(v >> 16), profileIop: UInt8((v >> 8) & 0xFF), levelIdc: UInt8(v & 0xFF))
    }

    /// The profile as RFC 6184 Table 5 classifies the idc and constraint flags.
    public var profile: Profile {
        let cs0: UInt8 = 0x80, cs1: UInt8 = 0x40, cs3: UInt8 = 0x10, cs4: UInt8 = 0x08, cs5: UInt8 = 0x04
        switch profileIdc {
        case 0x42: return profileIop & cs1 != 0 ? .constrainedBaseline : .baseline
        case 0x4D: return profileIop & cs0 != 0 ? .constrainedBaseline : .main
        case 0x58: return profileIop & (cs0 | cs1) == cs0 | cs1 ? .constrainedBaseline : .other
        case 0x64:
            if profileIop & (cs4 | cs5) == cs4 | cs5 { return .constrainedHigh }
            return profileIop & cs3 != 0 ? .other : .high
        default: return .other
        }
    }

    /// RFC 6184 8.1: absent means 42000A (baseline level 1.0).
    static let defaultValue = H264ProfileLevelId(profileIdc: 0x42, profileIop: 0x00, levelIdc: 0x0A)

    /// Profile and packetization mode of an H.264 fmtp line.
    static func parse(fmtp: String?) -> (profile: H264ProfileLevelId, packetizationMode: Int) {
        var profile = defaultValue, mode = 0
        for (k, v) in sdpFormatParameters(fmtp ?? "") {
            if k == "profile-level-id", let p = H264ProfileLevelId(v) { profile = p }
            if k == "packetization-mode", let m = Int(v) { mode = m }
        }
        return (profile, mode)
    }
}
