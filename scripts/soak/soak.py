#!/usr/bin/env python3
"""Soak and churn: the real server under publishers and players of every protocol that come and go, pulls and
pushes started and stopped through the API, recordings started and stopped, a plugin toggled by a hot reload
every 30 s and API calls throughout. A sample every 10 s goes to a CSV; at the end, once every client has left,
the object counters must be back at their idle baseline, RSS within --rss-tolerance-mb of its value after
warm-up, the server alive, and every warning/error log line explained (logcheck.py).

usage: soak.py --binary .build/debug/mediarouter [--minutes 10] [--out DIR] [--seed N]"""
import argparse, atexit, csv, os, random, signal, subprocess, sys, time

import clients, logcheck, monitor

# Counters that must come back to their idle value once the last client has gone.
MUST_RETURN = ["MediaSource", "Reader", "Source", "BusReader", "RingHub", "DerivedRing", "FrameRing", "MediaBuffer",
               "TcpConnection"]


def config(work, ports):
    return f"""[server]
log_level = "info"
threads = 2
play_wait_ms = 3000
reconnect_window_ms = 3000
none_reader_ms = 5000
[rtmp]
port = {ports['rtmp']}
[rtsp]
port = {ports['rtsp']}
[httpmux]
port = {ports['http']}
[hls]
enabled = true
[mp4]
record_root = "{work}/record"
[webrtc]
port = {ports['webrtc']}
[srt]
port = {ports['srt']}
[gb28181]
enabled = true
port = {ports['gb']}
"""


class Churn:
    """Starts and retires clients and API actions on a timetable, one step every half second."""

    def __init__(self, api, ports, clip, clientlog, rng, publishers, players):
        self.api, self.ports, self.clip, self.log, self.rng = api, ports, clip, clientlog, rng
        self.pub_slots, self.play_slots = publishers, players
        self.publishers = []   # (proc, proto, stream, started, ends)
        self.players = []      # (proc, proto, ends)
        self.timed = []        # (due, action)
        self.count = {"publishers": 0, "players": 0, "proxies": 0, "pushers": 0, "recordings": 0, "reloads": 0}
        self.by_proto = {}
        self.next_stream = 0
        self.gb_enabled = True

    def live_streams(self, now):
        return [s for (p, _, s, started, ends) in self.publishers if now - started > 4 and ends - now > 6]

    def step(self, now, spawning):
        self.publishers = [x for x in self.publishers if self.reap(x[0], x[4] + 20)]
        self.players = [x for x in self.players if self.reap(x[0], x[2] + 20)]
        due = [a for a in self.timed if a[0] <= now]
        self.timed = [a for a in self.timed if a[0] > now]
        for _, action in due:
            action()
        if not spawning:
            return
        while len(self.publishers) < self.pub_slots:
            protos = [p for p in clients.PUBLISHERS if p != "whip" or all(x[1] != "whip" for x in self.publishers)]
            proto = self.rng.choice(protos)
            self.next_stream += 1
            stream, seconds = f"s{self.next_stream}", self.rng.randint(25, 70)
            self.publishers.append((clients.start(clients.publisher(proto, stream, seconds, self.ports, self.clip), self.log),
                                    proto, stream, now, now + seconds))
            self.counted("publishers", "pub-" + proto)
        live = self.live_streams(now)
        while live and len(self.players) < self.play_slots:
            protos = [p for p in clients.PLAYERS if p != "whep" or all(x[1] != "whep" for x in self.players)]
            proto, seconds = self.rng.choice(protos), self.rng.randint(4, 20)
            self.players.append((clients.start(clients.player(proto, self.rng.choice(live), seconds, self.ports), self.log),
                                 proto, now + seconds))
            self.counted("players", "play-" + proto)

    def counted(self, kind, proto):
        self.count[kind] += 1
        self.by_proto[proto] = self.by_proto.get(proto, 0) + 1

    @staticmethod
    def reap(proc, deadline):
        """True while the process should be kept; one past its deadline (plus grace) is killed."""
        if proc.poll() is not None:
            return False
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return False
        return True

    def every(self, now, elapsed, spawning):
        """The API side of the churn, by the second of the run."""
        if not spawning:
            return
        live = self.live_streams(now)
        if elapsed % 30 == 0:
            self.gb_enabled = not self.gb_enabled
            self.api.call("setPluginEnabled", name="gb28181", enabled=int(self.gb_enabled))
            self.count["reloads"] += 1
        if elapsed % 45 == 5 and live:
            stream, key = self.rng.choice(live), None
            url = self.rng.choice([f"rtmp://127.0.0.1:{self.ports['rtmp']}/live/{stream}",
                                   f"rtsp://127.0.0.1:{self.ports['rtsp']}/live/{stream}"])
            answer = self.api.call("addStreamProxy", app="pulled", stream=f"p{elapsed}", url=url, retry_count=0)
            key = ((answer or {}).get("data") or {}).get("key")
            if key:
                self.count["proxies"] += 1
                self.timed.append((now + 20, lambda k=key: self.api.call("delStreamProxy", key=k)))
        if elapsed % 45 == 25 and live:
            stream = self.rng.choice(live)
            answer = self.api.call("addStreamPusherProxy", schema="rtmp", app="live", stream=stream, retry_count=0,
                                   dst_url=f"rtmp://127.0.0.1:{self.ports['rtmp']}/pushed/{stream}")
            key = ((answer or {}).get("data") or {}).get("key")
            if key:
                self.count["pushers"] += 1
                self.timed.append((now + 20, lambda k=key: self.api.call("delStreamPusherProxy", key=k)))
        if elapsed % 40 == 15 and live:
            stream = self.rng.choice(live)
            if self.api.call("startRecord", type=1, app="live", stream=stream, max_second=5):
                self.count["recordings"] += 1
                self.timed.append((now + 15, lambda s=stream: self.api.call("stopRecord", expect_ok=False, type=1,
                                                                            app="live", stream=s)))
        if elapsed % 2 == 0:
            name = ["getMediaList", "getServerConfig", "listStreamProxy", "listStreamPusherProxy", "getAllSession",
                    "getApiList", "version", "getThreadsLoad"][(elapsed // 2) % 8]
            self.api.call(name)

    def stop_all(self):
        for proc, *_ in self.publishers + self.players:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.publishers, self.players = [], []
        for _, action in self.timed:
            action()
        self.timed = []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/debug/mediarouter")
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--out", default="")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--publishers", type=int, default=3)
    ap.add_argument("--players", type=int, default=5)
    ap.add_argument("--rss-tolerance-mb", type=float, default=8)
    ap.add_argument("--heap-tolerance-mb", type=float, default=2)
    args = ap.parse_args()

    work = args.out or f"/tmp/mr-soak-{os.getpid()}"
    os.makedirs(work, exist_ok=True)
    base = 20000 + os.getpid() % 5000
    ports = {"rtmp": base, "rtsp": base + 1, "http": base + 2, "webrtc": base + 3, "srt": base + 4, "gb": base + 5}
    conf = os.path.join(work, "soak.conf")
    with open(conf, "w") as f:
        f.write(config(work, ports))
    clip = os.path.join(work, "clip.flv")
    clients.make_clip(clip)
    serverlog = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([os.path.abspath(args.binary), "--config", conf], stdout=serverlog, stderr=subprocess.STDOUT)
    api = monitor.Api(ports["http"])
    for _ in range(50):
        if api.call("version", expect_ok=False):
            break
        time.sleep(0.2)
    api.failures.clear()

    rows, warmup = [], max(60, args.minutes * 60 * 0.2)
    csvfile = open(os.path.join(work, "soak.csv"), "w", newline="")
    out = csv.DictWriter(csvfile, fieldnames=monitor.COLUMNS)
    out.writeheader()
    churn = Churn(api, ports, clip, open(os.path.join(work, "clients.log"), "w"), random.Random(args.seed),
                  args.publishers, args.players)

    def leave_nothing_behind():  # also when the script itself fails
        churn.stop_all()
        if server.poll() is None:
            server.kill()
    atexit.register(leave_nothing_behind)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # atexit runs on a clean exit only

    def record(t, phase):
        row = monitor.sample(api, server.pid, t, phase, len(churn.publishers), len(churn.players))
        rows.append(row)
        out.writerow(row)
        csvfile.flush()
        print(" ".join(f"{k}={row[k]}" for k in ["t", "phase", "rss_kb", "HeapInUseBytes", "fds", "threads", "Source",
                                                 "BusReader", "MediaBuffer", "TcpConnection", "lag_max_ms", "publishers",
                                                 "players"]),
              flush=True)

    time.sleep(3)
    record(0, "baseline")
    baseline = rows[-1]
    start = time.monotonic()
    churn_end = start + args.minutes * 60
    last_second, died = -1, False
    while True:
        now = time.monotonic()
        elapsed = int(now - start)
        spawning = now < churn_end
        if server.poll() is not None:
            died = True
            break
        churn.step(now, spawning)
        # Every second in turn, also those a slow step (an API call waiting) jumped over.
        for second in range(last_second + 1, elapsed + 1):
            churn.every(now, second, spawning)
            if second % 10 == 0 and second > 0:
                record(second, "warmup" if second < warmup else "churn" if spawning else "drain")
        last_second = elapsed
        if not spawning and not churn.publishers and not churn.players:
            break
        if now > churn_end + 60:  # clients that outstay their deadline are killed
            churn.stop_all()
        time.sleep(0.5)
    churn.stop_all()
    # Streams end after reconnect_window_ms, readers after play_wait_ms; the pulls' retries stop with delete.
    for i in range(4):
        if server.poll() is not None:
            died = True
            break
        time.sleep(10)
        record(int(time.monotonic() - start), "idle")
    final = rows[-1]
    after_warmup = next((r for r in rows if r["phase"] == "churn"), rows[-1])

    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        code = "hung at stop"
    serverlog.close()
    counts, unexplained, fatal = logcheck.check(open(os.path.join(work, "server.log"), errors="replace").read())

    problems = []
    if died:
        problems.append(f"the server died (exit {server.returncode})")
    if code not in (0, "0"):
        problems.append(f"exit status at stop: {code}")
    for k in MUST_RETURN:
        if final.get(k) != baseline.get(k):
            problems.append(f"{k}: baseline {baseline.get(k)}, after the last client {final.get(k)}")
    if final["fds"] > baseline["fds"] + 2:
        problems.append(f"descriptors: baseline {baseline['fds']}, after {final['fds']}")
    grown = (final["rss_kb"] - after_warmup["rss_kb"]) / 1024
    if grown > args.rss_tolerance_mb:
        problems.append(f"RSS grew {grown:.1f} MB after warm-up (tolerance {args.rss_tolerance_mb} MB)")
    # What the allocator has handed out and not been given back: a leak shows here even when RSS hides it.
    kept = (final["HeapInUseBytes"] - baseline["HeapInUseBytes"]) / 1048576
    if kept > args.heap_tolerance_mb:
        problems.append(f"heap in use {kept:.1f} MB over its idle baseline (tolerance {args.heap_tolerance_mb} MB)")
    problems += [f"fatal: {l}" for l in fatal] + [f"unexplained log line: {l}" for l in unexplained[:20]]
    if api.failures:
        problems.append(f"{len(api.failures)} API calls failed, first: {api.failures[:3]}")

    print(f"\nclients: {churn.count}\nby protocol: {dict(sorted(churn.by_proto.items()))}")
    print(f"API calls: {api.calls}, failed: {len(api.failures)}")
    print(f"RSS: baseline {baseline['rss_kb'] / 1024:.1f} MB, after warm-up {after_warmup['rss_kb'] / 1024:.1f} MB, "
          f"peak {max(r['rss_kb'] for r in rows) / 1024:.1f} MB, final {final['rss_kb'] / 1024:.1f} MB")
    print(f"heap in use: baseline {baseline['HeapInUseBytes'] / 1048576:.1f} MB, "
          f"peak {max(r['HeapInUseBytes'] for r in rows) / 1048576:.1f} MB, final {final['HeapInUseBytes'] / 1048576:.1f} MB; "
          f"held free by the allocator at the end {final['HeapFreeBytes'] / 1048576:.1f} MB")
    print(f"lag max over the run: {max((r['lag_max_ms'] or 0) for r in rows)} ms")
    print("explained log lines:", counts)
    print(f"CSV: {work}/soak.csv, server log: {work}/server.log")
    if problems:
        print("SOAK FAILED:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print("SOAK PASSED")


if __name__ == "__main__":
    main()
