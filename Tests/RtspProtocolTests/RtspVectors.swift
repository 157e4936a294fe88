// Byte vectors captured from real clients and a real server on this machine (Debian 12: ffmpeg 5.1.9 =
// Lavf59.27.100, GStreamer 1.22.0), so the parsers are tested on what peers really send, not on RFC examples.
//
// Capture setup: a python3 TCP server on 127.0.0.1 logged every byte received and answered minimal replies
// (200 OK with CSeq; "Public" for OPTIONS; the echoed Transport plus "Session: 12345678;timeout=60" for SETUP;
// a canned SDP for DESCRIBE; a 401 with `WWW-Authenticate: Digest realm="MediaRouter",
// nonce="0123456789abcdef0123456789abcdef"` when auth was on). The client commands are given per vector.
// Server replies were captured with a python3 proxy between ffprobe and GStreamer's gst-rtsp-server 1.22
// (python3-gi, GstRtspServer). Text vectors keep the exact bytes (CRLF line ends, Content-Length bodies);
// binary ones are base64 of the raw TCP stream.

enum RtspVectors {

    /// `ffmpeg -re -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=440:sample_rate=44100 -t 1
    ///  -c:v libx264 -preset ultrafast -c:a aac -f rtsp rtsp://127.0.0.1:18554/live/a` (H.264 High 4:4:4 + AAC 44.1 kHz mono,
    /// UDP). OPTIONS, ANNOUNCE, 2 SETUP, RECORD, TEARDOWN.
    static let ffmpegPublishUdp = """
        OPTIONS rtsp://127.0.0.1:18554/live/a RTSP/1.0\r\n\
        CSeq: 1\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        ANNOUNCE rtsp://127.0.0.1:18554/live/a RTSP/1.0\r\n\
        Content-Type: application/sdp\r\n\
        CSeq: 2\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Content-Length: 495\r\n\
        \r\n\
        v=0\r\n\
        o=- 0 0 IN IP4 127.0.0.1\r\n\
        s=No Name\r\n\
        c=IN IP4 127.0.0.1\r\n\
        t=0 0\r\n\
        a=tool:libavformat LIBAVFORMAT_VERSION\r\n\
        m=video 0 RTP/AVP 96\r\n\
        a=rtpmap:96 H264/90000\r\n\
        a=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z/QADZGWgUH7ARAAAAMAEAAAAwMg8UKq,aM4PGSA=; profile-level-id=F4000D\r\n\
        a=control:streamid=0\r\n\
        m=audio 0 RTP/AVP 97\r\n\
        b=AS:69\r\n\
        a=rtpmap:97 MPEG4-GENERIC/44100/1\r\n\
        a=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3; config=120856E500\r\n\
        a=control:streamid=1\r\n\
        SETUP rtsp://127.0.0.1:18554/live/a/streamid=0 RTSP/1.0\r\n\
        Transport: RTP/AVP/UDP;unicast;client_port=8662-8663;mode=record\r\n\
        CSeq: 3\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        SETUP rtsp://127.0.0.1:18554/live/a/streamid=1 RTSP/1.0\r\n\
        Transport: RTP/AVP/UDP;unicast;client_port=8664-8665;mode=record\r\n\
        CSeq: 4\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        \r\n\
        RECORD rtsp://127.0.0.1:18554/live/a RTSP/1.0\r\n\
        Range: npt=0.000-\r\n\
        CSeq: 5\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        \r\n\
        TEARDOWN rtsp://127.0.0.1:18554/live/a RTSP/1.0\r\n\
        CSeq: 6\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        \r\n
        """

    /// Raw TCP bytes of `ffmpeg -re -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000
    /// -t 1 -pix_fmt yuv420p -c:v libx264 -preset ultrafast -g 25 -c:a aac -ac 2 -rtsp_transport tcp -f rtsp
    /// rtsp://127.0.0.1:18555/live/a`: OPTIONS, ANNOUNCE (H.264 Constrained Baseline + AAC 48 kHz stereo),
    /// 2 SETUP with interleaved=0-1 / 2-3, RECORD, then interleaved RTCP and RTP frames, exactly as received
    /// (the capture stops mid-stream; the last frame is complete).
    static let ffmpegPublishTcpBase64 = """
        T1BUSU9OUyBydHNwOi8vMTI3LjAuMC4xOjE4NTU1L2xpdmUvYSBSVFNQLzEuMA0KQ1NlcTogMQ0KVXNlci1BZ2VudDogTGF2ZjU5\
        LjI3LjEwMA0KDQpBTk5PVU5DRSBydHNwOi8vMTI3LjAuMC4xOjE4NTU1L2xpdmUvYSBSVFNQLzEuMA0KQ29udGVudC1UeXBlOiBh\
        cHBsaWNhdGlvbi9zZHANCkNTZXE6IDINClVzZXItQWdlbnQ6IExhdmY1OS4yNy4xMDANCkNvbnRlbnQtTGVuZ3RoOiA0OTYNCg0K\
        dj0wDQpvPS0gMCAwIElOIElQNCAxMjcuMC4wLjENCnM9Tm8gTmFtZQ0KYz1JTiBJUDQgMTI3LjAuMC4xDQp0PTAgMA0KYT10b29s\
        OmxpYmF2Zm9ybWF0IExJQkFWRk9STUFUX1ZFUlNJT04NCm09dmlkZW8gMCBSVFAvQVZQIDk2DQphPXJ0cG1hcDo5NiBIMjY0Lzkw\
        MDAwDQphPWZtdHA6OTYgcGFja2V0aXphdGlvbi1tb2RlPTE7IHNwcm9wLXBhcmFtZXRlci1zZXRzPVowTEFEZG9GQit3RVFBQUFB\
        d0JBQUFBTWc4VUtxQT09LGFNNFB5QT09OyBwcm9maWxlLWxldmVsLWlkPTQyQzAwRA0KYT1jb250cm9sOnN0cmVhbWlkPTANCm09\
        YXVkaW8gMCBSVFAvQVZQIDk3DQpiPUFTOjEyOA0KYT1ydHBtYXA6OTcgTVBFRzQtR0VORVJJQy80ODAwMC8yDQphPWZtdHA6OTcg\
        cHJvZmlsZS1sZXZlbC1pZD0xO21vZGU9QUFDLWhicjtzaXplbGVuZ3RoPTEzO2luZGV4bGVuZ3RoPTM7aW5kZXhkZWx0YWxlbmd0\
        aD0zOyBjb25maWc9MTE5MDU2RTUwMA0KYT1jb250cm9sOnN0cmVhbWlkPTENClNFVFVQIHJ0c3A6Ly8xMjcuMC4wLjE6MTg1NTUv\
        bGl2ZS9hL3N0cmVhbWlkPTAgUlRTUC8xLjANClRyYW5zcG9ydDogUlRQL0FWUC9UQ1A7dW5pY2FzdDtpbnRlcmxlYXZlZD0wLTE7\
        bW9kZT1yZWNvcmQNCkNTZXE6IDMNClVzZXItQWdlbnQ6IExhdmY1OS4yNy4xMDANCg0KU0VUVVAgcnRzcDovLzEyNy4wLjAuMTox\
        ODU1NS9saXZlL2Evc3RyZWFtaWQ9MSBSVFNQLzEuMA0KVHJhbnNwb3J0OiBSVFAvQVZQL1RDUDt1bmljYXN0O2ludGVybGVhdmVk\
        PTItMzttb2RlPXJlY29yZA0KQ1NlcTogNA0KVXNlci1BZ2VudDogTGF2ZjU5LjI3LjEwMA0KU2Vzc2lvbjogMTIzNDU2NzgNCg0K\
        UkVDT1JEIHJ0c3A6Ly8xMjcuMC4wLjE6MTg1NTUvbGl2ZS9hIFJUU1AvMS4wDQpSYW5nZTogbnB0PTAuMDAwLQ0KQ1NlcTogNQ0K\
        VXNlci1BZ2VudDogTGF2ZjU5LjI3LjEwMA0KU2Vzc2lvbjogMTIzNDU2NzgNCg0KJAMAHIDIAAbT/vP77rKDidAgxJtAQ2SjAAAA\
        AAAAAAAkAQAcgMgABrtqMIPusoOJ0KPXCgmo+Y4AAAAAAAAAACQAAl6AYAnQCajGsrtqMIMGBf//TtxF6b3m2Ui3lizYINkj7u94\
        MjY0IC0gY29yZSAxNjQgcjMwOTUgYmFlZTQwMCAtIEguMjY0L01QRUctNCBBVkMgY29kZWMgLSBDb3B5bGVmdCAyMDAzLTIwMjIg\
        LSBodHRwOi8vd3d3LnZpZGVvbGFuLm9yZy94MjY0Lmh0bWwgLSBvcHRpb25zOiBjYWJhYz0wIHJlZj0xIGRlYmxvY2s9MDowOjAg\
        YW5hbHlzZT0wOjAgbWU9ZGlhIHN1Ym1lPTAgcHN5PTEgcHN5X3JkPTEuMDA6MC4wMCBtaXhlZF9yZWY9MCBtZV9yYW5nZT0xNiBj\
        aHJvbWFfbWU9MSB0cmVsbGlzPTAgOHg4ZGN0PTAgY3FtPTAgZGVhZHpvbmU9MjEsMTEgZmFzdF9wc2tpcD0xIGNocm9tYV9xcF9v\
        ZmZzZXQ9MCB0aHJlYWRzPTMgbG9va2FoZWFkX3RocmVhZHM9MSBzbGljZWRfdGhyZWFkcz0wIG5yPTAgZGVjaW1hdGU9MSBpbnRl\
        cmxhY2VkPTAgYmx1cmF5X2NvbXBhdD0wIGNvbnN0cmFpbmVkX2ludHJhPTAgYmZyYW1lcz0wIHdlaWdodHA9MCBrZXlpbnQ9MjUg\
        a2V5aW50X21pbj0yIHNjZW5lY3V0PTAgaW50cmFfcmVmcmVzaD0wIHJjPWNyZiBtYnRyZWU9MCBjcmY9MjMuMCBxY29tcD0wLjYw\
        IHFwbWluPTAgcXBtYXg9NjkgcXBzdGVwPTQgaXBfcmF0aW89MS40MCBhcT0wAIAkAAXAgGAJ0QmoxrK7ajCDfIWIhDomKAAJAsnE\
        YOAAIP4AAgxcQAAQDAAWIAAINIAAgmRH6GMABEAAsBg2heVCsgl4JU1u/gAebNVv6AmGm/twAeD/EtjLaNd/XQAPBfi2xlsGu/rr\
        nszNjfqdXcMMIAA4AHCTwQAAgbgACCIABQB2ABjpZnokzAB+ltkAkHf+bUrW/YDcK99AAfEhTlYZ2LLW5wAHhHO2EZRIEonj3XBj\
        3zZxXIUDlBJUGMABJIWGc7u4pxRQAAgDwBYe/wbh78Be31BQhPzB/w/4QAAgCgDBoDgQAAgHgACG2DwAC2hljNwMi5T4BJNgw+gx\
        YQjQjk59yCa1gw5OIwcAAQfgABBj4gAAgGgAkQAAQaAABBNiPUnEYoAAmPRwABIDjgACBtEfojBwABB+AAEGPiAACAaACRAABBoA\
        AEE2ThjAARGQlEaz+9zXuf4AH0p2oVHR329+nTmjwKjadraP/hAAHQEGuBAACAKAIGlIADn/RVQpNyJ4NI4cABx9eFZDm3Y/wYWw\
        wx6AQOcHTNJfLj3YuUeW/g4El3iH+dA2hSr/v/wAPDZFRgS8nA5Xfv/AA8naLPkBcMN/YCEyMkNuplZwgADQADhICgQAAgZgACGq\
        AB28jSGl5FZyDDWPYXlJTwKuy/AJQQn/8aOYQqzn0wekywBgK52EUEbTQ5Um9ZAJ8FRnAegPtv/wI7kRg4AAg/gACDFxAABAMABY\
        gAAg0gACCZEfpOuunhZwAEACIQgAdALWWN4HqBCwkT+ADwf4lsZbRrv664APB/iWxltGu/roAHg/xLYy2jXf10GHCAANABQSLBAA\
        CBiAAIHwAAgCABeAD9LbIBIO/8wAP0tmQBIO/81/TPMGpShAA8I52wjKJAlE8e6AAsI4sZDHQSBPzh59jJmYMVxAYg45AtgAIMpS\
        lKUpQABAkAAjOcgQEwAPB/iWxltGu/roHDf738IAAoGMOCAAEB8AAQAQHhG/pnmDUpQDD4yZmDFcQGIOOQMOnrp6euZ/V09dcLOA\
        Amm000AAIFwAAgI3VADA7/6E7RZ8MMVopp+kAAQYIufDgAQYIuQ4AEGCLgFAACAEAKETAAEFMAAQNPAainGQ+uwBpAjACXAUBYbE\
        ORxnnYUt4ADVIAAhgABAFuBbAEAAvsAEoCCxcRjZRiZnLYEJkZIbdTKzh4E7RZ8gLhhv7AQmRkht1MrPhw8Cdos+QFww39vwITIy\
        Q26mVnDwJ2iz5AXDDf2AhMjJDbqZWcIAAgtBAgABAXDYAXIrFeEsou/x4DUU4y0aTkVivCWUXf4xBHwPUwoDdDrz+fxDYhyOM/ll\
        Le7CBC4bUwwDdDrz+J6euuuFsABNAQCNOPaNLlhixyRkX8ADzZqt/QEw039vgaTNEn6gumm/sALCF/iCQWPngMIAIr3BAACAOAMB\
        QnAAxlWZ6JN7GaWQFeoUJ2/QAHYmOcrDO5Za3O4AIM1s4SCbaQEhJf+C2AAgGO8l73vJADgWxvxODwAHgvxbYy2DXf10D89mZsb9\
        Tq7g/hvfwgACwEOEBAACBSAAIB4BoX0ol+8Y9tJcGH4G48rrOZhgO0aEgw7Wnrp6eunrp666cvC6gAIMhSkKQpCkKQhU/6Ae4tMb\
        bRjv66//hKaCAJzChgjuMsgaEKHwwLhOihjeJCvuuL4WcAdgAQQQ01dAuXCE5AamvwAeC3EpjbYMd/XX+BGZkaG3Q6M9PEvE9rmE\
        +rwYKAkF/qtjyBu+7/wgADQGCyoQAAgZgACAuAAwDgIujLMEpCh4KxDm9YUgXt+8CwbKoY3iAvzri8CUGOZGpVRodETMF66664Wc\
        ABCYAAhwCBlzPsJSqTY5NFYJkAHsIM1A9UgYfN+r0HgAlACYgcRTfA69cxAABACBVzIAAIAQKuYALYAAgAChKSuMkDBsN77gweAC\
        UAJiBxFN8Dr1zeHAAIAQKuYcAAgBAq4kAAXAgGAJ0gmoxrK7ajCDfAViAAI0QAAQDgAfIAjFXIcCMVckAACACABQG3IcAAQAQAKA\
        243m9U9dPT109dPXXT08LuAAhOAAQEjLlxOoHr4TYxMQ0L+AFgBIAF1I8ik8B165vBaDDsSOVIGXjfq9/+ALAAKgBzDAWaA6PniC\
        0GHYkcqQMvG/V4RcQACNImVzD2VzIARDbmHARC7muuuOwAEAIOMC3qxbETh2Wl6GvnM5fAB7CDNQPVIGHzfq9EAAFAA5pgKNgdHz\
        x8FoIOxA9UiZfN+rwADoMgj2JMNHiHV+pCGOcwAAQIAABAEAOCyYQAAIBQAAgCAB1zIAAEAoAAQBAA65/IAAEAoAAQBAA65hwABA\
        KAAEAQAOufp6enrp6eunrp666eninLz2lZfjsABJAACAcGBhw5JIANgrXoS8O47gBYASABdSPIpPAdeubwQgABAAECU1MZIGTQb3\
        3f/gA9hhmpHKkTDxv1egKDKCi/0xhVT/PKAL/DrrjsAFgACAAAU8JIDAWG+t5J5w+/fwCICiv1zhQeM7btfw+GGQVzUmGoAANb8q\
        oHwOAAIBYAAgDAB9wgAAQCAABAHADrmHAAEAgAAQBwA65p9PT09dPT109dPXXTws4ACAACAAAQJIESA2hQIUKB07Quv/BwBAEMg4\
        ABwAAQHzODgAHAABAfMg4ABwAAQHzIgAmQgAAgAAFWBxCFlhxCFl4HAAIAKCpYcAAgAoKlhZwBAAAgHgA4OPnj544/P/BwADgAAg\
        PmQcAA4AAID5nwhMiCAAjPfhxCFl+HAAIAKCpeOwALIAp4RcgsMkALsPhDOPv7wwiCvagwwAWId36EEQAAQCwABBGYDgAOgiiPYg\
        0xLxX1FQ4OAAIBYAAgjMQcAAQCwABBGYIAAEAsAAQBwA+5jgACAUAAII7FdcdgAJJAACANv+AIADQfSxpTw+gBIMgKL9TOFAgzsv\
        1/kAACBsAAIA4LuB/LAAEGcooAAgzl6enp6eunp66eunrrp4TcABAABAjAAEAcAsJkZGREZGBQJCGhIQkSgcAAQCgABBHMjgACAW\
        AAIIxnHAAEAsAAQRjI4AAgFgACCMZ/8cMcAAjHqADgACACAQJIkAJCViwDUNbEyspnM3wcAAQNgABDLMg4AAgFAACCOZ/8dgAJNA\
        ACAN/uAKABIPJYkggX/AAcEUEFfrjKoRYW3aIAyAABA3AAEAYFXPxwABALAAEEZiDgACAWAAIIzFdddPT09PXT09dPXT1108c4Ag\
        AAQIgABAGAKCZGREZGg6sHAAEAsAAQRjPwcAAQCgABBHM/x2AIAAECIAAQBwCwmRERERoOr8HAAEAsAAQRjPwcAAQCgABBHM9ddc\
        dgAJtAAHtuAopxybjbv/AAcGUFF/pjCoQYWXafyAABA2AAEAYF3A/T09PT109PXT109ddPHOAAgAAgRAACAMAWEiMiIyMiIyMiIi\
        MjIv/BwABALAAEEYyDgACAUAAII5nBwABAKAAEEcyDgACAUAAII5kdgAIAAIAABQkgQAmhEWHDgY8GFiwf+DgACAUAAII5kHAAEA\
        oAAQRzODgACAWAAIIxmOwAE0gAD+/AQY25J11r/8AB0GQR7EmGjxDq/UhDIAAEAsAAQBgA+5rrjsABIAAwFVVjHBUuDCXD6J5Rhw\
        ABA3AAEAQFXIASwiiuag0wDfN+UA5w8QAAQCwABBGYg4AAgFgACCMwAD2GGakcm+YeN+r3g8AJAAupHvpPAdeub09PT09dPT109d\
        PXXTwuoACAACACAUJIkSI0hQoUKF06QtgcAgCmRwADoAAgPGccAA6AAIDxkcAA6AAIDxn/xACZCAACACAdAchCSw5CEl+BwACICg\
        uWHAAIgKC5fhnACRsoXiAMQARKa0i9jX+BwAD/AAEBITWA4AB/gACAoJrBqGBaxVDAtYNQwLWZqsYcPY1DAtYqhgWsGoYFrIrhgk\
        AAXAgGAJ0wmoxrK7ajCDfAU9enjsPfwMAATDwECAAYBVw5CEl/DgAEQFBcv45wAEDARYbPTuhQICnkhdSCUvDgACBsAAIA4LuYAS\
        CICCvVzlRQBW2/WkPgA9hBmoHqvGHzfq9Qgg7ED1AKqf1Xq95AAAgFAACAOAHXNdcdgAIGYAEA06KtImnfh/GfASCL4Cgiggr9cZ\
        VH2Ft2nwYgAAgEgACCMwAA6CKI9iDTEvFfUV8HAAEAkAAQRmJAAkAC6keRSeA69cwOAAIBIAAgjMAKwiCvagwweId36EKenp6eun\
        p66eunrrp6enJKYHOAAmwABAWwACAaKxRClpX4S+IgjQFBkBRfqZwoEGNl+v/hhkFc1JhqAAC2/KqBw4APYQZqB6pAw+b9XiAABA\
        KAAEAUAMuAKCICiv1zhRT/fKgLkAACAUAAIAoAZc/XC2AC5IIAAQJ0PQABYE/QBUbtbvu7u7u7uBwADTAACAyEgACA+QAAQfAHHA\
        BSkDg0BIpcl4DgAaAAIAMUgcANAAWKR+XhdQAXJBAVDUCWXwobtbvDcVu7u4rcVgcLAoSIwHK7hcMpF8i+pA7hSkXl4YUABAx1re\
        EOEPv/IOOXHAAWwABAAFCElMZImDQb33f2+K3d3cVuK3CABBJSEAAcBwYNi+pA4NAaKUl4vqQOAaAB4pF5eF1AA+SCB0NlB540IN\
        duK97itxW94HIg4SIwFF9SKhkkyL6kLgZSLy8LqAEcQXbmMIFm7Wq6qqqqqqgyCAkIQftu4uakDuBSkXl4XUAI4IAAgRqygACAKA\
        T4BE3a1XVVVVVVUDAAEuAQJAAEGowAAgPA6ARkHQIzdg4AB+gACCFFIHAAEAGgACCVFIvLwuoARxC7chBh5u1quqqqqqqoEoIJBC\
        BLYhMvYuakDjgUpF5eF1ACwABACA4VKRJtsSIQbVfVVXwgFgpwQABwHBgRFWA7AVpOWxc1IcAgAcyXyLUAONzZgQ6ChijBjKPwoA\
        DaRbLaYt4tQA4NxmYEOgoYo4EAwfH0gcwHaRbLaaeMUAOAACAxLAACAIqoOgoAAg8igAeGAAWgkHAAEACAACCbNIHAAEAKAACCrN\
        ItlsHEAEZBxABGcLqAEVviHWP/3+/qvqqqFDOAh4oPSB8B2kWy2mWkVhlQAXtgAEYBA9w8yZobtA4j4OI+Ovji+DiPg6Pji+OL44\
        vji+OL46+Ovji+OL44vhA4OMCAAEAQAOZqFpCwAbSstgo9IHAAIQAAQD5pFsthdQAXthgiXJMMHDJu1quovKyqi6i4GEYYKMoMKu\
        MxAG4FuzEHwB8DtItlsLqAC9sMESxJxgwbN2tVxdVVVF1F1AwLggUZQMhaQoDaRbLYoPSB8DtItlsMqAFrAHymACABLIqucDg3g4\
        N5YLLBYODeDg3jg3jg3igsUFigsUFjg3jg3jg3jg3iAAQGQUAAQVDgACC8VAAIWQ8AAgZuQcAA3AABA0mkDgAGYAAIFk0i2WwyoA\
        QAxDwELfxu0KsVb+/ttv7+/v479/Hfjv39/AqDChihAtiSZWRR6QPgO0i2WwuoADb0AAIBAAcOluRY6fSnu8AB0GURzFmmpcK8qq\
        4Pb27u7hgCJ7CAAEAQAFKlMHEABGVkUHpA4ABKAACAnNItlsLrj/YAAhNc/AAEHwAAQQEwACz/zuGGUV7Ryquftgi+1IAAEAgAAQ\
        BQAyWD2HAAEAgAAQBQAyWHAAEAgAAQBQAyXdu7u7u4HoGFBnAZMSTKyD4+kDmA7SLZbC6gutFS7/e/wlAgUMGgkG7hcAylJeWLEA\
        mXzOdSWiXzxJJv0xPqdMzuyV5nQmiXVkzsVU7EZw9THRJPolyc9M4VFMGo5xAVHvbv7u7iXd+iXyiXppnFD+hbABe2MAAQDPI8AQ\
        GEAARm7QHACHFSw4AEHGS5kOABAoRLDgAEAOGS5lVVVVVAwABUoAAgQAYAAQDCgACEUkAAXAgGAJ1AmoxrK7ajCDfAWDAQX4wBA8\
        D8DAACQADQMYAAQAAkD/C6gD9sY337ne43aRNAPMujwcjJaAcJTWj/8DMwMMav5RP/irDGIcH4XwB+2AEcEsxawABARAEjdoOrUY\
        IrR4OCQWaAcRHtH/4HAAOFAGCAAgBQAaEigACAF+MAQPA/GAQEgYwAQDwPwuoAOAzBOE2kJao9E6dwdiwr1AKxiU+G5L92sCMzI0\
        Nuh0Zx4AIY+aA4AhDZeBu1S/KCaYb+wcPAjMyNDbodGfA3apflBNMN/YMCMzI0Nuh0ZwgBECSQQAAgFAACACAAoBsA7OFct93MAx\
        LSZbECgmfyKhzBaKLv8ABeDGui55dKshwC42KYrjP5RIEA1h+MI/BrmFgZsdefwMKAHSyYgGqb4wcz/fg5DElhyGaX4cjJLB5ilH\
        /wN2qX5QTTDf2/wwABADoAaBwABBKIAAIH4waCmWAxLQSpekAPpBIAAQC5Z7jGCHB8Y2KYoO5/KL0ABniAAEOAAIAksMqAYCAAID\
        GfAACAQCEQABAFN2g4AECjJYcACDjJb+/hwAgoqWHACHES39/P38/f39/f38QABAAEBBBQABBFwAAirDoD0HQPeFAABAJAAEDeMA\
        oAAIBYAAgfxh+F1AMBNSGuc3arEpnhZlh1HL//EpAYGKmI7irDGCDg/C6gLAAMhhLKSQBIKX5WIdwOBHKlhwI5Uv/8INAFBAQABU\
        IAAQAuLYNED/xUYY4AEAG3hdQHT5Fz8qKaxqWql//gcDTDsbLGNIKj9sVeF1Ad+lp+VG3No1L/+Bw1sixxjSBUfz7hZwHQABALtA\
        DgugANPwOAiFyw4CITL8OCITLDgiEy//wkAAQFhAABB1DAAEBmgACF5GgAEgADQMaAAWAAEAaBl5eDgAFwABAF0GAAFwABAHl8Lq\
        AMXrum//eZt1Duj/4HDcmx8BeFT/nphlQB8kAHQUk0LcBy43aDgCEJlhwBDGyx/x/z5oDpcsf8f8H/H/B/x/x/x/x/x/wjgACAOA\
        CBAAGwGAAUBk7oLgNHwWOMLgAGAABAKnDwuoA+SEP1c9/LN2ijKNjlHg6IsoBxCFij/8D8gOG5IjFjj8W4xsKj8LqAPkhBernv55\
        u0LNQDpHUeDoiygHEIWKP/wP0BziFuMrF/xtYxpCo/DBIA0oAAQA7oAoTEbL4DiEeUBwTDy/DiELLDiEeX/8ACmyImN+hkdxAABA\
        RAOgkAAQQxAABDcDiAAgA0sOIACADSx0AAQAzIBmx/UAAIAb/eNAALgACAvAxoABUAAQD4GVAHSARkzcRJmzCDOADgYrFOQBY0g7\
        v3RkpSiDollh0nLH3ACGyImN+hk6gBDZEQ3foQx3IAAJgMFy8CZok/UF15f7CbgAU2RExv0InXAmaJP1BdeX+2BM0SfqC68v9hNx\
        Nx9x9x9wgADIAAgNnGhAACAEAAINwAwABEAzb+gAEAAIBj/eBWlgpVgYdl+oYVZrRZPPkGAEZM2iJMYOBMNCZ+FoJrZCswl0/YAK\
        gLPGm9QIkGCiBhdQDOAAaBxEWF1QCoVG7VQ1L8HARjZoDgiFy//wgUAEBIQABQOAAWAl0IGkBS+rLGFQAQA84eF1AM4i97NyG7UY\
        N68dLQYlL/+NUEkxVirxbjGwVH4XUH0pZ2m3Npt/8DAxxKQKsMYhwfndEHdddPfC+AIDCwaHwMKKmYjugwUyIBGZkaG3Q6M+Bu1S\
        /KCaYb+wYEZmRobdDoz/oBbiUxtsGO/rr4f4APB7i0xttGO/rr4QABdDAOEAAIEAcFgxIqHMFoou/wEKZZglIUPCLMsgaEKGMI/B\
        rmFgZsdefzYNHcMXzgtB9xeBcSs4YvnhSL7iCzgAIzIaHOZ2YVTWK/wKv06c0eG9liV0+0C0zuQ0F5Xb+EAAYAglsIAAQAACBJH4\
        EzgEXEX0DNAwm7/gTGgBHxn/AISAUdd6WZwkAAEHgOAJ1QmoxrK7ajCDfEW9LS0sz+pYScvvf97/skWF8ABDZncpCMzlKQhf/8AN\
        lFjVk+0C2j7QkE5XYIAAkHLKCAALA553ACwJ/1wDEA1+fOADwhd36kEKC6dPwZwAEAA0woZQLpECeJreCtPpCrFWKsADzZqt/QEw\
        Sr+wAFNkRMb9DId8CZok/UF0Sr+1KIZRae0te7QCwAPCdVUoJWRgLV34BYCxVnrFWKsVYHAAQFAAwIAAQOAABAsAAEEwAJgAjFZv\
        QsqlDgoiUeRKvbsVXj/H97e+DACKIZysEdizVudgC8A/wSTQOsHCLv2hlX5gRUKByxww4MJ42QQYVC6FQv/lM4ra3vwkAADwgOAJ\
        1gmo1MK7ajCDQZohIBuwx4iFOqwAEjIRWUx0KMlbEqCqqqqqv/hSHFxfUXFxcXF1F1Fx2O8Ifgn7u7u9HHhjwx+CPe9Pwh+o0pwh\
        4Q8IQzgcgBgRBziEUSAHG01nv+AErsJSHY/q9/8IeEIawOQAwZBykICUjwIlaz34AOwJcFUWYSd6vfwx4Q/CnVdVVVVVVeNrDFwA\
        EzMZXU51KOla0hh8IV7O7xZPscS/8W5FD4ol4onhDxFexRPDHO99Wxz5cRV6+Kf6luGNQzEVXVf3VdQhqEddYvrF/hGInx9z54Y8\
        MxEQ0Pm776twxhaA
        """

    /// `ffmpeg -re -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 1
    /// -pix_fmt yuv420p -c:v libx265 -preset ultrafast -c:a libopus -ac 2 -f rtsp rtsp://127.0.0.1:18556/live/h265`.
    static let ffmpegPublishH265Opus = """
        OPTIONS rtsp://127.0.0.1:18556/live/h265 RTSP/1.0\r\n\
        CSeq: 1\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        ANNOUNCE rtsp://127.0.0.1:18556/live/h265 RTSP/1.0\r\n\
        Content-Type: application/sdp\r\n\
        CSeq: 2\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Content-Length: 424\r\n\
        \r\n\
        v=0\r\n\
        o=- 0 0 IN IP4 127.0.0.1\r\n\
        s=No Name\r\n\
        c=IN IP4 127.0.0.1\r\n\
        t=0 0\r\n\
        a=tool:libavformat LIBAVFORMAT_VERSION\r\n\
        m=video 0 RTP/AVP 96\r\n\
        a=rtpmap:96 H265/90000\r\n\
        a=fmtp:96 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwA8lZQJ; sprop-sps=QgEBAWAAAAMAkAAAAwAAAwA8oAoIDxZZWVKTC8BaAgAAAwACAAADADIQ; sprop-pps=RAHAc8GJ\r\n\
        a=control:streamid=0\r\n\
        m=audio 0 RTP/AVP 97\r\n\
        b=AS:96\r\n\
        a=rtpmap:97 opus/48000/2\r\n\
        a=fmtp:97 sprop-stereo=1\r\n\
        a=control:streamid=1\r\n\
        SETUP rtsp://127.0.0.1:18556/live/h265/streamid=0 RTSP/1.0\r\n\
        Transport: RTP/AVP/UDP;unicast;client_port=6648-6649;mode=record\r\n\
        CSeq: 3\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        SETUP rtsp://127.0.0.1:18556/live/h265/streamid=1 RTSP/1.0\r\n\
        Transport: RTP/AVP/UDP;unicast;client_port=6650-6651;mode=record\r\n\
        CSeq: 4\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        \r\n\
        RECORD rtsp://127.0.0.1:18556/live/h265 RTSP/1.0\r\n\
        Range: npt=0.000-\r\n\
        CSeq: 5\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        \r\n\
        TEARDOWN rtsp://127.0.0.1:18556/live/h265 RTSP/1.0\r\n\
        CSeq: 6\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        \r\n
        """

    /// `ffmpeg -re -f lavfi -i sine=frequency=440:sample_rate=8000 -t 0.5 -c:a pcm_alaw -f rtsp
    /// 'rtsp://alice:s3cr%40t@127.0.0.1:18557/live/audio'` against the Digest challenge: user "alice", password "s3cr@t".
    /// Static payload type 8 without rtpmap; the ANNOUNCE is sent twice (before and after the 401).
    static let ffmpegPublishPcmaDigest = """
        OPTIONS rtsp://127.0.0.1:18557/live/audio RTSP/1.0\r\n\
        CSeq: 1\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        ANNOUNCE rtsp://127.0.0.1:18557/live/audio RTSP/1.0\r\n\
        Content-Type: application/sdp\r\n\
        CSeq: 2\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Content-Length: 161\r\n\
        \r\n\
        v=0\r\n\
        o=- 0 0 IN IP4 127.0.0.1\r\n\
        s=No Name\r\n\
        c=IN IP4 127.0.0.1\r\n\
        t=0 0\r\n\
        a=tool:libavformat LIBAVFORMAT_VERSION\r\n\
        m=audio 0 RTP/AVP 8\r\n\
        b=AS:64\r\n\
        a=control:streamid=0\r\n\
        ANNOUNCE rtsp://127.0.0.1:18557/live/audio RTSP/1.0\r\n\
        Content-Type: application/sdp\r\n\
        CSeq: 3\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Authorization: Digest username="alice", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18557/live/audio", response="60258c5e7c48d70cd8f6fdb5e77d9daf"\r\n\
        Content-Length: 161\r\n\
        \r\n\
        v=0\r\n\
        o=- 0 0 IN IP4 127.0.0.1\r\n\
        s=No Name\r\n\
        c=IN IP4 127.0.0.1\r\n\
        t=0 0\r\n\
        a=tool:libavformat LIBAVFORMAT_VERSION\r\n\
        m=audio 0 RTP/AVP 8\r\n\
        b=AS:64\r\n\
        a=control:streamid=0\r\n\
        SETUP rtsp://127.0.0.1:18557/live/audio/streamid=0 RTSP/1.0\r\n\
        Transport: RTP/AVP/UDP;unicast;client_port=29188-29189;mode=record\r\n\
        CSeq: 4\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Authorization: Digest username="alice", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18557/live/audio/streamid=0", response="44886b23b42cc3a73f89e1077677f7d9"\r\n\
        \r\n\
        RECORD rtsp://127.0.0.1:18557/live/audio RTSP/1.0\r\n\
        Range: npt=0.000-\r\n\
        CSeq: 5\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        Authorization: Digest username="alice", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18557/live/audio", response="2d46dc453db7781d27618f96b163e3bd"\r\n\
        \r\n\
        TEARDOWN rtsp://127.0.0.1:18557/live/audio RTSP/1.0\r\n\
        CSeq: 6\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        Authorization: Digest username="alice", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18557/live/audio", response="4f90be4343891845936fba9cfb0273dd"\r\n\
        \r\n
        """

    /// `ffmpeg -re -f lavfi -i sine=frequency=440:sample_rate=8000 -t 0.5 -c:a pcm_mulaw -ac 1 -f rtsp
    /// rtsp://127.0.0.1:18558/live/mulaw` (static payload type 0).
    static let ffmpegPublishPcmu = """
        OPTIONS rtsp://127.0.0.1:18558/live/mulaw RTSP/1.0\r\n\
        CSeq: 1\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        ANNOUNCE rtsp://127.0.0.1:18558/live/mulaw RTSP/1.0\r\n\
        Content-Type: application/sdp\r\n\
        CSeq: 2\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Content-Length: 161\r\n\
        \r\n\
        v=0\r\n\
        o=- 0 0 IN IP4 127.0.0.1\r\n\
        s=No Name\r\n\
        c=IN IP4 127.0.0.1\r\n\
        t=0 0\r\n\
        a=tool:libavformat LIBAVFORMAT_VERSION\r\n\
        m=audio 0 RTP/AVP 0\r\n\
        b=AS:64\r\n\
        a=control:streamid=0\r\n\
        SETUP rtsp://127.0.0.1:18558/live/mulaw/streamid=0 RTSP/1.0\r\n\
        Transport: RTP/AVP/UDP;unicast;client_port=34736-34737;mode=record\r\n\
        CSeq: 3\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        RECORD rtsp://127.0.0.1:18558/live/mulaw RTSP/1.0\r\n\
        Range: npt=0.000-\r\n\
        CSeq: 4\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        \r\n\
        TEARDOWN rtsp://127.0.0.1:18558/live/mulaw RTSP/1.0\r\n\
        CSeq: 5\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        \r\n
        """

    /// `gst-launch-1.0 rtspclientsink name=s location=rtsp://127.0.0.1:18561/live/gst audiotestsrc num-buffers=50 !
    /// audioconvert ! avenc_aac ! s. videotestsrc num-buffers=25 ! video/x-raw,width=320,height=240 ! x264enc
    /// tune=zerolatency ! s.`: video listed first here, AAC as MP4A-LATM, `mode=RECORD` upper case, a Date header.
    static let gstreamerPublishUdp = """
        OPTIONS rtsp://127.0.0.1:18561/live/gst RTSP/1.0\r\n\
        CSeq: 1\r\n\
        User-Agent: GStreamer/1.22.0\r\n\
        Date: Thu, 26 Nov 2026 10:08:34 GMT\r\n\
        \r\n\
        ANNOUNCE rtsp://127.0.0.1:18561/live/gst RTSP/1.0\r\n\
        CSeq: 2\r\n\
        User-Agent: GStreamer/1.22.0\r\n\
        Content-Type: application/sdp\r\n\
        Date: Thu, 26 Nov 2026 10:08:34 GMT\r\n\
        Content-Length: 699\r\n\
        \r\n\
        v=0\r\n\
        o=- 4112220001 1 IN IP4 127.0.0.1\r\n\
        s=Session streamed with GStreamer\r\n\
        i=rtspclientsink\r\n\
        t=0 0\r\n\
        a=tool:GStreamer\r\n\
        m=video 0 RTP/AVP 96\r\n\
        c=IN IP4 0.0.0.0\r\n\
        b=AS:2097\r\n\
        a=rtpmap:96 H264/90000\r\n\
        a=framerate:30\r\n\
        a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z/QADZDZZAUH7AWoMDAyAAADAAIAAAMAeR4oVJA=,aOvMRIRA;profile-level-id=f4000d;level-asymmetry-allowed=1\r\n\
        a=control:stream=1\r\n\
        a=ts-refclk:local\r\n\
        a=mediaclk:sender\r\n\
        a=ssrc:2347697432 cname:user1471032632@host-23c32975\r\n\
        m=audio 0 RTP/AVP 99\r\n\
        c=IN IP4 0.0.0.0\r\n\
        a=rtpmap:99 MP4A-LATM/44100\r\n\
        a=fmtp:99 cpresent=0;config=40002410adca00\r\n\
        a=control:stream=0\r\n\
        a=ts-refclk:local\r\n\
        a=mediaclk:sender\r\n\
        a=ssrc:1677776785 cname:user1471032632@host-23c32975\r\n\
        SETUP rtsp://127.0.0.1:18561/live/gst/stream=1 RTSP/1.0\r\n\
        CSeq: 3\r\n\
        User-Agent: GStreamer/1.22.0\r\n\
        Transport: RTP/AVP/UDP;unicast;client_port=43552-43553;mode=RECORD\r\n\
        Date: Thu, 26 Nov 2026 10:08:34 GMT\r\n\
        \r\n\
        SETUP rtsp://127.0.0.1:18561/live/gst/stream=0 RTSP/1.0\r\n\
        CSeq: 4\r\n\
        User-Agent: GStreamer/1.22.0\r\n\
        Transport: RTP/AVP/UDP;unicast;client_port=41524-41525;mode=RECORD\r\n\
        Session: 12345678\r\n\
        Date: Thu, 26 Nov 2026 10:08:34 GMT\r\n\
        \r\n\
        RECORD rtsp://127.0.0.1:18561/live/gst RTSP/1.0\r\n\
        CSeq: 5\r\n\
        User-Agent: GStreamer/1.22.0\r\n\
        Session: 12345678\r\n\
        Date: Thu, 26 Nov 2026 10:08:34 GMT\r\n\
        \r\n
        """

    /// Raw TCP bytes of `gst-launch-1.0 rtspclientsink name=s protocols=tcp location=rtsp://127.0.0.1:18562/live/gst2
    /// videotestsrc num-buffers=25 ! video/x-raw,width=320,height=240 ! x264enc tune=zerolatency key-int-max=10 ! s.
    /// audiotestsrc num-buffers=50 ! audioconvert ! avenc_aac ! s.`: audio (MP4A-LATM, control stream=1) before video
    /// in the SDP, interleaved=0-1 and 2-3, RECORD, then the first 12 interleaved frames (the rest is cut).
    static let gstreamerPublishTcpBase64 = """
        T1BUSU9OUyBydHNwOi8vMTI3LjAuMC4xOjE4NTYyL2xpdmUvZ3N0MiBSVFNQLzEuMA0KQ1NlcTogMQ0KVXNlci1BZ2VudDogR1N0\
        cmVhbWVyLzEuMjIuMA0KRGF0ZTogVGh1LCAyNiBOb3YgMjAyNiAxMDowODo1MyBHTVQNCg0KQU5OT1VOQ0UgcnRzcDovLzEyNy4w\
        LjAuMToxODU2Mi9saXZlL2dzdDIgUlRTUC8xLjANCkNTZXE6IDINClVzZXItQWdlbnQ6IEdTdHJlYW1lci8xLjIyLjANCkNvbnRl\
        bnQtVHlwZTogYXBwbGljYXRpb24vc2RwDQpEYXRlOiBUaHUsIDI2IE5vdiAyMDI2IDEwOjA4OjUzIEdNVA0KQ29udGVudC1MZW5n\
        dGg6IDY5Nw0KDQp2PTANCm89LSAzMTU4OTg5NjQzIDEgSU4gSVA0IDEyNy4wLjAuMQ0Kcz1TZXNzaW9uIHN0cmVhbWVkIHdpdGgg\
        R1N0cmVhbWVyDQppPXJ0c3BjbGllbnRzaW5rDQp0PTAgMA0KYT10b29sOkdTdHJlYW1lcg0KbT1hdWRpbyAwIFJUUC9BVlAgOTYN\
        CmM9SU4gSVA0IDAuMC4wLjANCmE9cnRwbWFwOjk2IE1QNEEtTEFUTS80NDEwMA0KYT1mbXRwOjk2IGNwcmVzZW50PTA7Y29uZmln\
        PTQwMDAyNDEwYWRjYTAwDQphPWNvbnRyb2w6c3RyZWFtPTENCmE9dHMtcmVmY2xrOmxvY2FsDQphPW1lZGlhY2xrOnNlbmRlcg0K\
        YT1zc3JjOjM4NDQxMDkwMDEgY25hbWU6dXNlcjc0NzUyMzU3OUBob3N0LTllZjgzNTg1DQptPXZpZGVvIDAgUlRQL0FWUCA5OQ0K\
        Yz1JTiBJUDQgMC4wLjAuMA0KYj1BUzoyMDk3DQphPXJ0cG1hcDo5OSBIMjY0LzkwMDAwDQphPWZyYW1lcmF0ZTozMA0KYT1mbXRw\
        Ojk5IHBhY2tldGl6YXRpb24tbW9kZT0xO3Nwcm9wLXBhcmFtZXRlci1zZXRzPVovUUFEWkRaWkFVSDdBV29NREF5QUFBREFBSUFB\
        QU1BZVI0b1ZKQT0sYU92TVJJUkE7cHJvZmlsZS1sZXZlbC1pZD1mNDAwMGQ7bGV2ZWwtYXN5bW1ldHJ5LWFsbG93ZWQ9MQ0KYT1j\
        b250cm9sOnN0cmVhbT0wDQphPXRzLXJlZmNsazpsb2NhbA0KYT1tZWRpYWNsazpzZW5kZXINCmE9c3NyYzoyOTI0MTE5NjQyIGNu\
        YW1lOnVzZXI3NDc1MjM1NzlAaG9zdC05ZWY4MzU4NQ0KU0VUVVAgcnRzcDovLzEyNy4wLjAuMToxODU2Mi9saXZlL2dzdDIvc3Ry\
        ZWFtPTEgUlRTUC8xLjANCkNTZXE6IDMNClVzZXItQWdlbnQ6IEdTdHJlYW1lci8xLjIyLjANClRyYW5zcG9ydDogUlRQL0FWUC9U\
        Q1A7dW5pY2FzdDtpbnRlcmxlYXZlZD0wLTE7bW9kZT1SRUNPUkQNCkRhdGU6IFRodSwgMjYgTm92IDIwMjYgMTA6MDg6NTMgR01U\
        DQoNClNFVFVQIHJ0c3A6Ly8xMjcuMC4wLjE6MTg1NjIvbGl2ZS9nc3QyL3N0cmVhbT0wIFJUU1AvMS4wDQpDU2VxOiA0DQpVc2Vy\
        LUFnZW50OiBHU3RyZWFtZXIvMS4yMi4wDQpUcmFuc3BvcnQ6IFJUUC9BVlAvVENQO3VuaWNhc3Q7aW50ZXJsZWF2ZWQ9Mi0zO21v\
        ZGU9UkVDT1JEDQpTZXNzaW9uOiAxMjM0NTY3OA0KRGF0ZTogVGh1LCAyNiBOb3YgMjAyNiAxMDowODo1MyBHTVQNCg0KUkVDT1JE\
        IHJ0c3A6Ly8xMjcuMC4wLjE6MTg1NjIvbGl2ZS9nc3QyIFJUU1AvMS4wDQpDU2VxOiA1DQpVc2VyLUFnZW50OiBHU3RyZWFtZXIv\
        MS4yMi4wDQpTZXNzaW9uOiAxMjM0NTY3OA0KRGF0ZTogVGh1LCAyNiBOb3YgMjAyNiAxMDowODo1MyBHTVQNCg0KJAIADoBjEWVd\
        lnIVrkqGWgkQJAABPIDgXihrnRO25SByyf8v3gIATGF2YzU5LjM3LjEwMAACTKtdKPBdWre3PtLl1cva4rUUovcfURAgJV45GRXJ\
        UJBGVPJPikZDiQ45GYLO2SrHXk87raLwJM2SsfC5Xr2tPrmbgUbOsAkoxFaSQ3EWAyEyzTXUS7Q/3s6jwIN0jsYN0ks4N0g/pZ1B\
        kId2ht4fYPM3Fu4tw6O3Tmrv3mrfvG2kd/cW8O2burYuvte5i0Ti2ecW2HOsjsWJzLqvSuq8VxPHt92rpPVt95VwO/bTu207tnOx\
        bDnWY4rMcVhbNXcNO26dopGirslQyVDJUMk80UjUmsExenllAsoFklZUZVGVRlUZUmlJaktSZUmUjKZlIypKUlKxpSZUmVRwUZUm\
        VJlSUoUoUkYEYEYEYIUoRQpQpQwIwIwIwQpQpcAkAgApgGMRZl2WchWuSoZaZ/QADZDZZAUH7AWoMDAyAAADAAIAAAMAeR4oVJAk\
        AgASgGMRZ12WchWuSoZaaOvMRIRAJAICyoBjEWhdlnIVrkqGWgYF//+63EXpvebZSLeWLNgg2SPu73gyNjQgLSBjb3JlIDE2NCBy\
        MzA5NSBiYWVlNDAwIC0gSC4yNjQvTVBFRy00IEFWQyBjb2RlYyAtIENvcHlsZWZ0IDIwMDMtMjAyMiAtIGh0dHA6Ly93d3cudmlk\
        ZW9sYW4ub3JnL3gyNjQuaHRtbCAtIG9wdGlvbnM6IGNhYmFjPTEgcmVmPTMgZGVibG9jaz0xOjA6MCBhbmFseXNlPTB4MzoweDEx\
        MyBtZT1oZXggc3VibWU9NyBwc3k9MSBwc3lfcmQ9MS4wMDowLjAwIG1peGVkX3JlZj0xIG1lX3JhbmdlPTE2IGNocm9tYV9tZT0x\
        IHRyZWxsaXM9MSA4eDhkY3Q9MSBjcW09MCBkZWFkem9uZT0yMSwxMSBmYXN0X3Bza2lwPTEgY2hyb21hX3FwX29mZnNldD00IHRo\
        cmVhZHM9MiBsb29rYWhlYWRfdGhyZWFkcz0yIHNsaWNlZF90aHJlYWRzPTEgc2xpY2VzPTIgbnI9MCBkZWNpbWF0ZT0xIGludGVy\
        bGFjZWQ9MCBibHVyYXlfY29tcGF0PTAgY29uc3RyYWluZWRfaW50cmE9MCBiZnJhbWVzPTAgd2VpZ2h0cD0yIGtleWludD0xMCBr\
        ZXlpbnRfbWluPTEgc2NlbmVjdXQ9NDAgaW50cmFfcmVmcmVzaD0wIHJjX2xvb2thaGVhZD0wIHJjPWNiciBtYnRyZWU9MCBiaXRy\
        YXRlPTIwNDggcmF0ZXRvbD0xLjAgcWNvbXA9MC42MCBxcG1pbj0wIHFwbWF4PTgxIHFwc3RlcD00IHZidl9tYXhyYXRlPTIwNDgg\
        dmJ2X2J1ZnNpemU9MTIyOCBuYWxfaHJkPW5vbmUgZmlsbGVyPTAgaXBfcmF0aW89MS40MCBhcT0xOjEuMDAAgCQCASKAYxFpXZZy\
        Fa5KhlpliIQCO//+98D/ApvpeId+BJ/b8CUE7Lv6D84Z46oAJe18oH+AIza+TkT+3Uhyh8p2ne1W/caFLf0PJxTSvqOT3yVo2BQT\
        qBLlGn8kfucIV2x0ou0Y6POSeV/9YOvg/tb6b4Dk7pcCoxshHtjoxdKaE79cYFRKf+Qf7svXU0va0a4VJ2CHlDt6gd3xK4QeF/pg\
        nFM6uENat4uakx56w/L8b0J0EVZfUNQZxcJhJWt5Ynh7+5lFTKYjKf2Pxn8K5450Ocz4+bNkV8HMDddv/9cv/ktD/r4KM/7dnrNM\
        GPjN2o2HwjVP/6NmUnzUEu8wn/Q9IRk2jaJ4LsaFu7+TNWtbp9066z11vhcCh07X3EAAA5eAAAAKSSQCBXiAYxFqXZZyFa5Khlp8\
        hQFCIhAI7/73wP8Cm+l4h34En9vwJQTsu/oPzhnjqgAl7Xygf4AjNr5ORP7dSHKHynad7Vb9xoUt/Q8nFNK+o5PfJWjYFBOoEuUa\
        fyR+5whXbHSi7Rjo85J5X/1g6+D+1vpvgOTulwKjGyEe2OjF0poTv1xgVEp/5B/uy9dTS9rRrhUnYIeUO3qB3fErhB4X+mCcUzq4\
        Q1q3i5qTHnrD8vxvQnQRVl9Q1BnFwmEla3lieHv7mUVMpiMp/Y/GfwrnjnQ5zPj5s2RXwcwN12//1y/+S0P+vgoz/t2es0wY+M3a\
        jYfCNU//o2ZSfNQS7zCf9Iev6jdVddVZGGRbeI//w9KId0YlmzntnOFiTK4jomZ10sgA+X1MtaUeP/FvG+tZY8Rhzgdl5RkjPtEh\
        Q9i+G8OXLGS/J/7D0sjbOv/12Gu0mREcUH2Wm+JGOq0Y2o0fn+Al/h2OYwkVk8eCg2A3VRqtZViQpdG9xeafHs8LMnhic2yGJbZV\
        qWFOV2od0LKWUHPxjpWnvV+VvrZCI48+0IsmNoRI3pG0iJyikjBDCdRq+Pel7xmbyjppa2Y6HDT/6EH3rOJfOXMLPrzTlWHdE1Fe\
        X0F4dnKukJWR48ZrGMLxl3P9tcDz1QWGuhXlJ/4lEZqrM950RHvJQ0WuRncgWc3+nPjW6DvU8nwvYK3+sWxD0I4e/UeNxMV1iKM7\
        o/wt//y4TR/mzXQqqcplke2/LNIWJMOBowwpRVYRUQp38PLVQ80EW5xauQrtSNJ+7GbPXMLaJAXqZqSfO6H35YzsrgrA012/oZXG\
        cB1mTalXkYuGt0+/x3Hy5WGqdCtCmngRNgC+rZWntzJOBU2EZKc5oO3SJk8IzzvJZH71OGEf5PRjRLyOaFVuuWCiN7d5KOFGJBNZ\
        MQRRO1Cz8FmJaHYhXymbILlMV1asSXgZg1N8hslRg3cQu3NpAR5imBYwGyp8tYY1pI+TAhRU21Iw/YGiPIKZpzgEhHdpsyTQSBJc\
        gSD3HdGVG4XWaanuVubUXCXDeKc2txSQpAsL+U67RnRMTvxs8zRo9IJItUIUhL2oHK8AT+EWviIgiojNrp5OkRKOlJSn5gPMphVP\
        ItKdhRGs2e7VjljveJAzujaTGyzvkSvnoInbzHBCe0KScCpE4PxDg8s2dU2QET1+UQ/tXXY5k0wdvntXt6J2N/Hn8NkFGd6qBsgM\
        fcFB0jsn3oP6nvHhe95kp3UZZ9jgj6l4tIN6pDdIdqIZM2Aznz5RFR+TCS46SbgAidx6+IBm/3XqpEBG4RpQYl1pnNs3pM0fhRHx\
        5z5m6bxbRBz3dUO6fnaIV569gu9/JUpv/Hk8R3rjURLtnEcqabMA0n8VuAVOXT6MA/73IELVtQW21W9A+k1ePIL06tee6p8pZF9/\
        +W1t15f8OCqnD9jxMz4vXLwmdix3NiCXsP7FmgkuHR5rrgsYs/yOWDnfyPq6gxWAI1OXZhwuV3nbQnXwzbSVwkMnlpkUtvml0k2a\
        b7uOzDSH/SIYLfsLBVPhpwe9FeV6+RLL54fAHVrmHNhFaNOFTknakajcgNZv4LfSB/v3KRfiud78NDEGmC+T4UowvbgdMhiKD5IW\
        cuE/bA+hYv7AwfFpWxkYlqRFFje5EepJaSHyYpXMGRCiV5d5LMhX6wliE4aigXeMvyBhBmnDUSZnVSwJcndH6KIkqr8OXdx5dznY\
        U8JG9cv/0hR8K03v23oXT98URDt7OJyI9WLTecOaLHfvbDR+YeazvBxDWBCj1hWaRohjTUmLDDBWx/12O2Ot3zIvaI8HcB2v1zPH\
        BX8SOWkSzf6TrbQ2ftyXH7ZuGx+2xhxKO97gD3djl+IInxuS3CQCBXiAYxFrXZZyFa5Khlp8BcHv6dR+MUETppeifProOViq2fpk\
        sNNxgGTJdStrT2moLQUrn7gQp6sDX5drpt7vGNYuKIKH9TnItR4LQHC2HhLPQW/q/uGHogkKZDxMd3dSOd9qPg6q8K2lOoCSKqHi\
        FeMxDdY5GZ6GzbkPHjlk6tjuyQZyl4hIBx3YginqHZsupr+6//280dQlW+8dfIH66lwcLGlAQooIm1yulRpkUDsAGPUiT64SsCvF\
        weTCGLlRfwIbxFuN6B0tzpNQS/1yB7jwtnJfrAQMWpCjL7E8MGG5fRmUkPDFyrIxNsg26AAikXTw3VI3UUmcRe52dYTEPHErT68x\
        hTKmXJJCcevVegl9PL3/aSt958StBTj2sgmP9hk9FYpm5aA4fr7GCk+IKryOO1DSWWM0Q9C75v5nTPFzP+Y1IeGZpH0AcYtW7blV\
        hHzEtGnmXXATiHpIWLnuS3peY6KIgmebCOMBOaZ/CUggySZNKSir/EvkTd9wb0BNaDaXOmaYvCkdWBHDEgy1aqntQ87WDKvLEQpz\
        HwDSGHAEYRWBWBR9qdN0qZ7U353YIFRsrU/tHz4f43812hvZ/duAuu8OiE0+BlJsYvNpGt1OjZHl2IURXzT4cKP0Lyvt/g1KlaKr\
        /Osq84SmosUc3dc9Q4Fk/1vOmS8C4CWEnnQYfz0+qLB90Vjy9ipao9BcnyX1Y4S0Pipiepn6A+5n2UDLIgqoTyyixRAG2GDsikOX\
        lpSjLfIz02ZSXCpwP5dQXQvt5E4/LswXNlwzH8JZFafBWKsZwE+P0Pz+4KAuKzzcuIy0Bd9STCAK/6G9G3PuyRsxFKZpqdl1S6lM\
        oa0/z9DZuzgd8PWcg1FyZzQhILkc481MHRfjY5WuRIyi3+us+ueS7LoT/KZ/fOJSy482nqhyAt1XzZHIxdVe1TZ5gf2YHWCdeNSZ\
        6gXec3kaLOKr65iGhUp6SSVveI/3M7bYV0o+OMMIdVSzqRWOHAh6IO1m+i7uuAdZ/OfOD9aKySMO+x92GvWDZ3SStSMPzwPVLpKT\
        ySn70Xcgcdgoa286ltAzEPJ0Dkckic9hcvlt/mHYU+GMMSUUTRQuIoEWFTSkjd3e9E9+rRzORElyYzxWbmx/GmOvC9XFCKhVzxRI\
        mWH/wRnupYOgevJKNuzdDj6bBCR2thrLLetMk6ZQRoNg5BO5B8fmUDgDfQxXhLj2a/v1JEs9CjHRWzkyX/5Poop1igwre7yZOq3a\
        gwC1f8uqhGHvLoQgTm9N2sAZmLp7c58INMO4sDlAUyTMVoxCmpY23dOezgvcgIiqwKIxXESNWiZ9ML2r2KLpYNGyWZE9daHvvawo\
        OOI/E5kKIMDIgzSlbE3fAISTaZk1X1Ri/BoNwjw5Tp7b/tHaGfkSvxxMCFw04SCjHXoCtAsu/1Qs3IacDmwD9gRI4Ktv9plqwSrT\
        G49iogWdVlo+4iABZynHJENuvm6BJkGL9g42+qUE3VTWkJ5h85o7MLGPSCdAfL0WgZkhiDzAe4QiQXBEDxJgTdd0nPr6+VXx0i8L\
        imjk51znf5Dg7/7fSx/2eG6MQACX2NxrypFJW8LriteTSOAOnXl9HQkFs4cJFemERW2oGBYM+RLR55HKg1tqVpqOkPRS8UM5+cCo\
        p//qzVeMZq1hDY1+MD8WzXHJKMnW/oQ6cTrjl51oo3wAje+9RfBBFBELSXW13JAHU8pucqwhwZW1fWMhr9VkjA1Je6aPeEsmlgv0\
        SKc73ee8ukoeZ3OJpMwnL3SHsAvyK9JYK6BP/X7eNrPnvrE44O90Ck8M4z7v8hcLnh894nE2D82KiyumWJNy19bwYu8HLAgj+rPS\
        Dt8kRCLTx9kD3nRx4IXnQSQCBXiAYxFsXZZyFa5Khlp8BYzNUgweF6GrnvThViyT6oK3mSOdTvaKmKQqDn5Txqb9IRSKw1q9syB8\
        R7mDEyOwTf5KSZ03M2CzfsKqNLNSoOBtqhunRCBdvMGp0pyBoVtkx5W4+kyMuPPb1qoMmE3vLDCbgPAGXdc21yxzc6zVIihO1ikx\
        2OaILi7xOcRL3Q3C6n0JeXVqL5SI6VexcfJxzfhqZ1Tua9EWogiWUuI9Mchblg10rMxnIEr+fiZqdaYN4Q+rOpMJHU4JO27zEqHi\
        Szo3j1rI6ClXGSFveAqujX+qGX0JlcRHU0R9nlIpALIHV74COg7QQ6GnnRx2Jy4Mks1Rw6Lg9SES39fo+o/AflSE8qcU3+hPsDgX\
        s2q+RRgI+ojc6TWKX0U6ShSgxMjN9/UakmG96G3oojU+lfevKeM1OnxFSRnzs54PPIUy+OjIvppkfarw8ywGyeGSbDmLmtDjad8t\
        ZMAiNDzu/VHy+BijLpimlNAjyP5uNOUOBBuvkjcPPbaNWctGa/ISbeZ86LkAJDCw6QBoOtgcFyFz39w2W9fQXNvpdwlaDJ33jAjZ\
        Nf01qJ9rNwpt6omnl8jP1ipEO9x+QIkSDc5nlWfk/nxfACjdTQL4Ilvf0cbDz4ffeV2EEcsKX9nVf9ICg/ldC8ezUjU2xDEgBoiY\
        teZsdbnkyBTKzz8u5tfgaDayzMz26+EM7ed71lieUD+fmCrxRvJdt+4cKYiCrqbr6Nw+TMCdu7WnUy2dnRdPP6aI+SQeMpWtgfbh\
        UUKcEt53KR3QPhwFPtZqO4fhJvT/C2Drb+gtBcHaW6bOfX6hV6TGLpLRVDAGLjcphjbR5MJsERPDD6w7VK7ZDaCZjfZhX6aggQSc\
        CpZXYby72BVB4gmt98B4fKfAUZ3xy6bf2/6kotJDe4rbL5cdrjbu8F6JAqJ1O5ZH0+nGm7hnLBJ8arC1FiA3o6a40j7sLHiq0xEc\
        htBbsan8bSgLdtBmWhDiBcxEiKpcxq2izKkCtRkDzw6LA5t9r6W36Sm9HD8azkxGf2JYf2ljFHRfrvOw03rHbUuLI5aUMOd+U41n\
        SzBkNfi3BlpVTfXFN6nokJsvwSJNsP0bmeT8Hd00exdKDfl5VmDUsOKcOUApnwgGiF5RB7tJBGVFh6Cazhadapds59zMXeB3lubY\
        3RhbRMx35lkIplx17cdtFJBQ68AAABGAyEWdTLmT0RUGUI15iT04jmwx+XlQKWeVPsPTK83i+XqK3XBcxnvtyAHBBVsyZPqNrIN0\
        f9W15b0Aisgi6l5apR+45uQ0m6f+q7ri3LnVnJqzAgLeCK3Vy0TMlIOxH/9aYlHWM6XVrrZ57larKE26o8Nr0HN6OxRNd1OST198\
        skIDgkD10K2wUkpHOuMN3ioL2szZlXDUQmLSGrW7w9opgDaA+0vywdt6ZrZXjT0mdW0PSEO2Owln8/fV3DCFdNJO/MzMCQrACoGE\
        Kd6aF8twhSORceQifGBXWTG9ACS1+xyE7VOLkjKJeDZ0WtlI8H6IZ6tx/l8o45LEVfqZ0mbKGTJXT58S2WZpNiHFXWAVxrUthyXP\
        Gu0JmIgQe9s4vfM9RWGrg2CogNmhiLI1zEoW9fLIi/1OzMyUnZNO65J0keOM2r9DtEXid3FmM5lAmjqsOqeCWp0gsOW4sMYrdLCE\
        DA8nLsJYplKYkbTXDZsfrocJF7rNYAyrCsNV3OxZsjr1uuAa+5uI7qyM+iPzC2PHq3ULwf66rAjvOUol2sB0SQyITmeHHmnfKI2r\
        +9T3admreKqCeYqyeWS2+CYkKf90SsGiMrvzLQ12xvv1x/Bl78WTC0wW7MCBhjr70caitUsggYe1tO7M76ajjjjLrg52iCQCAnCA\
        4xFtXZZyFa5Khlp8RdWYrLO59ey0X6QObdHkk77y44Xqki7je71xo8vm3x5TCoI4uCsiGenLWiBFESOYxEmu7swiyZ296D9QJREg\
        RAfe3355sfi4ex6M9nMIWIxdbIG0njPvcTA0hwO/hrK8+XQ9FHdyZN5/rlPrdYueDpJtwt7H8F/sbpf/iFEVgtEGAPYeVU3+pTYC\
        zHgwq+QcMuqCNSa25/AGa2Wnf43g42C7dcC8+labfijgrJ2SGCYePJivtdtuO2lMfMCatK3pUMqh5FlcBI+AGxTPbl0UQi+VrKh6\
        VqwYDEUwIuf6bVztwb/TBhEgHK6IAQfc6VEdHymQRoPyPDJCBTxXBJlsRBsYj+rCDYvbB89ryu9ZIcNv088FdZQptEXSiZOpMajS\
        CS8zS22MRYNr00+akTGXF12BOoIf2d+Ev9ipog8/a7rChgE4ruspRjRtL9DVo29l05BdKiymv6u+GZM2u5MdxiolXKHnyq882lua\
        HqC62ztCAZCtpAPD68V7jFCyr7QFLTRZ1tKpdB4oLLfcWzzzqXIc4WlodhjarYcOc/MASB+bp2iZNTeKNBMuIFTiwjzV7xf2/8Bk\
        zWlWu1UkmzKtyIC3+YOAP3mF5Tg3EUOvXmUfwM7j8QavE+Dv252Ywlexh7BjVdhI/BKnZl1JeyL22xypDqUJJA8gaM/uRKzXS3qT\
        cfFkjNFmF0Pk7uFsEqF7WO017r0px6kCCd2FSfziwOUtkBda3J8wdyaV5KFC7h6supCbjANTOofOyrSjBvPtx1mmlN2B9t9DZ1vb\
        kcZTfmW99cFfVdW7ngQwsmIIjWnD1ukkAAElgOBeKWudF7XlIHLJ/xgBRpra0k3izFTizFTi6nLX1fnTc4vjV3/6dfd+INXrX/9P\
        z9/i7GtXx//T8/v1LTWtXwMj1MRxiaMPBgY8RmQPIO8WqXx5pTA9ETNaQXOJJEpZQdrVYIcabU1TLSSIlzprTP/G0Ndu/KQkGBru\
        QSEgwMDO7hIScBgYGd3CQkJBgYGd3CQk4DAwMDO7uEhIScBgYGU7u4SEzPXt9LrVFR2f8Ku8/SDJSilUkbmlazsqpotTY1VRotIp\
        TSiSqqi0yDA2hgb+shIMDAwMEhJK85uVQSEhINecGlUEhISDErwMblCQkJBr2bg0qnCQkJKgxLNwaWVwkJCcnPKw32ufbxNXh5Xf\
        KdEzTTTTTTHJpgmaY5NNMcmmm4AkAgAOgGMRbl2WfcyuSoZaCRA=
        """

    /// `ffprobe rtsp://127.0.0.1:18563/live/a` (DESCRIBE answered with `playSDP` and Content-Base
    /// rtsp://127.0.0.1:18563/live/a/): UDP client ports, PLAY on the Content-Base URL with `Range: npt=0.000-`.
    static let ffprobePlayUdp = """
        OPTIONS rtsp://127.0.0.1:18563/live/a RTSP/1.0\r\n\
        CSeq: 1\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        DESCRIBE rtsp://127.0.0.1:18563/live/a RTSP/1.0\r\n\
        Accept: application/sdp\r\n\
        CSeq: 2\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        SETUP rtsp://127.0.0.1:18563/live/a/trackID=0 RTSP/1.0\r\n\
        Transport: RTP/AVP/UDP;unicast;client_port=7208-7209\r\n\
        CSeq: 3\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        SETUP rtsp://127.0.0.1:18563/live/a/trackID=1 RTSP/1.0\r\n\
        Transport: RTP/AVP/UDP;unicast;client_port=7210-7211\r\n\
        CSeq: 4\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        \r\n\
        PLAY rtsp://127.0.0.1:18563/live/a/ RTSP/1.0\r\n\
        Range: npt=0.000-\r\n\
        CSeq: 5\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        \r\n
        """

    /// `ffprobe -rtsp_transport tcp 'rtsp://bob:pa55@127.0.0.1:18564/live/a'` with the Digest challenge
    /// (user "bob", password "pa55").
    static let ffprobePlayTcpDigest = """
        OPTIONS rtsp://127.0.0.1:18564/live/a RTSP/1.0\r\n\
        CSeq: 1\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        DESCRIBE rtsp://127.0.0.1:18564/live/a RTSP/1.0\r\n\
        Accept: application/sdp\r\n\
        CSeq: 2\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        DESCRIBE rtsp://127.0.0.1:18564/live/a RTSP/1.0\r\n\
        Accept: application/sdp\r\n\
        CSeq: 3\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Authorization: Digest username="bob", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18564/live/a", response="a6eca70e9eb2b391063692e7f64ae389"\r\n\
        \r\n\
        SETUP rtsp://127.0.0.1:18564/live/a/trackID=0 RTSP/1.0\r\n\
        Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\
        CSeq: 4\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Authorization: Digest username="bob", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18564/live/a/trackID=0", response="1735ae1964c142c70e01be3ca8a58604"\r\n\
        \r\n\
        SETUP rtsp://127.0.0.1:18564/live/a/trackID=1 RTSP/1.0\r\n\
        Transport: RTP/AVP/TCP;unicast;interleaved=2-3\r\n\
        CSeq: 5\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        Authorization: Digest username="bob", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18564/live/a/trackID=1", response="8bb4d626af4fa60e01703ea66000551c"\r\n\
        \r\n\
        PLAY rtsp://127.0.0.1:18564/live/a/ RTSP/1.0\r\n\
        Range: npt=0.000-\r\n\
        CSeq: 6\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        Authorization: Digest username="bob", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18564/live/a/", response="648de97aff52770c79e98cfa2321d7bb"\r\n\
        \r\n
        """

    /// `gst-launch-1.0 rtspsrc location=rtsp://127.0.0.1:18565/live/a user-id=carol user-pw=wonder1and protocols=tcp !
    /// fakesink` (user "carol", password "wonder1and"). The challenge offered `qop="auth", algorithm=MD5`; GStreamer
    /// ignores qop and answers RFC 2069 style. Note the duplicate User-Agent and RealMedia headers on OPTIONS.
    static let gstreamerPlayDigest = """
        OPTIONS rtsp://127.0.0.1:18565/live/a RTSP/1.0\r\n\
        CSeq: 1\r\n\
        User-Agent: GStreamer/1.22.0\r\n\
        User-Agent: RealMedia Player Version 6.0.9.1235 (linux-2.0-libc6-i386-gcc2.95)\r\n\
        ClientChallenge: 9e26d33f2984236010ef6253fb1887f7\r\n\
        CompanyID: KnKV4M4I/B2FjJ1TToLycw==\r\n\
        GUID: 00000000-0000-0000-0000-000000000000\r\n\
        RegionData: 0\r\n\
        PlayerStarttime: [28/03/2003:22:50:23 00:00]\r\n\
        ClientID: Linux_2.4_6.0.9.1235_play32_RN01_EN_586\r\n\
        Date: Thu, 26 Nov 2026 10:09:26 GMT\r\n\
        \r\n\
        DESCRIBE rtsp://127.0.0.1:18565/live/a RTSP/1.0\r\n\
        CSeq: 2\r\n\
        User-Agent: GStreamer/1.22.0\r\n\
        Accept: application/sdp\r\n\
        Date: Thu, 26 Nov 2026 10:09:26 GMT\r\n\
        \r\n\
        DESCRIBE rtsp://127.0.0.1:18565/live/a RTSP/1.0\r\n\
        CSeq: 3\r\n\
        User-Agent: GStreamer/1.22.0\r\n\
        Accept: application/sdp\r\n\
        Authorization: Digest username="carol", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18565/live/a", response="a5a5a2fd78e36cf5f449758e18fb33c8"\r\n\
        Date: Thu, 26 Nov 2026 10:09:26 GMT\r\n\
        \r\n\
        SETUP rtsp://127.0.0.1:18565/live/a/trackID=0 RTSP/1.0\r\n\
        CSeq: 4\r\n\
        User-Agent: GStreamer/1.22.0\r\n\
        Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\
        Authorization: Digest username="carol", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18565/live/a/trackID=0", response="d2f26f3536495d8afd9609bae1041e54"\r\n\
        Date: Thu, 26 Nov 2026 10:09:26 GMT\r\n\
        \r\n\
        SETUP rtsp://127.0.0.1:18565/live/a/trackID=1 RTSP/1.0\r\n\
        CSeq: 5\r\n\
        User-Agent: GStreamer/1.22.0\r\n\
        Transport: RTP/AVP/TCP;unicast;interleaved=2-3\r\n\
        Session: 12345678\r\n\
        Authorization: Digest username="carol", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18565/live/a/trackID=1", response="d5083923e2baf342193c71bf560206f3"\r\n\
        Date: Thu, 26 Nov 2026 10:09:26 GMT\r\n\
        \r\n\
        PLAY rtsp://127.0.0.1:18565/live/a/ RTSP/1.0\r\n\
        CSeq: 6\r\n\
        User-Agent: GStreamer/1.22.0\r\n\
        Range: npt=now-\r\n\
        Session: 12345678\r\n\
        Authorization: Digest username="carol", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18565/live/a/", response="abcb532505238e1ee04d1d242cb0870f"\r\n\
        Date: Thu, 26 Nov 2026 10:09:26 GMT\r\n\
        \r\n
        """

    /// `ffprobe -rtsp_transport tcp 'rtsp://erin:Circle%20Of%20Life@127.0.0.1:18567/live/a'` against
    /// `Digest realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", qop="auth", algorithm=MD5`
    /// (user "erin", password "Circle Of Life"): qop=auth with cnonce and nc.
    static let ffprobePlayDigestQop = """
        OPTIONS rtsp://127.0.0.1:18567/live/a RTSP/1.0\r\n\
        CSeq: 1\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        DESCRIBE rtsp://127.0.0.1:18567/live/a RTSP/1.0\r\n\
        Accept: application/sdp\r\n\
        CSeq: 2\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        DESCRIBE rtsp://127.0.0.1:18567/live/a RTSP/1.0\r\n\
        Accept: application/sdp\r\n\
        CSeq: 3\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Authorization: Digest username="erin", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18567/live/a", response="33aa604a53ba2868255f36dfcd0a8799", algorithm="MD5", qop="auth", cnonce="6faf3bded8b05e18", nc=00000001\r\n\
        \r\n\
        SETUP rtsp://127.0.0.1:18567/live/a/trackID=0 RTSP/1.0\r\n\
        Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\
        CSeq: 4\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Authorization: Digest username="erin", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18567/live/a/trackID=0", response="4207611db15f51aee3cfd233b347f663", algorithm="MD5", qop="auth", cnonce="332ad9149c6f9cef", nc=00000002\r\n\
        \r\n\
        SETUP rtsp://127.0.0.1:18567/live/a/trackID=1 RTSP/1.0\r\n\
        Transport: RTP/AVP/TCP;unicast;interleaved=2-3\r\n\
        CSeq: 5\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        Authorization: Digest username="erin", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18567/live/a/trackID=1", response="0bfe204bae931db7e4d554e3dfea9345", algorithm="MD5", qop="auth", cnonce="c8b01230e963e959", nc=00000003\r\n\
        \r\n\
        PLAY rtsp://127.0.0.1:18567/live/a/ RTSP/1.0\r\n\
        Range: npt=0.000-\r\n\
        CSeq: 6\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 12345678\r\n\
        Authorization: Digest username="erin", realm="MediaRouter", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18567/live/a/", response="053354650c08dc8c677f416f51944dea", algorithm="MD5", qop="auth", cnonce="7616453a5236343b", nc=00000004\r\n\
        \r\n
        """

    /// `ffprobe 'rtsp://dave:op%3Aen@127.0.0.1:18566/live/a'` against `WWW-Authenticate: Basic realm="MediaRouter"`
    /// (user "dave", password "op:en").
    static let ffprobeBasic = """
        OPTIONS rtsp://127.0.0.1:18566/live/a RTSP/1.0\r\n\
        CSeq: 1\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        DESCRIBE rtsp://127.0.0.1:18566/live/a RTSP/1.0\r\n\
        Accept: application/sdp\r\n\
        CSeq: 2\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        DESCRIBE rtsp://127.0.0.1:18566/live/a RTSP/1.0\r\n\
        Accept: application/sdp\r\n\
        CSeq: 3\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Authorization: Basic ZGF2ZTpvcDplbg==\r\n\
        \r\n
        """

    /// The SDP the capture server returned to DESCRIBE (hand-written in the shape `SdpWriter` produces).
    static let playSDP = """
        v=0\r\n\
        o=- 0 0 IN IP4 0.0.0.0\r\n\
        s=MediaRouter\r\n\
        c=IN IP4 0.0.0.0\r\n\
        t=0 0\r\n\
        a=control:*\r\n\
        a=range:npt=now-\r\n\
        m=video 0 RTP/AVP 96\r\n\
        a=rtpmap:96 H264/90000\r\n\
        a=fmtp:96 packetization-mode=1;profile-level-id=42C00D;sprop-parameter-sets=Z0LADdoFB+wEQAAAAwBAAAAMg8UKqA==,aM4PyA==\r\n\
        a=control:trackID=0\r\n\
        m=audio 0 RTP/AVP 97\r\n\
        a=rtpmap:97 MPEG4-GENERIC/48000/2\r\n\
        a=fmtp:97 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1190\r\n\
        a=control:trackID=1\r\n
        """

    /// What `ffprobe -rtsp_transport tcp 'rtsp://frank:secret@127.0.0.1:18575/live/cam'` sent to gst-rtsp-server 1.22
    /// (Digest auth, user "frank", password "secret", realm "GStreamer RTSP Server").
    static let gstServerRequests = """
        OPTIONS rtsp://127.0.0.1:18575/live/cam RTSP/1.0\r\n\
        CSeq: 1\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        DESCRIBE rtsp://127.0.0.1:18575/live/cam RTSP/1.0\r\n\
        Accept: application/sdp\r\n\
        CSeq: 2\r\n\
        User-Agent: Lavf59.27.100\r\n\
        \r\n\
        DESCRIBE rtsp://127.0.0.1:18575/live/cam RTSP/1.0\r\n\
        Accept: application/sdp\r\n\
        CSeq: 3\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Authorization: Digest username="frank", realm="GStreamer RTSP Server", nonce="b717c3bdc6b8a1e0", uri="rtsp://127.0.0.1:18575/live/cam", response="634fa3d7eb3ec34c55a92b5c74d311a0"\r\n\
        \r\n\
        SETUP rtsp://127.0.0.1:18575/live/cam/stream=0 RTSP/1.0\r\n\
        Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\
        CSeq: 4\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Authorization: Digest username="frank", realm="GStreamer RTSP Server", nonce="b717c3bdc6b8a1e0", uri="rtsp://127.0.0.1:18575/live/cam/stream=0", response="6a346951f90baa9c9bd7b4fc6d1823ad"\r\n\
        \r\n\
        SETUP rtsp://127.0.0.1:18575/live/cam/stream=1 RTSP/1.0\r\n\
        Transport: RTP/AVP/TCP;unicast;interleaved=2-3\r\n\
        CSeq: 5\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 75Gu_qXBhvm2RO2p\r\n\
        Authorization: Digest username="frank", realm="GStreamer RTSP Server", nonce="b717c3bdc6b8a1e0", uri="rtsp://127.0.0.1:18575/live/cam/stream=1", response="22c606f51effa2c285b464fb5f747c2e"\r\n\
        \r\n\
        PLAY rtsp://127.0.0.1:18575/live/cam/ RTSP/1.0\r\n\
        Range: npt=0.000-\r\n\
        CSeq: 6\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 75Gu_qXBhvm2RO2p\r\n\
        Authorization: Digest username="frank", realm="GStreamer RTSP Server", nonce="b717c3bdc6b8a1e0", uri="rtsp://127.0.0.1:18575/live/cam/", response="29c2aa8821a80ed2cfec2660d8bc9b5d"\r\n\
        \r\n\
        TEARDOWN rtsp://127.0.0.1:18575/live/cam/ RTSP/1.0\r\n\
        CSeq: 7\r\n\
        User-Agent: Lavf59.27.100\r\n\
        Session: 75Gu_qXBhvm2RO2p\r\n\
        Authorization: Digest username="frank", realm="GStreamer RTSP Server", nonce="b717c3bdc6b8a1e0", uri="rtsp://127.0.0.1:18575/live/cam/", response="8d816819e6eee86441d4f6b39341cba3"\r\n\
        \r\n
        """

    /// Raw TCP bytes gst-rtsp-server 1.22 sent back in that session: 200 to OPTIONS, 401 with its Digest
    /// challenge, 200 with the SDP (H.264 + MPEG4-GENERIC AAC), SETUP replies with `ssrc=` and `mode="PLAY"`, the PLAY
    /// reply with RTP-Info, interleaved RTP/RTCP, and the TEARDOWN reply. Only the first 10 of 246 frames are kept.
    static let gstServerResponsesBase64 = """
        UlRTUC8xLjAgMjAwIE9LDQpDU2VxOiAxDQpQdWJsaWM6IE9QVElPTlMsIERFU0NSSUJFLCBBTk5PVU5DRSwgR0VUX1BBUkFNRVRF\
        UiwgUEFVU0UsIFBMQVksIFJFQ09SRCwgU0VUVVAsIFNFVF9QQVJBTUVURVIsIFRFQVJET1dODQpTZXJ2ZXI6IEdTdHJlYW1lciBS\
        VFNQIHNlcnZlcg0KRGF0ZTogVGh1LCAyNiBOb3YgMjAyNiAxMDoxMDowNyBHTVQNCg0KUlRTUC8xLjAgNDAxIFVuYXV0aG9yaXpl\
        ZA0KQ1NlcTogMg0KV1dXLUF1dGhlbnRpY2F0ZTogRGlnZXN0IHJlYWxtPSJHU3RyZWFtZXIgUlRTUCBTZXJ2ZXIiLCBub25jZT0i\
        YjcxN2MzYmRjNmI4YTFlMCINClNlcnZlcjogR1N0cmVhbWVyIFJUU1Agc2VydmVyDQpEYXRlOiBUaHUsIDI2IE5vdiAyMDI2IDEw\
        OjEwOjA3IEdNVA0KDQpSVFNQLzEuMCAyMDAgT0sNCkNTZXE6IDMNCkNvbnRlbnQtVHlwZTogYXBwbGljYXRpb24vc2RwDQpDb250\
        ZW50LUJhc2U6IHJ0c3A6Ly8xMjcuMC4wLjE6MTg1NzUvbGl2ZS9jYW0vDQpTZXJ2ZXI6IEdTdHJlYW1lciBSVFNQIHNlcnZlcg0K\
        RGF0ZTogVGh1LCAyNiBOb3YgMjAyNiAxMDoxMDowNyBHTVQNCkNvbnRlbnQtTGVuZ3RoOiA4MzYNCg0Kdj0wDQpvPS0gMTM5NzI2\
        MTg0ODM1NjM5MTYxOTQgMSBJTiBJUDQgMTI3LjAuMC4xDQpzPVNlc3Npb24gc3RyZWFtZWQgd2l0aCBHU3RyZWFtZXINCmk9cnRz\
        cC1zZXJ2ZXINCnQ9MCAwDQphPXRvb2w6R1N0cmVhbWVyDQphPXR5cGU6YnJvYWRjYXN0DQphPWNvbnRyb2w6Kg0KYT1yYW5nZTpu\
        cHQ9bm93LQ0KbT12aWRlbyAwIFJUUC9BVlAgOTYNCmM9SU4gSVA0IDAuMC4wLjANCmI9QVM6MjA5Nw0KYT1ydHBtYXA6OTYgSDI2\
        NC85MDAwMA0KYT1mcmFtZXJhdGU6MzANCmE9Zm10cDo5NiBwYWNrZXRpemF0aW9uLW1vZGU9MTtzcHJvcC1wYXJhbWV0ZXItc2V0\
        cz1aMExBRmRrQlFmc0JhZ3dNRFVvQUFBTUFBZ0FBQXdCNUhpeGNrQT09LGFNdU1zZz09O3Byb2ZpbGUtbGV2ZWwtaWQ9NDJjMDE1\
        O2xldmVsLWFzeW1tZXRyeS1hbGxvd2VkPTENCmE9Y29udHJvbDpzdHJlYW09MA0KYT10cy1yZWZjbGs6bG9jYWwNCmE9bWVkaWFj\
        bGs6c2VuZGVyDQphPXNzcmM6MzM4NzA4MDExNyBjbmFtZTp1c2VyMTY2MzU0MDk0M0Bob3N0LTlkOGE4ZWUNCm09YXVkaW8gMCBS\
        VFAvQVZQIDk3DQpjPUlOIElQNCAwLjAuMC4wDQphPXJ0cG1hcDo5NyBNUEVHNC1HRU5FUklDLzQ0MTAwLzENCmE9Zm10cDo5NyBz\
        dHJlYW10eXBlPTU7cHJvZmlsZS1sZXZlbC1pZD0yO21vZGU9QUFDLWhicjtjb25maWc9MTIwODU2ZTUwMDtzaXplbGVuZ3RoPTEz\
        O2luZGV4bGVuZ3RoPTM7aW5kZXhkZWx0YWxlbmd0aD0zDQphPWNvbnRyb2w6c3RyZWFtPTENCmE9dHMtcmVmY2xrOmxvY2FsDQph\
        PW1lZGlhY2xrOnNlbmRlcg0KYT1zc3JjOjI2NDM4MTU3OTYgY25hbWU6dXNlcjE2NjM1NDA5NDNAaG9zdC05ZDhhOGVlDQpSVFNQ\
        LzEuMCAyMDAgT0sNCkNTZXE6IDQNClRyYW5zcG9ydDogUlRQL0FWUC9UQ1A7dW5pY2FzdDtpbnRlcmxlYXZlZD0wLTE7c3NyYz1D\
        OUUyQkRCNTttb2RlPSJQTEFZIg0KU2VydmVyOiBHU3RyZWFtZXIgUlRTUCBzZXJ2ZXINClNlc3Npb246IDc1R3VfcVhCaHZtMlJP\
        MnANCkRhdGU6IFRodSwgMjYgTm92IDIwMjYgMTA6MTA6MDcgR01UDQoNClJUU1AvMS4wIDIwMCBPSw0KQ1NlcTogNQ0KVHJhbnNw\
        b3J0OiBSVFAvQVZQL1RDUDt1bmljYXN0O2ludGVybGVhdmVkPTItMztzc3JjPTlEOTU2RDc0O21vZGU9IlBMQVkiDQpTZXJ2ZXI6\
        IEdTdHJlYW1lciBSVFNQIHNlcnZlcg0KU2Vzc2lvbjogNzVHdV9xWEJodm0yUk8ycA0KRGF0ZTogVGh1LCAyNiBOb3YgMjAyNiAx\
        MDoxMDowNyBHTVQNCg0KUlRTUC8xLjAgMjAwIE9LDQpDU2VxOiA2DQpSVFAtSW5mbzogdXJsPXJ0c3A6Ly8xMjcuMC4wLjE6MTg1\
        NzUvbGl2ZS9jYW0vc3RyZWFtPTA7c2VxPTkxNztydHB0aW1lPTEwOTkzMDIyMzMsIHVybD1ydHNwOi8vMTI3LjAuMC4xOjE4NTc1\
        L2xpdmUvY2FtL3N0cmVhbT0xO3NlcT0xNTY4MDtydHB0aW1lPTM3NzIzODQwNDQNClJhbmdlOiBucHQ9bm93LQ0KU2VydmVyOiBH\
        U3RyZWFtZXIgUlRTUCBzZXJ2ZXINClNlc3Npb246IDc1R3VfcVhCaHZtMlJPMnANCkRhdGU6IFRodSwgMjYgTm92IDIwMjYgMTA6\
        MTA6MDcgR01UDQoNCiQAAA6AYAOVQYYHx8nivbUJECQCASeA4T1A4NoDLJ2VbXQAEAi4AUaa2tJN4sxU4sxU4upy19X503OL41d/\
        +nX3fiDV61//T8/f4uxrV8f/0/P79S01rV8DI9TEcYmjDwYGPEZkDyDvFql8eaUwPREzWkFziSRKWUHa1WCHGm1NUy0kiJc6a0z/\
        xtDXbvykJBga7kEhIMDAzu4SEnAYGBndwkJCQYGBndwkJOAwMDAzu7hISEnAYGBlO7uEhMz17fS61RUdn/CrvP0gyUopVJG5pWs7\
        KqaLU2NVUaLSKU0okqqotMgwNoYG/rISDAwMDBISSvOblUEhISDXnBpVBISEgxK8DG5QkJCQa9m4NKpwkJCSoMSzcGllcJCQnJzy\
        sN9rn28TV4eV3ynRM000000xyaYJmmOTTTHJppuAJAAAKIBgA5ZBhgfHyeK9tWdCwBXZAUH7AWoMDA1KAAADAAIAAAMAeR4sXJAk\
        AAAQgGADl0GGB8fJ4r21aMuMsiQAAs2AYAOYQYYHx8nivbUGBf//vdxF6b3m2Ui3lizYINkj7u94MjY0IC0gY29yZSAxNjQgcjMw\
        OTUgYmFlZTQwMCAtIEguMjY0L01QRUctNCBBVkMgY29kZWMgLSBDb3B5bGVmdCAyMDAzLTIwMjIgLSBodHRwOi8vd3d3LnZpZGVv\
        bGFuLm9yZy94MjY0Lmh0bWwgLSBvcHRpb25zOiBjYWJhYz0wIHJlZj0zIGRlYmxvY2s9MTowOjAgYW5hbHlzZT0weDE6MHgxMTEg\
        bWU9aGV4IHN1Ym1lPTcgcHN5PTEgcHN5X3JkPTEuMDA6MC4wMCBtaXhlZF9yZWY9MSBtZV9yYW5nZT0xNiBjaHJvbWFfbWU9MSB0\
        cmVsbGlzPTEgOHg4ZGN0PTAgY3FtPTAgZGVhZHpvbmU9MjEsMTEgZmFzdF9wc2tpcD0xIGNocm9tYV9xcF9vZmZzZXQ9LTIgdGhy\
        ZWFkcz0yIGxvb2thaGVhZF90aHJlYWRzPTIgc2xpY2VkX3RocmVhZHM9MSBzbGljZXM9MiBucj0wIGRlY2ltYXRlPTEgaW50ZXJs\
        YWNlZD0wIGJsdXJheV9jb21wYXQ9MCBjb25zdHJhaW5lZF9pbnRyYT0wIGJmcmFtZXM9MCB3ZWlnaHRwPTAga2V5aW50PTMwMCBr\
        ZXlpbnRfbWluPTMwIHNjZW5lY3V0PTQwIGludHJhX3JlZnJlc2g9MCByY19sb29rYWhlYWQ9MCByYz1jYnIgbWJ0cmVlPTAgYml0\
        cmF0ZT0yMDQ4IHJhdGV0b2w9MS4wIHFjb21wPTAuNjAgcXBtaW49MCBxcG1heD02OSBxcHN0ZXA9NCB2YnZfbWF4cmF0ZT0yMDQ4\
        IHZidl9idWZzaXplPTEyMjggbmFsX2hyZD1ub25lIGZpbGxlcj0wIGlwX3JhdGlvPTEuNDAgYXE9MToxLjAwAIAkAAAogGADmUGG\
        B8fJ4r21Z0LAFdkBQfsBagwMDUoAAAMAAgAAAwB5HixckCQAABCAYAOaQYYHx8nivbVoy4yyJAACOoBgA5tBhgfHyeK9tWWIhAav\
        ///D0UAAVOPJ/8P+CwMQHAIY4BaZxAABCGAAEGuIAAZAmDgACAuAAIO0IOAAIC4AAg7Qg4QPCDhA8BEM+jgBk/8P/BYHgHACCilU\
        zviAACHeAAIaUQAAQygABCvwcAAQFQABBvhBwABAVAAEG+EHAAEA4AAQVoQcAAQDgABBWgIh+jgAyf+H/gsDQDgEIYBqZ/EAAETo\
        AARH4gAAgLgANgcAA8ABAGXIcAA8ABAGXIHRluQ6MtwkNyfw//grD0DgAgBAWg4gAAiQgACO5EAAEXkAASboHAAECMAAQLgABAPu\
        YcAAQIwABAuAAEA+5gcAAQNQABBKAAEDO5hwABA1AAEEoAAQM7mSH5P4f/wVhqKAAIE/EAAEKYAASGYgAB8AAQIoOAAIDoAAg+MY\
        OAAIDoAAg+MQcCArGDgQFYkhuT8P/8FYcA4ACADASg+IAAIK4AAmFRAABBGAAEpuBwABApAAEDsAAQG7mHAAECkAAQOwABAbuYHA\
        AEB4AAQKgABAGuYcAAQHgABAqAAEAa5kh2TrrimGK/e6hmunp66euunrrp666euuuuKYYr9aphmunp66euunrrp666euuuuKYYr9\
        7qGa6enrp666euunrrp66664phiv1qmGa6enrp666euunrrp66664phiv3uoZrp6eunrrp666euunrrrrimGK/WqYZrp6eunrrp6\
        66euunrrrrimGK/e6hmunp66euunrrp666euvCQABXiAYAOcQYYHx8nivbV8hQFCIhAav///D0UAAVOPJ/8P+CwMQHAIY4BaZxAA\
        BCGAAEGuIAAZAmDgACAuAAIO0IOAAIC4AAg7Qg4QPCDhA8BEM+jgBk/8P/BYHgHACCilUzviAACHeAAIaUQAAQygABCvwcAAQFQA\
        BBvhBwABAVAAEG+EHAAEA4AAQVoQcAAQDgABBWgIh+jgAyf+H/gsDQDgEIYBqZ/EAAEToAARH4gAAgLgANgcAA8ABAGXIcAA8ABA\
        GXIHRluQ6MtwkNyfw//grD0DgAgBAWg4gAAiQgACO5EAAEXkAASboHAAECMAAQLgABAPuYcAAQIwABAuAAEA+5gcAAQNQABBKAAE\
        DO5hwABA1AAEEoAAQM7mSH5P4f/wVhqKAAIE/EAAEKYAASGYgAB8AAQIoOAAIDoAAg+MYOAAIDoAAg+MQcCArGDgQFYkhuT8P/8F\
        YcA4ACADASg+IAAIK4AAmFRAABBGAAEpuBwABApAAEDsAAQG7mHAAECkAAQOwABAbuYHAAEB4AAQKgABAGuYcAAQHgABAqAAEAa5\
        kh2TrrimGK/e6hmunp66euunrrp666euvj//wRRQABmR8cAAbBo4AAjQ2uP4f6BYGIDgEMcAtM4gAAhDAACDXEAAMgTBwABAXAAE\
        HaEHAAEBcAAQdoQcIHhBwgeB0GdHADa4/D/oFgeAcAA+ABgHiSZfEAAEGUAAQSIgAAhEgACDZg4ABkAAQF4QcAAyAAIC8IOAAIAI\
        AAgXwg4AAgAgACBfBoP2uPw/6BYHgHAAPAAYBwAymfEAAEJoAAQf4gAAhnAACFngcACBAi5DgAQIEXIHAAKAEBFyHAAKAEBFxoP2\
        uIwH/6BWCCBwABAQAAEFcFIOIAAIEoAAgbRAABCsAAERuBwAEGG3MOAAgw25gcAAQCgABAHABFzDgACAUAAIA4AIubQIbXEMP/wV\
        ggigACDDwgABABAAMAE6CgACHeAAIKAAAgFg4ACACMQcABABGIOAAIBQAAgksQcAAQCgABBJYnQIaNAFNcA//0HgQAcAAQMAABC7\
        AAEAZBPaBDa///wVhrFAAECfEAAECgAAQo0IAAIPgAAjOoHAALgACAQZBwAC4AAgEGeDgACAiAAIKxkHAAEBEAAQVjPa/8P9AqhA\
        ACAIAKGFQhIygCAg5x54AgKlifN+ALtIGY85v/wD/hoRwHAAEBsAAQJQABABAAEDJM5hCAAIFQgBIQQABA1NAAoPQhkJGnXk+byw\
        ACYAAgAQh8DB2uBQWXp83lgAHAABAjhf/gH+gVQgADIEEsBAAHwCBJCAIhDpSNEP0+b8ARBB1tDxxSnzf4Bw/4LOBwABAbAAEHgI\
        QYQABgAAQBQBLwGAAEBkoAcsAAyAAICBkAHsMIuBSLpKpX1ekAACAKAAcAXcLAAPgACBMZAB+YJxSFlnApf1ekAAFwBwJuC0eVEX\
        /sZMZ/8P+gVQgABASAA4FCYQAAgQAACAKAQEYBXEoDMQwgAHoer34BGYJwBiFEGAAHrer3xS0i/9bf4+H9h4XigACBT+GAf6BYOw\
        PAYyCwgACICEjAgABASAAEBkCgVAKY9zOYVT/V4sABABDPwCDMCNUEqETBE16vFgACAUAAIJJn51nTx/D9B7wHRlBkzwwD/gqKEA\
        AjveEAAIBQAYFGgBEMpSgYU0bav+AIBAghpoPmJibav/wHF2lK62TAAYAAQjwAR8ShwU4VZI9ALuEADAtgvbwCs/cm08D7vwAIAY\
        JFKGt3mKKmfDyAIvAACABgYos+41y3WEEBs24AGEEVXUKDMc6iLe8p//cAAGASQWHNadnu+KTqHX/+8AAEA8H5ItFyPOsk2ipwT4\
        kIBwAIkjViQABXiAYAOdQYYHx8nivbV8BabI1Yj4eAAwAU4cEuVFdsvWVvsXXoAIA4ChGGLNeXSbLUkyHQAAgQ8KRIbkQcPLlRX/\
        u8YABQCcOb/VxzZA4fR4riJEjpJL/AABgMxDCUASBK6yLrzj/7wAAQBQZOg+aDRVeJnxMNBF+AACAEB3haBpdAkVWCDiqsdeAhSQ\
        lWbS5ou++LKXJN4AAIA4GAO3AwdPtCTymdo2k8AAIUBXoWeFlllu3reSXwACMAYRY430y0ZE6FtsWgGB1DoEk0XnPC+Un7/4DAA7\
        wiayJkpy1WxCJ7AARwEB/xzabGdrFUzb+AAQLZiQrilydTZLAhZ4AAIFAsgehIirkTME9utOnAMXZSVWJb/gAGAIxJg4cpQokSWV\
        Tgx0AAigApKRvcCXi9Wn0ewFgABAmBhsdU0CE3lsS0PdwAAIAwAAgDgzXtliVRGmJUnMf//4AAIGAjwo/QgLccVy2wJbvAABAFAJ\
        JYWgaMcPkz8OIFPAABAICobpQCjyBVFeql5+IABkbAcLc7xOn+hx/wAoQIBCkzmM4AjQkq///AgAr+MAmsHNnRbLhD3hAAEuBr/V\
        wjOo1llnOOAzAFBPCqxAz0IKK6yf/93HdHVyUnS/wAAIAwCCmvMNkL8MLKsgDt4BjyCSsHviKk6zp+wCX4AAECA1AMPIjFuFHWhy\
        p93gBgBUmPtsCxyNRHTKEPgBsABCwKqXC9VsamPnF74AAICcAKeUAH432ZlVF8wvwAAwx4TX+0PTww+Pv/94BCbgbxM62CEVEd1j\
        XwAAQBQqwNNcUIvLq5YE6zPwACEpXuSG9TcmwZETvwAI4CKA5//S3ZlJSyAhgAAICAYBIvTQhY0Er6mt+/rgG7oMmIkv8AAVMAAI\
        AINI+RMvdYDSh7/94YBgHyG+YfliKV9ND4UfgGYcI2mzNhk5VXJcD3mQAIAFFWadCftcCd+zf+AACBCCAvlFvBW6lFJT3Ob+AAEg\
        DBKwx5PU4/ppuR1cAACAmQA4FqcCChdcmR8QxfeCAFDsm1aCSyjyKGKxt4gAHAejgzEqg1bVDDH4BgVhoviS5sjFWfSqGgwACv8e\
        UydR+XMN6bwAGAAICRAm5Kik/1ncY5ZqCGuunrrp6euunjoSDimeh0P6HQ6hOOhLFRxUfxUcVH6hOEYIPAABADAAQskWeNFujkfd\
        8QZMXBQAg2xihdEV408geaAACAuBBhmby6prj9nhB9hAACAagBnkgPQT0nxfv3DAgAOAImb6omUIC16GbgBgAPR7wsuN2Z/YeZ/6\
        gABAfA0iNF5l2VO2Ag/9oABhASxrWXTBKTyTT/aAIoACeCsZ+ZFsqbCJ4DQGENwtiQteuGQZ/mgAAgCFAApwNLEyLkN7u6ASAiwA\
        AQFeAlmv0jfDiT/7gAAgIB4q5wNZ22TPN/XtpAACAopgGly+ALTO3VMAAgKDUW/HzScR1Wg/rgAkBg8oeSviExCr33gAAQIgA4fR\
        tKpn3Att/TLIimh3RSES39oAAQG+cAYFsL1wJwV1WcADDvIEtmWwZ49iTZJ//uAABAIAd2GBr43rKiyTbsf/7QAAQEwAohFdJhEi\
        uSeue+uAABAHQECjoZF9eNDu1qdaz3hBS3WIsMd+y+VY998AGMFJ9qTwubxMO+/vAA1DDkwnPJCSS2Zu5LOAABAJApmkBZraRIrQ\
        087eAACBIGMAv8liZZWeyaoTh4AAEAwEsBdtn0LBCiC9jbuABYVYxofKo7J69bhT/7wEAwG/Q7dLn2YM7gAd4AAEAAJNmpTZ70go\
        T/3/3gAIYZvZg7GrzcBAIrkjwAAQLQI1IQRIWTmsiRoNR7mLoZTNXIlv4ACBpeY1Q0iIXI4U11ngAAgKIlJUU1AvMS4wIDIwMCBP\
        Sw0KQ1NlcTogNw0KU2VydmVyOiBHU3RyZWFtZXIgUlRTUCBzZXJ2ZXINClNlc3Npb246IDc1R3VfcVhCaHZtMlJPMnANCkNvbm5l\
        Y3Rpb246IGNsb3NlDQpEYXRlOiBUaHUsIDI2IE5vdiAyMDI2IDEwOjEwOjA4IEdNVA0KDQo=
        """

    /// Transport headers of gst-rtsp-server 1.22 SETUP replies to ffprobe over UDP.
    static let gstServerUdpTransports = [
        #"RTP/AVP;unicast;client_port=14416-14417;server_port=51060-51061;ssrc=6711B7AC;mode="PLAY""#,
        #"RTP/AVP;unicast;client_port=14418-14419;server_port=34364-34365;ssrc=0686F7A8;mode="PLAY""#,
    ]
}
