"""What the soak records every 10 s: the process's RSS, descriptors and threads from /proc, the core's live
object counters (getStatistic) and the event loops' lag (getThreadsLoad)."""
import json, os, urllib.parse, urllib.request

COUNTERS = ["MediaSource", "Reader", "TcpSession", "Source", "BusReader", "RingHub", "DerivedRing", "FrameRing",
            "MediaBuffer", "MediaBufferBytes", "TcpConnection", "HeapInUseBytes", "HeapFreeBytes"]
COLUMNS = ["t", "phase", "rss_kb", "fds", "threads"] + COUNTERS + ["lag_max_ms", "publishers", "players"]


class Api:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}/index/api/"
        self.calls = 0
        self.failures = []

    def call(self, endpoint, expect_ok=True, **params):
        """The envelope, or None when the call failed (recorded unless the caller expects failures)."""
        self.calls += 1
        url = self.base + endpoint + ("?" + urllib.parse.urlencode(params) if params else "")
        try:
            with urllib.request.urlopen(url, timeout=15) as r:
                answer = json.loads(r.read())
        except Exception as e:  # a refused connection or a timeout is what the soak looks for
            self.failures.append(f"{endpoint}: {e}")
            return None
        if expect_ok and answer.get("code") != 0:
            self.failures.append(f"{endpoint} {params}: {answer}")
        return answer


def proc_figures(pid):
    rss = threads = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd")), threads


def sample(api, pid, t, phase, publishers, players):
    rss, fds, threads = proc_figures(pid)
    row = {"t": round(t), "phase": phase, "rss_kb": rss, "fds": fds, "threads": threads,
           "publishers": publishers, "players": players}
    stats = (api.call("getStatistic") or {}).get("data", {})
    for k in COUNTERS:
        row[k] = stats.get(k, "")
    loads = (api.call("getThreadsLoad") or {}).get("data", [])
    row["lag_max_ms"] = max((l.get("delay", 0) for l in loads), default="")
    return row
