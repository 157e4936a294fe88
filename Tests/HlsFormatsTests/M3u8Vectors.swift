/// Playlists written by ffmpeg 5's hls muxer (`-f hls -hls_time 1`, testsrc + sine, libx264 + aac), byte for byte.
enum M3u8Vectors {
    /// `-hls_playlist_type vod`.
    static let vod = """
        #EXTM3U
        #EXT-X-VERSION:3
        #EXT-X-TARGETDURATION:1
        #EXT-X-MEDIA-SEQUENCE:0
        #EXT-X-PLAYLIST-TYPE:VOD
        #EXTINF:1.000000,
        index0.ts
        #EXTINF:1.000000,
        index1.ts
        #EXTINF:1.000000,
        index2.ts
        #EXTINF:1.000000,
        index3.ts
        #EXT-X-ENDLIST

        """

    /// `-hls_list_size 5 -hls_flags delete_segments`, captured while running (8 segments made so far).
    static let liveWindow = """
        #EXTM3U
        #EXT-X-VERSION:3
        #EXT-X-TARGETDURATION:1
        #EXT-X-MEDIA-SEQUENCE:3
        #EXTINF:1.000000,
        index3.ts
        #EXTINF:1.000000,
        index4.ts
        #EXTINF:1.000000,
        index5.ts
        #EXTINF:1.000000,
        index6.ts
        #EXTINF:1.000000,
        index7.ts

        """

    /// `-master_pl_name master.m3u8`.
    static let master = """
        #EXTM3U
        #EXT-X-VERSION:3
        #EXT-X-STREAM-INF:BANDWIDTH=70400,RESOLUTION=320x240,CODECS="avc1.42c00d,mp4a.40.2"
        stream.m3u8


        """

    /// A second run with `-hls_flags append_list+omit_endlist` on the first one's playlist.
    static let appended = """
        #EXTM3U
        #EXT-X-VERSION:3
        #EXT-X-TARGETDURATION:1
        #EXT-X-MEDIA-SEQUENCE:0
        #EXTINF:1.000000,
        index0.ts
        #EXTINF:1.000000,
        index1.ts
        #EXT-X-DISCONTINUITY
        #EXTINF:1.000000,
        index2.ts
        #EXTINF:1.000000,
        index3.ts

        """

    /// `-hls_segment_type fmp4 -hls_playlist_type vod`.
    static let fmp4 = """
        #EXTM3U
        #EXT-X-VERSION:7
        #EXT-X-TARGETDURATION:1
        #EXT-X-MEDIA-SEQUENCE:0
        #EXT-X-PLAYLIST-TYPE:VOD
        #EXT-X-MAP:URI="init.mp4"
        #EXTINF:1.000000,
        fmp40.m4s
        #EXTINF:1.000000,
        fmp41.m4s
        #EXT-X-ENDLIST

        """
}
