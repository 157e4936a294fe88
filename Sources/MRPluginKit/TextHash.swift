/// A short stable name for a text (push keys, snapshot cache files): 64-bit FNV-1a in hex. Not
/// cryptographic; ZLMediaKit uses MD5 in the same places, and callers only compare the names.
public enum TextHash {
    public static func hex(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let digits = String(h, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
