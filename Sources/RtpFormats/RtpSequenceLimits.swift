/// RFC 3550 A.1's thresholds: a jump ahead of more than `maxDropout` or back of more than `maxMisorder` is not
/// loss or reordering but a sender that restarted its numbering.
enum RtpSequenceLimits {
    static let maxDropout: Int64 = 3000
    static let maxMisorder: Int64 = 100
}
