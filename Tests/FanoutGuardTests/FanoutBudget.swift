/// The fan-out guard's thresholds, from measured values with a margin (docs/benchmarks.md, "Regression
/// guard"). Allocations are counted on the loop threads and repeat exactly from run to run; the margin is
/// half an allocation per delivery, so one more allocation per delivery fails. The user-CPU budgets are about
/// twice the measured figure, because CI machines are shared: they catch a gross regression only.
///
/// Measured in the debug build `scripts/test.sh` runs, where unspecialized generic code in NIO's write path
/// allocates about three times per write; a release build allocates about 0.05 times per delivery (the
/// server's own figure) and spends far less CPU, so the debug CPU budgets hold there too.
enum FanoutBudget {
    /// Bus alone: 0.16 per delivery measured (16 per frame at 100 readers, all O(loops) per frame).
    static let busAllocationsPerDelivery = 0.5
    /// 520-590 ns measured.
    static let busUserNsPerDelivery = 1_200.0
    #if DEBUG
    /// 0.53-0.54 measured since plain connections write directly (2.02-2.06 through NIO's write path): the
    /// send's temporary buffer list, a heap allocation in a debug build only. Since the walk pacer (a loop that
    /// has walked 5 ms goes on after a poll) the figure depends on the machine's load: 0.74-1.08 with a soak
    /// and the other shard beside it (a deferred walk hands a player several frames at once, and what the
    /// socket does not take goes through NIO with a promise), so the margin is taken from the loaded figure;
    /// one more allocation per delivery (1.5-2.1) still fails.
    static let httpFlvAllocationsPerDelivery = 1.5
    #else
    static let httpFlvAllocationsPerDelivery = 0.5
    #endif
    /// 6.9-7.9 µs measured in a debug build on a busy machine since plain connections write directly
    /// (32-35 µs through NIO's unoptimized write path, beside it); 7-13 µs with the walk pacer and a soak beside
    /// it, 17.9 µs once with the other test shard too.
    static let httpFlvUserNsPerDelivery = 24_000.0

    /// An AVCDecoderConfigurationRecord (Baseline, 176x144) for the synthetic H.264 tracks.
    static let avcC: [UInt8] = [
        0x01, 0x42, 0xC0, 0x0D, 0xFF, 0xE1, 0x00, 0x18, 0x67, 0x42, 0xC0, 0x0D, 0xD9, 0x01, 0x41, 0xFB, 0x01, 0x10, 0x00, 0x00,
        0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0x20, 0xF1, 0x42, 0xA4, 0x80, 0x01, 0x00, 0x05, 0x68, 0xCB, 0x83, 0xCB, 0x20,
    ]
}
