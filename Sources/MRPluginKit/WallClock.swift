#if canImport(Glibc)
import Glibc
#endif

/// Unix time, for what must be wall-clock time (RTCP NTP timestamps, numbers that must keep growing across
/// restarts); the host's `now_us` is monotonic and starts anywhere.
public enum WallClock {
    public static func microseconds() -> Int64 {
        var tv = timeval()
        gettimeofday(&tv, nil)
        return Int64(tv.tv_sec) * 1_000_000 + Int64(tv.tv_usec)
    }
}
