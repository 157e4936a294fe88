import TestSupport
import MediaFormats
import RtpFormats

/// One bus frame with the RTP timestamp it travels at.
struct Frame {
    let timestamp: UInt32
    let key: Bool
    let data: [UInt8]
}

/// A byte our packetizer deliberately writes differently from a captured packet.
struct Patch {
    let packet: Int
    let offset: Int
    let byte: UInt8
}

/// One case of the shared table: frames in, RTP packets out (and back).
struct RtpVector {
    enum Direction { case both, depacketizeOnly }

    let name: String
    /// Where the bytes come from.
    let source: String
    let codec: Codec
    let payloadType: UInt8
    let ssrc: UInt32
    let firstSequence: UInt16
    let clockRate: Int
    var channels = 1
    var maxPayload = 1400
    var latmConfig: [UInt8]? = nil
    /// Packetizer input; also the depacketizer output unless `units` is set.
    let frames: [Frame]
    /// The packets on the wire: the depacketizer input, and the packetizer output once `patches` are applied.
    let packets: [[UInt8]]
    var units: [Frame]? = nil
    var patches: [Patch] = []
    var direction = Direction.both

    var expectedUnits: [RtpAccessUnit] {
        (units ?? frames).map { RtpAccessUnit(timestamp: $0.timestamp, key: $0.key, data: $0.data) }
    }

    var expectedPacketizerOutput: [[UInt8]] {
        var out = packets
        for p in patches { out[p.packet][p.offset] = p.byte }
        return out
    }

    func makePacketizer(maxPayload: Int? = nil) -> (any RtpPacketizer)? {
        RtpPacketizers.make(codec: codec, payloadType: payloadType, ssrc: ssrc, clockRate: clockRate, channels: channels,
                            maxPayload: maxPayload ?? self.maxPayload, firstSequence: firstSequence)
    }

    func makeDepacketizer() -> (any RtpDepacketizer)? {
        RtpDepacketizers.make(codec: codec, clockRate: clockRate, channels: channels, latmStreamMuxConfig: latmConfig)
    }
}

/// THE table of byte vectors shared by the packetizer and depacketizer tests.
///
/// Captured vectors were made with ffmpeg 5.1 (Debian 12) sending to a Python UDP socket on 127.0.0.1, stream
/// copy from a file so the frames are known exactly, e.g.
///     ffmpeg -f lavfi -i testsrc=size=64x48:rate=5 -t 0.8 -pix_fmt yuv420p -c:v libx264 -preset veryfast -crf 38 \
///            -g 3 -bf 0 -bsf:v filter_units=remove_types=6 h264.h264
///     ffmpeg -re -i h264.h264 -c copy -ssrc 287454020 -seq 65533 -payload_type 96 -pkt_size 112 -f rtp rtp://127.0.0.1:40000
/// (`-pkt_size 112` gives ffmpeg a 100-byte payload budget, which is the vector's `maxPayload`). The frames are the
/// packets ffmpeg's demuxer handed its RTP muxer (sizes from ffprobe -show_packets), video split into NAL units
/// the way that muxer splits them and re-framed with 4-byte lengths; audio raw as read back with `-f data`.
/// Hand-made vectors follow the RFC packet layouts byte by byte; each says which sections.
enum RtpVectors {
    static func h(_ s: String) -> [UInt8] { hexBytes(s) }

    static let all: [RtpVector] = [
        // RFC 6184 5.7.1 (STAP-A: F=0, NRI = max of the units' NRI = 3, so 0x78; 16-bit sizes) and 5.8 (FU-A:
        // indicator keeps F/NRI of the NAL unit with type 28 = 0x7C, header S|E|type), budget 14: SPS + PPS fill a
        // 13-byte STAP-A, the 16-byte IDR does not fit and is cut after 12 bytes of fragment data. Sequence numbers
        // wrap 0xFFFF -> 0. The second access unit's two slices (NRI 2 and 0) share a STAP-A with NRI 2 (0x58).
        RtpVector(
            name: "h264-rfc6184", source: "hand-derived from RFC 6184", codec: .h264,
            payloadType: 96, ssrc: 0x0102_0304, firstSequence: 0xFFFF, clockRate: 90000, maxPayload: 14,
            frames: [
                Frame(timestamp: 0x1234_5678, key: true, data: h("00000004 6742001e 00000004 68ce3c80 00000010 65888400 33ff0102 03040506 0708090a")),
                Frame(timestamp: 0x1234_6230, key: false, data: h("00000004 419a0001 00000003 019e10")),
            ],
            packets: [
                h("8060ffff 12345678 01020304  78 0004 6742001e 0004 68ce3c80"),
                h("80600000 12345678 01020304  7c 85 88840033ff01020304050607"),
                h("80e00001 12345678 01020304  7c 45 08090a"),
                h("80e00002 12346230 01020304  58 0004 419a0001 0003 019e10"),
            ]),
        // ffmpeg + libx264: IDR (SPS, PPS, IDR slice), two P frames, IDR. ffmpeg packs SPS+PPS in a STAP-A whose
        // header byte is 0x18 (NRI 0); RFC 6184 5.7 wants the highest NRI of the units (3), so ours writes 0x78.
        // Everything else, FU-A cuts included, is byte-identical. Sequence numbers wrap 65535 -> 0.
        RtpVector(
            name: "h264-ffmpeg", source: "ffmpeg 5.1 libx264, captured", codec: .h264,
            payloadType: 96, ssrc: 0x1122_3344, firstSequence: 65533, clockRate: 90000, maxPayload: 100,
            frames: [
                Frame(timestamp: 0xff129324, key: true, data: h("""
                    000000166764000aacb423d808800000030080000005078913500000000568ef031cb00000013c65888427d15629dc577b7fe35b378a184bfd14975adb6def64
                    788f560c89362bb9982ba5f881b6616b98ae27afefff6600008008e309d6dfc1251e29c0206a40b5e65cd4bf3b5e2b500a21426d9bc7d3473c7e7b98441cd739
                    b9d77d15018da5c62541ffa2df05315168ed9a35273ba1decc32eee4f43d8d248390a75caaa8bf10e4c03d6ed056c2bb6b3607abca54b2251acdc0e963b3719b
                    b1b8e91effcd28b331c4dde4d308e4d97b5d97ae76563e8ea9a04ddc9ed7378b59d79fd9e8fc39deefbeab1b632363439490377e8bf17020e32947946d166ab5
                    0a4241b3f8ccac06e4e0bcea0058dbc9ab158a6e565d66480fee64a79662bfbda23b9b703196def5ccb0f4d2438deaf4b6e4974732e0a2c4ab21d0e359badecd
                    4416ab4504f242d743adc71c4048f208bdf1f10cf078238481020effe483a792954211
                    """)),
                Frame(timestamp: 0xff12d974, key: false, data: h("00000019419a2626ffca9fc645067dc435604f22ac4da2a5fa923e7f42")),
                Frame(timestamp: 0xff131fc4, key: false, data: h("00000027419a46223f695416e6809c236708d639739d3c09cd0bf4ef4950199b4d527f52da602771b7c241")),
                Frame(timestamp: 0xff136614, key: true, data: h("""
                    000000166764000aacb423d808800000030080000005078913500000000568ef031cb00000011d658882047fd23a0c4f97987f12f8c5138640260edfc001a51e
                    d133eec2d2ae5cf7c9fd4bf912132b0b03199af9e0025cfad1527f67c92cf5800a9e990a8d1ad2f3ca53839d6a7d96f868c51eb5d1ba5f81228f29fc6eb0fa23
                    ee167de7a04c9189eca9519162a7e4870f468e87fe97952ae87c98ca9b3af246a42829165d541f2d105087d301c55d95d4d6318a8d3c331a3f0104b9daf3beae
                    422e76be8e07b0c5467d4bb84e847d137f8728021b1f07e9c7d4787c7e9a6f730e57c0f949c77c1d03333adfe0081519337477b312865a711a4e36790d3f77a4
                    752d7000de1eeed78fbd92e0ae9d8159001899a3ad3c96ce9013a6e1d8677824b9b2a42914286828b7c0c2b5fae132f38b0453850cc75fb05da6bea9fff168ff
                    ed48dce0
                    """)),
            ],
            packets: [
                h("8060fffdff129324112233441800166764000aacb423d80880000003008000000507891350000568ef031cb0"),
                h("""
                    8060fffeff129324112233447c85888427d15629dc577b7fe35b378a184bfd14975adb6def64788f560c89362bb9982ba5f881b6616b98ae27afefff66000080
                    08e309d6dfc1251e29c0206a40b5e65cd4bf3b5e2b500a21426d9bc7d3473c7e7b98441cd739b9d77d15018da5c62541
                    """),
                h("""
                    8060ffffff129324112233447c05ffa2df05315168ed9a35273ba1decc32eee4f43d8d248390a75caaa8bf10e4c03d6ed056c2bb6b3607abca54b2251acdc0e9
                    63b3719bb1b8e91effcd28b331c4dde4d308e4d97b5d97ae76563e8ea9a04ddc9ed7378b59d79fd9e8fc39deefbeab1b
                    """),
                h("""
                    80600000ff129324112233447c05632363439490377e8bf17020e32947946d166ab50a4241b3f8ccac06e4e0bcea0058dbc9ab158a6e565d66480fee64a79662
                    bfbda23b9b703196def5ccb0f4d2438deaf4b6e4974732e0a2c4ab21d0e359badecd4416ab4504f242d743adc71c4048
                    """),
                h("80e00001ff129324112233447c45f208bdf1f10cf078238481020effe483a792954211"),
                h("80e00002ff12d97411223344419a2626ffca9fc645067dc435604f22ac4da2a5fa923e7f42"),
                h("""
                    80e00003ff131fc411223344419a46223f695416e6809c236708d639739d3c09cd0bf4ef4950199b4d527f52da602771b7c241
                    """),
                h("80600004ff136614112233441800166764000aacb423d80880000003008000000507891350000568ef031cb0"),
                h("""
                    80600005ff136614112233447c858882047fd23a0c4f97987f12f8c5138640260edfc001a51ed133eec2d2ae5cf7c9fd4bf912132b0b03199af9e0025cfad152
                    7f67c92cf5800a9e990a8d1ad2f3ca53839d6a7d96f868c51eb5d1ba5f81228f29fc6eb0fa23ee167de7a04c9189eca9
                    """),
                h("""
                    80600006ff136614112233447c05519162a7e4870f468e87fe97952ae87c98ca9b3af246a42829165d541f2d105087d301c55d95d4d6318a8d3c331a3f0104b9
                    daf3beae422e76be8e07b0c5467d4bb84e847d137f8728021b1f07e9c7d4787c7e9a6f730e57c0f949c77c1d03333adf
                    """),
                h("""
                    80e00007ff136614112233447c45e0081519337477b312865a711a4e36790d3f77a4752d7000de1eeed78fbd92e0ae9d8159001899a3ad3c96ce9013a6e1d867
                    7824b9b2a42914286828b7c0c2b5fae132f38b0453850cc75fb05da6bea9fff168ffed48dce0
                    """),
            ],
            patches: [Patch(packet: 0, offset: 12, byte: 0x78), Patch(packet: 7, offset: 12, byte: 0x78)]),
        // RFC 7798 4.4.2 (AP: payload header type 48, F=0, LayerId and TID the lowest of the units -> 60 01) and
        // 4.4.3 (FU: payload header type 49 with the NAL unit's F/LayerId/TID -> 62 01, FU header S|E|FuType),
        // budget 16: VPS + SPS fill a 14-byte AP, the PPS does not fit beside them nor beside the 12-byte IDR_W_RADL,
        // so both go as single NAL unit packets. The 23-byte TRAIL_R is cut after 13 bytes of fragment data.
        RtpVector(
            name: "h265-rfc7798", source: "hand-derived from RFC 7798", codec: .h265,
            payloadType: 97, ssrc: 0xCAFE_BABE, firstSequence: 100, clockRate: 90000, maxPayload: 16,
            frames: [
                Frame(timestamp: 0, key: true, data: h("""
                    00000004 40010c01 00000004 42010101 00000004 4401c172 0000000c 2601af00 11223344 55667788
                    """)),
                Frame(timestamp: 3600, key: false, data: h("00000017 0201d000 01020304 05060708 090a0b0c 0d0e0f10 111213")),
            ],
            packets: [
                h("80610064 00000000 cafebabe  6001 0004 40010c01 0004 42010101"),
                h("80610065 00000000 cafebabe  4401c172"),
                h("80e10066 00000000 cafebabe  2601af001122334455667788"),
                h("80610067 00000e10 cafebabe  6201 81 d000010203040506 0708090a0b"),
                h("80e10068 00000e10 cafebabe  6201 41 0c0d0e0f10111213"),
            ]),
        // ffmpeg + libx265: IDR_N_LP (VPS, SPS, PPS in an AP), two TRAIL_R, CRA; byte-identical to ours. The
        // first three slices end in a zero byte: x265's next start code is 4 bytes and ffmpeg's HEVC parser cuts
        // packets after its first zero, so the byte travels as part of the NAL unit.
        RtpVector(
            name: "h265-ffmpeg", source: "ffmpeg 5.1 libx265, captured", codec: .h265,
            payloadType: 98, ssrc: 0x1122_3344, firstSequence: 65534, clockRate: 90000, maxPayload: 100,
            frames: [
                Frame(timestamp: 0xa3ec0d24, key: true, data: h("""
                    0000001840010c01ffff01600000030090000003000003001eba02400000002842010101600000030090000003000003001ea02083165bab932bc05a02000003
                    0002000003000a10000000064401c173d089000001312801af0e60fd62bff3cb6ac3fe85929531260c0ff3f717b29d2c62d65fbcd0f095f6f3f09d602ea991ca
                    de86df2eb4acf20ed3ae4f1d6210ef9d078c10cb7ecef0fdce50b93457460821f40d99e2c460b573f38cfd4f4a17718f0129c017eb1429d660eb0533ffe2d49a
                    aff0e1fa9694ea94ec13c5429177d2b54cf71d591badbf933938bedce0c74055863d2267cd4cf03c7c0fd3534deba5199770f64eecd30faf693863d22e323af7
                    8326b086766a03f941cdb0e6511565ff17b8ac056905e6ad85955e9e69044522caa111ea1f7d610bfc22a86b2f14fa569fc3b91484fc6711c1975fefde8991a8
                    08fe881d7c3fa5404f302183f9477deb4d2e0da8d21792f72a474d69d778d62232341d0a6d5e8b97b2ccc5ce5358e7a54bc852038db9085ece50d1ded1e0285c
                    39a33b746ef300
                    """)),
                Frame(timestamp: 0xa3ec5374, key: false, data: h("000000180201d0097e10c20730fe5e58e4ee2b90ac97b50ec0999000")),
                Frame(timestamp: 0xa3ec99c4, key: false, data: h("0000002b0201d011ffd443020710fc364a30925d0ed98dfe5a298434fb135f8a554560fc65d5b3d62ab7be91ecbc00")),
                Frame(timestamp: 0xa3ece014, key: true, data: h("""
                    0000001840010c01ffff01600000030090000003000003001eba02400000002842010101600000030090000003000003001ea02083165bab932bc05a02000003
                    0002000003000a10000000064401c173d0890000011f2a01ac0cf5c308fd08a3f6a0b530699e561e97db91896bf7661de1f2257c3881b4297de1c45d001758ea
                    54487363ec5e2563f1d2bed9738f38ef923e2cefdba274899e856b0f91734a3449def7f3283b608ced6d55e7cee84b0f4e5bad9476ffb3fa8f4637ab21b9ed06
                    56f3329e0bcca3d1d26a698125d1bfe4cc80a065543ffa9ca696e4abea5e38d3a65af912a9a5ac427bfb8713cc9c710b5aea9c93304101883da73945c31048d3
                    c8b3c3e34b4e2cfe9d35dd4d5ade7fd785c41f0396b93a69efe7e72b81af9f44088a7245974f7665a14ec9cd2c747aae00e81dc29d3adb7722e910b536274b8c
                    59db35366545a38606461e3b2e753ed48890fc0af6889cff0d1a7df52d0c07f1f3a3633862a8b83af03aba4d7d38b5fb60499fc280
                    """)),
            ],
            packets: [
                h("""
                    8062fffea3ec0d24112233446001001840010c01ffff01600000030090000003000003001eba0240002842010101600000030090000003000003001ea0208316
                    5bab932bc05a020000030002000003000a1000064401c173d089
                    """),
                h("""
                    8062ffffa3ec0d2411223344620194af0e60fd62bff3cb6ac3fe85929531260c0ff3f717b29d2c62d65fbcd0f095f6f3f09d602ea991cade86df2eb4acf20ed3
                    ae4f1d6210ef9d078c10cb7ecef0fdce50b93457460821f40d99e2c460b573f38cfd4f4a17718f0129c017eb1429d660
                    """),
                h("""
                    80620000a3ec0d2411223344620114eb0533ffe2d49aaff0e1fa9694ea94ec13c5429177d2b54cf71d591badbf933938bedce0c74055863d2267cd4cf03c7c0f
                    d3534deba5199770f64eecd30faf693863d22e323af78326b086766a03f941cdb0e6511565ff17b8ac056905e6ad8595
                    """),
                h("""
                    80620001a3ec0d24112233446201145e9e69044522caa111ea1f7d610bfc22a86b2f14fa569fc3b91484fc6711c1975fefde8991a808fe881d7c3fa5404f3021
                    83f9477deb4d2e0da8d21792f72a474d69d778d62232341d0a6d5e8b97b2ccc5ce5358e7a54bc852038db9085ece50d1
                    """),
                h("80e20002a3ec0d2411223344620154ded1e0285c39a33b746ef300"),
                h("80e20003a3ec5374112233440201d0097e10c20730fe5e58e4ee2b90ac97b50ec0999000"),
                h("""
                    80e20004a3ec99c4112233440201d011ffd443020710fc364a30925d0ed98dfe5a298434fb135f8a554560fc65d5b3d62ab7be91ecbc00
                    """),
                h("""
                    80620005a3ece014112233446001001840010c01ffff01600000030090000003000003001eba0240002842010101600000030090000003000003001ea0208316
                    5bab932bc05a020000030002000003000a1000064401c173d089
                    """),
                h("""
                    80620006a3ece01411223344620195ac0cf5c308fd08a3f6a0b530699e561e97db91896bf7661de1f2257c3881b4297de1c45d001758ea54487363ec5e2563f1
                    d2bed9738f38ef923e2cefdba274899e856b0f91734a3449def7f3283b608ced6d55e7cee84b0f4e5bad9476ffb3fa8f
                    """),
                h("""
                    80620007a3ece014112233446201154637ab21b9ed0656f3329e0bcca3d1d26a698125d1bfe4cc80a065543ffa9ca696e4abea5e38d3a65af912a9a5ac427bfb
                    8713cc9c710b5aea9c93304101883da73945c31048d3c8b3c3e34b4e2cfe9d35dd4d5ade7fd785c41f0396b93a69efe7
                    """),
                h("""
                    80e20008a3ece01411223344620155e72b81af9f44088a7245974f7665a14ec9cd2c747aae00e81dc29d3adb7722e910b536274b8c59db35366545a38606461e
                    3b2e753ed48890fc0af6889cff0d1a7df52d0c07f1f3a3633862a8b83af03aba4d7d38b5fb60499fc280
                    """),
            ]),
        // RFC 3640 3.2.1 / 3.3.6 (AAC-hbr: AU-headers-length 16, AU-size 13 bits, AU-Index 3 bits) and 3.2.3
        // (fragmentation: every fragment repeats the header with the whole AU's size, marker only on the last).
        // Budget 8 leaves 4 data bytes per packet: the 10-byte AU (size 10 << 3 = 0x0050) takes three packets.
        RtpVector(
            name: "aac-rfc3640", source: "hand-derived from RFC 3640", codec: .aac,
            payloadType: 97, ssrc: 0x1111_1111, firstSequence: 0, clockRate: 44100, maxPayload: 8,
            frames: [
                Frame(timestamp: 0x0001_0000, key: true, data: h("0102030405060708090a")),
                Frame(timestamp: 0x0001_0400, key: true, data: h("211004")),
            ],
            packets: [
                h("80610000 00010000 11111111  0010 0050 01020304"),
                h("80610001 00010000 11111111  0010 0050 05060708"),
                h("80e10002 00010000 11111111  0010 0050 090a"),
                h("80e10003 00010400 11111111  0010 0018 211004"),
            ]),
        // ffmpeg native AAC encoder, 16 kHz mono, `-max_delay 0 -pkt_size 112`: one AU per packet, AUs above 96
        // bytes fragmented RFC 3640 3.2.3 style; byte-identical to ours.
        RtpVector(
            name: "aac-ffmpeg-fragmented", source: "ffmpeg 5.1 aac, captured", codec: .aac,
            payloadType: 97, ssrc: 0x1122_3344, firstSequence: 100, clockRate: 16000, maxPayload: 100,
            frames: [
                Frame(timestamp: 0x46ad1071, key: true, data: h("""
                    de02004c61766335392e33372e313030000244a15a60e9154aeebecfad38a264a92e54a4248347661cc5986dac5712c574968dd25c5b98b62e8edc3168c6629e
                    67aa6729671529a784e21fc3d470b6dfbfd4d017f70775adcacdcab5aadceeb6baedadb54ce9b3a6b535a9ad32d32532532512512d1250303030303030303030
                    30303030303220606060606060606446cd9b360c8914b2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2f0
                    """)),
                Frame(timestamp: 0x46ad1471, key: true, data: h("""
                    010496da197365cb22c26d424c26e270fffb9ff7fad6ae6b55cffff2ffd7f11ab70e7ffeaffedfa9a9777dffff2ffcff735271612f1bb4cc2f4bcf3cf04bc90c
                    122f45585cb360f1f3b1791e5ef3da5b8f7dfceddd4cef4f3bd3cef734ef4ea53c99ce753cf73554ab097bb3f7a8e7df9ecfdf42108081844292ea458c1948d1
                    4a923aa41826e9209ba0c1374182427206b2eddb448eae12575f8d55fa1a47db81cee119a53030303121cc8366a1d9f0
                    """)),
                Frame(timestamp: 0x46ad1871, key: true, data: h("""
                    00ecf0ad6c328989cf7cfe9cff19fe9e57759a8d2e4b45eaa4e052df5efe97d99fd22fd773a8bd67ea3dd397542e6f3aff5353a9a8f2176e23e7295db86c9a9f
                    eb459a937edb9aa9a7538945db18c560ad2945b1ebf363e13215786123b81fc7c363dfdf40c9f0d8cfefa064f8cc33fbe80ffc660efbe843ff1982f3903fc00d
                    7b901e39859efee0f93e027df681f1f0c4e8f707f8f1acfe8a13f873fa2f4584ba5731c0
                    """)),
            ],
            packets: [
                h("""
                    8061006446ad107111223344001005f8de02004c61766335392e33372e313030000244a15a60e9154aeebecfad38a264a92e54a4248347661cc5986dac5712c5
                    74968dd25c5b98b62e8edc3168c6629e67aa6729671529a784e21fc3d470b6dfbfd4d017f70775adcacdcab5aadceeb6
                    """),
                h("""
                    80e1006546ad107111223344001005f8baedadb54ce9b3a6b535a9ad32d32532532512512d125030303030303030303030303030303220606060606060606446
                    cd9b360c8914b2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2f0
                    """),
                h("""
                    8061006646ad14711122334400100580010496da197365cb22c26d424c26e270fffb9ff7fad6ae6b55cffff2ffd7f11ab70e7ffeaffedfa9a9777dffff2ffcff
                    735271612f1bb4cc2f4bcf3cf04bc90c122f45585cb360f1f3b1791e5ef3da5b8f7dfceddd4cef4f3bd3cef734ef4ea5
                    """),
                h("""
                    80e1006746ad147111223344001005803c99ce753cf73554ab097bb3f7a8e7df9ecfdf42108081844292ea458c1948d14a923aa41826e9209ba0c13741824272
                    06b2eddb448eae12575f8d55fa1a47db81cee119a53030303121cc8366a1d9f0
                    """),
                h("""
                    8061006846ad1871112233440010052000ecf0ad6c328989cf7cfe9cff19fe9e57759a8d2e4b45eaa4e052df5efe97d99fd22fd773a8bd67ea3dd397542e6f3a
                    ff5353a9a8f2176e23e7295db86c9a9feb459a937edb9aa9a7538945db18c560ad2945b1ebf363e13215786123b81fc7
                    """),
                h("""
                    80e1006946ad18711122334400100520c363dfdf40c9f0d8cfefa064f8cc33fbe80ffc660efbe843ff1982f3903fc00d7b901e39859efee0f93e027df681f1f0
                    c4e8f707f8f1acfe8a13f873fa2f4584ba5731c0
                    """),
            ]),
        // ffmpeg native AAC encoder, 16 kHz mono 8 kbit/s, `-max_delay 150000`: three AUs per packet (AU-headers-
        // length 48), each AU 1024 ticks after the previous. We send one AU per packet, so decode only.
        RtpVector(
            name: "aac-ffmpeg-aggregated", source: "ffmpeg 5.1 aac, captured", codec: .aac,
            payloadType: 97, ssrc: 0x1122_3344, firstSequence: 300, clockRate: 16000,
            frames: [
                Frame(timestamp: 0x8374b70d, key: true, data: h("""
                    de02004c61766335392e33372e3130300002849e2794aceff3bfe7da5ea492249244920090909090909090909097a8f51b7af5c19122a00c6eb830322448a536
                    6e5965965965965965965965965965965965965965965965965965965965965965965965965965965965965965965965965978
                    """)),
                Frame(timestamp: 0x8374bb0d, key: true, data: h("""
                    010494da097544baa25d594e9fffa3ffbfe3ad6a6b5ebfff0fff7fd7ae356e3d7ffe1ffd7f9eb5c4bbdfffe3ffcffc79d6a4e025e33dcf3cf3cf04bc9aeff057
                    bb8d77bd24e953153bd3cef4f3bd3cef734ef4ea53c99ce753cf735566f1365f1566f513a4ec85b7b9b9de9f9de879def97d1ef97d3e8cf91de793e7b2afa73e
                    91f6e8d44818181890e641b3e0
                    """)),
                Frame(timestamp: 0x8374bf0d, key: true, data: h("""
                    011aef0b02678af15f9ff8bff4fdde6ef5a92e5c9757cf9940f983bef087fe1b19c25b1981b3fb8193e1b03dc07fe0077de107f83077410a7e33077de107f830
                    1efa107f89ac1fc4b071c2bff0fa1e488114f8
                    """)),
                Frame(timestamp: 0x8374c30d, key: true, data: h("""
                    00fa2f0983232b1fff95fffc3ae38efe3b64d77edadfbebaf9f8be47d3e9f46de792f3cf7d1b0921f4673b39defa3c9492b914c885d9c8a408ac4560a19082c0
                    30aa44382514f8
                    """)),
                Frame(timestamp: 0x8374c70d, key: true, data: h("""
                    00f62f07cdd6557ffd5fedfffbfcf1a7b7a4c9e3f1c73ef35e3cebb1eab256d8d9b366c8ad06c8ec6cb6c4d68ecbc514c804d62e904a2185509170b054805c01
                    5e
                    """)),
                Frame(timestamp: 0x8374cb0d, key: true, data: h("""
                    00f02f07cde663ffebbfff879d6b9f6de54bdfd4f5977efe6f614646fa6fbfe1beea41f85ff08ef5da142a45520b1814330552041b48ac5482c022130ba45780
                    """)),
            ],
            packets: [
                h("""
                    80e1012c8374b70d112233440030039804680298de02004c61766335392e33372e3130300002849e2794aceff3bfe7da5ea49224924492009090909090909090
                    9097a8f51b7af5c19122a00c6eb830322448a5366e59659659659659659659659659659659659659659659659659659659659659659659659659659659659659
                    65965965965978010494da097544baa25d594e9fffa3ffbfe3ad6a6b5ebfff0fff7fd7ae356e3d7ffe1ffd7f9eb5c4bbdfffe3ffcffc79d6a4e025e33dcf3cf3
                    cf04bc9aeff057bb8d77bd24e953153bd3cef4f3bd3cef734ef4ea53c99ce753cf735566f1365f1566f513a4ec85b7b9b9de9f9de879def97d1ef97d3e8cf91d
                    e793e7b2afa73e91f6e8d44818181890e641b3e0011aef0b02678af15f9ff8bff4fdde6ef5a92e5c9757cf9940f983bef087fe1b19c25b1981b3fb8193e1b03d
                    c07fe0077de107f83077410a7e33077de107f8301efa107f89ac1fc4b071c2bff0fa1e488114f8
                    """),
                h("""
                    80e1012d8374c30d11223344003002380208020000fa2f0983232b1fff95fffc3ae38efe3b64d77edadfbebaf9f8be47d3e9f46de792f3cf7d1b0921f4673b39
                    defa3c9492b914c885d9c8a408ac4560a19082c030aa44382514f800f62f07cdd6557ffd5fedfffbfcf1a7b7a4c9e3f1c73ef35e3cebb1eab256d8d9b366c8ad
                    06c8ec6cb6c4d68ecbc514c804d62e904a2185509170b054805c015e00f02f07cde663ffebbfff879d6b9f6de54bdfd4f5977efe6f614646fa6fbfe1beea41f8
                    5ff08ef5da142a45520b1814330552041b48ac5482c022130ba45780
                    """),
            ],
            direction: .depacketizeOnly),
        // RFC 6416 with the StreamMuxConfig of 48 kHz stereo AAC-LC worked out from ISO/IEC 14496-3 1.7.3:
        // version 0, allStreamsSameTimeFraming 1, numSubFrames 0, 1 program / 1 layer, ASC 0x1190, frameLengthType
        // 0, latmBufferFullness 0xFF, no other data, no CRC = 40 00 23 20 3f c0. PayloadLengthInfo is one byte per
        // frame here; the second element spans two packets (marker on the last, RFC 6416 4.1).
        RtpVector(
            name: "latm-rfc6416", source: "hand-derived from RFC 6416 / ISO 14496-3", codec: .aac,
            payloadType: 96, ssrc: 0x0000_0001, firstSequence: 0, clockRate: 48000, channels: 2,
            latmConfig: h("400023203fc0"),
            frames: [
                Frame(timestamp: 0, key: true, data: h("0102030405")),
                Frame(timestamp: 1024, key: true, data: h("a1a2a3a4a5a6")),
            ],
            packets: [
                h("80e00000 00000000 00000001  05 0102030405"),
                h("80600001 00000400 00000001  06 a1a2a3"),
                h("80e00002 00000400 00000001  a4a5a6"),
            ],
            direction: .depacketizeOnly),
        // ffmpeg `-rtpflags latm -pkt_size 112` from the same AAC frames as aac-ffmpeg-fragmented; SDP said
        // config=400028103fc0 (16 kHz mono). Each AudioMuxElement spans two packets.
        RtpVector(
            name: "latm-ffmpeg", source: "ffmpeg 5.1 aac -rtpflags latm, captured", codec: .aac,
            payloadType: 96, ssrc: 0x1122_3344, firstSequence: 1000, clockRate: 16000,
            latmConfig: h("400028103fc0"),
            frames: [
                Frame(timestamp: 0x7946985f, key: true, data: h("""
                    de02004c61766335392e33372e313030000244a15a60e9154aeebecfad38a264a92e54a4248347661cc5986dac5712c574968dd25c5b98b62e8edc3168c6629e
                    67aa6729671529a784e21fc3d470b6dfbfd4d017f70775adcacdcab5aadceeb6baedadb54ce9b3a6b535a9ad32d32532532512512d1250303030303030303030
                    30303030303220606060606060606446cd9b360c8914b2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2f0
                    """)),
                Frame(timestamp: 0x79469c5f, key: true, data: h("""
                    010496da197365cb22c26d424c26e270fffb9ff7fad6ae6b55cffff2ffd7f11ab70e7ffeaffedfa9a9777dffff2ffcff735271612f1bb4cc2f4bcf3cf04bc90c
                    122f45585cb360f1f3b1791e5ef3da5b8f7dfceddd4cef4f3bd3cef734ef4ea53c99ce753cf73554ab097bb3f7a8e7df9ecfdf42108081844292ea458c1948d1
                    4a923aa41826e9209ba0c1374182427206b2eddb448eae12575f8d55fa1a47db81cee119a53030303121cc8366a1d9f0
                    """)),
            ],
            packets: [
                h("""
                    806003e87946985f11223344bfde02004c61766335392e33372e313030000244a15a60e9154aeebecfad38a264a92e54a4248347661cc5986dac5712c574968d
                    d25c5b98b62e8edc3168c6629e67aa6729671529a784e21fc3d470b6dfbfd4d017f70775adcacdcab5aadceeb6baedad
                    """),
                h("""
                    80e003e97946985f11223344b54ce9b3a6b535a9ad32d32532532512512d125030303030303030303030303030303220606060606060606446cd9b360c8914b2
                    cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2cb2f0
                    """),
                h("""
                    806003ea79469c5f11223344b0010496da197365cb22c26d424c26e270fffb9ff7fad6ae6b55cffff2ffd7f11ab70e7ffeaffedfa9a9777dffff2ffcff735271
                    612f1bb4cc2f4bcf3cf04bc90c122f45585cb360f1f3b1791e5ef3da5b8f7dfceddd4cef4f3bd3cef734ef4ea53c99ce
                    """),
                h("""
                    80e003eb79469c5f11223344753cf73554ab097bb3f7a8e7df9ecfdf42108081844292ea458c1948d14a923aa41826e9209ba0c1374182427206b2eddb448eae
                    12575f8d55fa1a47db81cee119a53030303121cc8366a1d9f0
                    """),
            ],
            direction: .depacketizeOnly),
        // RFC 3551 4.5.14 / 4.1: samples as is, stereo interleaved; a 10-byte frame with a budget of 5 goes out in
        // whole sample pairs (4 bytes), the timestamp advancing 2 per packet; marker clear.
        RtpVector(
            name: "pcmu-stereo-rfc3551", source: "hand-derived from RFC 3551", codec: .pcmu,
            payloadType: 0, ssrc: 0x0A0B_0C0D, firstSequence: 0x7FFF, clockRate: 8000, channels: 2, maxPayload: 5,
            frames: [Frame(timestamp: 0xFFFF_FFFE, key: true, data: h("00010203040506070809"))],
            packets: [
                h("80007fff fffffffe 0a0b0c0d  00010203"),
                h("80008000 00000000 0a0b0c0d  04050607"),
                h("80008001 00000002 0a0b0c0d  0809"),
            ],
            units: [
                Frame(timestamp: 0xFFFF_FFFE, key: true, data: h("00010203")),
                Frame(timestamp: 0, key: true, data: h("04050607")),
                Frame(timestamp: 2, key: true, data: h("0809")),
            ]),
        // ffmpeg pcm_alaw 8 kHz, 400 samples, `-pkt_size 172` (160-byte budget); byte-identical to ours.
        RtpVector(
            name: "pcma-ffmpeg", source: "ffmpeg 5.1 pcm_alaw, captured", codec: .pcma,
            payloadType: 8, ssrc: 0x1122_3344, firstSequence: 500, clockRate: 8000, maxPayload: 160,
            frames: [
                Frame(timestamp: 0x95b7295c, key: true, data: h("""
                    d5e0919e9a9a9990e2dd66161e1a1a19106c45e4979f9b9a9993eecd7a171c1b1a18126875fe949c9b9a989debf17d151d1b1a1b1d157df1eb92989a9b9c94fe
                    756812181a1b1c177acdee93999a9b9f97e4456c10191a1a1e1666dde290999a9a9e91e0d560111e1a1a1910625de6969e9a9a9990ecc564171f1a1a19136e4d
                    fa949c9b9a9892e8ca79141c1b1a181d6b71f2959d9b9a9b9d95fd716b1d181a1b1c1479cae892989a9b9c94fa4d6e13191a1a1f1764c5ec90999a9a9e96e65d
                    6210191a1a1e116055e0919e9a9a9990e2dd66161e1a1a19106c45e4979f9b9a9993eecd7a171c1b1a18126875fe949c9b9a989debf17d151d1b1a1b1d157df1
                    eb92989a9b9c94fe756812181a1b1c177acdee93999a9b9f97e4456c10191a1a1e1666dde290999a9a9e91e0d560111e1a1a1910625de6969e9a9a9990ecc564
                    171f1a1a19136e4dfa949c9b9a9892e8ca79141c1b1a181d6b71f2959d9b9a9b9d95fd716b1d181a1b1c1479cae892989a9b9c94fa4d6e13191a1a1f1764c5ec
                    90999a9a9e96e65d6210191a1a1e1160
                    """)),
            ],
            packets: [
                h("""
                    800801f495b7295c11223344d5e0919e9a9a9990e2dd66161e1a1a19106c45e4979f9b9a9993eecd7a171c1b1a18126875fe949c9b9a989debf17d151d1b1a1b
                    1d157df1eb92989a9b9c94fe756812181a1b1c177acdee93999a9b9f97e4456c10191a1a1e1666dde290999a9a9e91e0d560111e1a1a1910625de6969e9a9a99
                    90ecc564171f1a1a19136e4dfa949c9b9a9892e8ca79141c1b1a181d6b71f2959d9b9a9b9d95fd716b1d181a
                    """),
                h("""
                    800801f595b729fc112233441b1c1479cae892989a9b9c94fa4d6e13191a1a1f1764c5ec90999a9a9e96e65d6210191a1a1e116055e0919e9a9a9990e2dd6616
                    1e1a1a19106c45e4979f9b9a9993eecd7a171c1b1a18126875fe949c9b9a989debf17d151d1b1a1b1d157df1eb92989a9b9c94fe756812181a1b1c177acdee93
                    999a9b9f97e4456c10191a1a1e1666dde290999a9a9e91e0d560111e1a1a1910625de6969e9a9a9990ecc564
                    """),
                h("""
                    800801f695b72a9c11223344171f1a1a19136e4dfa949c9b9a9892e8ca79141c1b1a181d6b71f2959d9b9a9b9d95fd716b1d181a1b1c1479cae892989a9b9c94
                    fa4d6e13191a1a1f1764c5ec90999a9a9e96e65d6210191a1a1e1160
                    """),
            ],
            units: [
                Frame(timestamp: 0x95b7295c, key: true, data: h("""
                    d5e0919e9a9a9990e2dd66161e1a1a19106c45e4979f9b9a9993eecd7a171c1b1a18126875fe949c9b9a989debf17d151d1b1a1b1d157df1eb92989a9b9c94fe
                    756812181a1b1c177acdee93999a9b9f97e4456c10191a1a1e1666dde290999a9a9e91e0d560111e1a1a1910625de6969e9a9a9990ecc564171f1a1a19136e4d
                    fa949c9b9a9892e8ca79141c1b1a181d6b71f2959d9b9a9b9d95fd716b1d181a
                    """)),
                Frame(timestamp: 0x95b729fc, key: true, data: h("""
                    1b1c1479cae892989a9b9c94fa4d6e13191a1a1f1764c5ec90999a9a9e96e65d6210191a1a1e116055e0919e9a9a9990e2dd66161e1a1a19106c45e4979f9b9a
                    9993eecd7a171c1b1a18126875fe949c9b9a989debf17d151d1b1a1b1d157df1eb92989a9b9c94fe756812181a1b1c177acdee93999a9b9f97e4456c10191a1a
                    1e1666dde290999a9a9e91e0d560111e1a1a1910625de6969e9a9a9990ecc564
                    """)),
                Frame(timestamp: 0x95b72a9c, key: true, data: h("""
                    171f1a1a19136e4dfa949c9b9a9892e8ca79141c1b1a181d6b71f2959d9b9a9b9d95fd716b1d181a1b1c1479cae892989a9b9c94fa4d6e13191a1a1f1764c5ec
                    90999a9a9e96e65d6210191a1a1e1160
                    """)),
            ]),
        // ffmpeg pcm_mulaw 8 kHz, same settings; byte-identical to ours.
        RtpVector(
            name: "pcmu-ffmpeg", source: "ffmpeg 5.1 pcm_mulaw, captured", codec: .pcmu,
            payloadType: 0, ssrc: 0x1122_3344, firstSequence: 500, clockRate: 8000, maxPayload: 160,
            frames: [
                Frame(timestamp: 0xf453ecf6, key: true, data: h("""
                    ffc8bab3afafb2b9c6ef4a3b332f2f32394467ccbcb4b0afb2b8c2df4d3c35302f3137405bd0bdb5b0afb1b6bfd7533e36302f30363e53d7bfb6b1afb0b5bdd0
                    5b4037312f30353c4ddfc2b8b2afb0b4bccc674439322f2f333b4aefc6b9b2afafb3bac8ff483a332f2f3239466fcabbb3afafb2b9c4e74c3c34302f3138425f
                    cebcb5b0afb1b7c0db503d35302f31363f57d3beb6b0afb0b6bed3573f36312f30353d50dbc0b7b1afb0b5bcce5f4238312f30343c4ce7c4b9b2afafb3bbca6f
                    4639322f2f333a487ec8bab3afafb2b9c6ef4a3b332f2f32394467ccbcb4b0afb2b8c2df4d3c35302f3137405bd0bdb5b0afb1b6bfd7533e36302f30363e53d7
                    bfb6b1afb0b5bdd05b4037312f30353c4ddfc2b8b2afb0b4bccc674439322f2f333b4aefc6b9b2afafb3bac8ff483a332f2f3239466fcabbb3afafb2b9c4e74c
                    3c34302f3138425fcebcb5b0afb1b7c0db503d35302f31363f57d3beb6b0afb0b6bed3573f36312f30353d50dbc0b7b1afb0b5bcce5f4238312f30343c4ce7c4
                    b9b2afafb3bbca6f4639322f2f333a48
                    """)),
            ],
            packets: [
                h("""
                    800001f4f453ecf611223344ffc8bab3afafb2b9c6ef4a3b332f2f32394467ccbcb4b0afb2b8c2df4d3c35302f3137405bd0bdb5b0afb1b6bfd7533e36302f30
                    363e53d7bfb6b1afb0b5bdd05b4037312f30353c4ddfc2b8b2afb0b4bccc674439322f2f333b4aefc6b9b2afafb3bac8ff483a332f2f3239466fcabbb3afafb2
                    b9c4e74c3c34302f3138425fcebcb5b0afb1b7c0db503d35302f31363f57d3beb6b0afb0b6bed3573f36312f
                    """),
                h("""
                    800001f5f453ed961122334430353d50dbc0b7b1afb0b5bcce5f4238312f30343c4ce7c4b9b2afafb3bbca6f4639322f2f333a487ec8bab3afafb2b9c6ef4a3b
                    332f2f32394467ccbcb4b0afb2b8c2df4d3c35302f3137405bd0bdb5b0afb1b6bfd7533e36302f30363e53d7bfb6b1afb0b5bdd05b4037312f30353c4ddfc2b8
                    b2afb0b4bccc674439322f2f333b4aefc6b9b2afafb3bac8ff483a332f2f3239466fcabbb3afafb2b9c4e74c
                    """),
                h("""
                    800001f6f453ee36112233443c34302f3138425fcebcb5b0afb1b7c0db503d35302f31363f57d3beb6b0afb0b6bed3573f36312f30353d50dbc0b7b1afb0b5bc
                    ce5f4238312f30343c4ce7c4b9b2afafb3bbca6f4639322f2f333a48
                    """),
            ],
            units: [
                Frame(timestamp: 0xf453ecf6, key: true, data: h("""
                    ffc8bab3afafb2b9c6ef4a3b332f2f32394467ccbcb4b0afb2b8c2df4d3c35302f3137405bd0bdb5b0afb1b6bfd7533e36302f30363e53d7bfb6b1afb0b5bdd0
                    5b4037312f30353c4ddfc2b8b2afb0b4bccc674439322f2f333b4aefc6b9b2afafb3bac8ff483a332f2f3239466fcabbb3afafb2b9c4e74c3c34302f3138425f
                    cebcb5b0afb1b7c0db503d35302f31363f57d3beb6b0afb0b6bed3573f36312f
                    """)),
                Frame(timestamp: 0xf453ed96, key: true, data: h("""
                    30353d50dbc0b7b1afb0b5bcce5f4238312f30343c4ce7c4b9b2afafb3bbca6f4639322f2f333a487ec8bab3afafb2b9c6ef4a3b332f2f32394467ccbcb4b0af
                    b2b8c2df4d3c35302f3137405bd0bdb5b0afb1b6bfd7533e36302f30363e53d7bfb6b1afb0b5bdd05b4037312f30353c4ddfc2b8b2afb0b4bccc674439322f2f
                    333b4aefc6b9b2afafb3bac8ff483a332f2f3239466fcabbb3afafb2b9c4e74c
                    """)),
                Frame(timestamp: 0xf453ee36, key: true, data: h("""
                    3c34302f3138425fcebcb5b0afb1b7c0db503d35302f31363f57d3beb6b0afb0b6bed3573f36312f30353d50dbc0b7b1afb0b5bcce5f4238312f30343c4ce7c4
                    b9b2afafb3bbca6f4639322f2f333a48
                    """)),
            ]),
        // ffmpeg libopus 48 kHz mono 20 ms: one Opus packet per RTP packet. ffmpeg sets the marker on every packet;
        // RFC 7587 4.1 / RFC 3551 4.1 keep it for the first packet of a talkspurt, so ours leaves it clear (0x6f).
        RtpVector(
            name: "opus-ffmpeg", source: "ffmpeg 5.1 libopus, captured", codec: .opus,
            payloadType: 111, ssrc: 0x1122_3344, firstSequence: 7, clockRate: 48000, channels: 2,
            frames: [
                Frame(timestamp: 0x4d267377, key: true, data: h("""
                    48822eb76c56b7f40001e5cd9ded1aa6e905ea15906762a40b929b5c4c95371043ebc8652cf0fc8330d887db59089d7e2412a0
                    """)),
                Frame(timestamp: 0x4d267767, key: true, data: h("48a48857ac9885035c260a8ec1b9bcc3b0e18230a63302cbdf0b0e34889043bc1db2cea68a7c13219b82d868")),
                Frame(timestamp: 0x4d267b27, key: true, data: h("489c1b57515f25a38faf9405a977430112f4287af01ecebcd7aebad451e8d20e0330184e8ff3a4dd0fa056bce8")),
                Frame(timestamp: 0x4d267ee7, key: true, data: h("489c1b5256ce1fea1179c1f4083eeb5c5a70bdc36cccc99924b5ec386922fde29f2bd7b0d9ef13b1fb88f598c73d30")),
                Frame(timestamp: 0x4d2682a7, key: true, data: h("489c1b9f759cfc4933bfc51e07d8e1da7cb41428c11081df16e5d826873454ce8051e0")),
                Frame(timestamp: 0x4d268667, key: true, data: h("488285361eb0c9ae72af524ce3ffcf08dbd9b507631a186a4b9f39b1")),
            ],
            packets: [
                h("""
                    80ef00074d2673771122334448822eb76c56b7f40001e5cd9ded1aa6e905ea15906762a40b929b5c4c95371043ebc8652cf0fc8330d887db59089d7e2412a0
                    """),
                h("""
                    80ef00084d2677671122334448a48857ac9885035c260a8ec1b9bcc3b0e18230a63302cbdf0b0e34889043bc1db2cea68a7c13219b82d868
                    """),
                h("""
                    80ef00094d267b2711223344489c1b57515f25a38faf9405a977430112f4287af01ecebcd7aebad451e8d20e0330184e8ff3a4dd0fa056bce8
                    """),
                h("""
                    80ef000a4d267ee711223344489c1b5256ce1fea1179c1f4083eeb5c5a70bdc36cccc99924b5ec386922fde29f2bd7b0d9ef13b1fb88f598c73d30
                    """),
                h("80ef000b4d2682a711223344489c1b9f759cfc4933bfc51e07d8e1da7cb41428c11081df16e5d826873454ce8051e0"),
                h("80ef000c4d26866711223344488285361eb0c9ae72af524ce3ffcf08dbd9b507631a186a4b9f39b1"),
            ],
            patches: (0..<6).map { Patch(packet: $0, offset: 1, byte: 0x6F) }),
    ]

    static func named(_ name: String) -> RtpVector {
        guard let v = all.first(where: { $0.name == name }) else { fatalError("no vector \(name)") }
        return v
    }

    // MARK: RTCP

    /// ffmpeg 5.1 `-cname mediarouter@test`: SR (SSRC 0x11223344, nothing sent yet) + SDES CNAME.
    static let ffmpegSenderReport = h("""
        80c8000611223344eeb284cea353f7ce79064a73000000000000000081ca00061122334401106d65646961726f7574657240746573740000
        """)
    /// The same session's last compound packet with `-rtpflags send_bye`: SR (6 packets, 250 octets) + SDES + BYE.
    static let ffmpegSenderReportBye = h("""
        80c8000611223344eeb284cebd2f1a9f79065d6300000006000000fa81ca00061122334401106d65646961726f757465724074657374000081cb000111223344
        """)

    /// RFC 3550 6.4.2 receiver report, one block, by hand: LSR is the middle of the NTP time in
    /// ffmpegSenderReport (eeb2 84cea353 f7ce), DLSR 1.5 s = 0x18000 / 65536, 5 lost (25 % lately).
    static let receiverReport = h("""
        81c90007 01020304
        11223344 40000005 00010010 00000020 84cea353 00018000
        """)
}
