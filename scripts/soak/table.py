#!/usr/bin/env python3
"""The soak CSV as the markdown table of docs/reliability.md: one row a minute, plus the last sample of each
phase; `heap MB` is the allocator's bytes in use (0 in CSVs from before it was recorded).
usage: table.py soak.csv [every seconds, default 60]"""
import csv, sys

rows = list(csv.DictReader(open(sys.argv[1])))
every = int(sys.argv[2]) if len(sys.argv) > 2 else 60
last_of_phase = {r["phase"]: r for r in rows}
shown = [r for r in rows if int(r["t"]) % every == 0 or r is last_of_phase[r["phase"]]]
cols = [("t (s)", "t"), ("phase", "phase"), ("RSS MB", None), ("heap MB", None), ("fds", "fds"), ("threads", "threads"),
        ("Source", "Source"), ("BusReader", "BusReader"), ("RingHub", "RingHub"), ("DerivedRing", "DerivedRing"),
        ("MediaBuffer", "MediaBuffer"), ("buffer MB", None), ("TcpConnection", "TcpConnection"), ("lag ms", "lag_max_ms"),
        ("pub", "publishers"), ("play", "players")]
print("| " + " | ".join(c for c, _ in cols) + " |")
print("|" + "|".join("---" if k == "phase" else "---:" for _, k in cols) + "|")
for r in shown:
    cells = []
    for name, key in cols:
        if name == "RSS MB":
            cells.append(f"{int(r['rss_kb']) / 1024:.1f}")
        elif name == "heap MB":
            cells.append(f"{int(r.get('HeapInUseBytes') or 0) / 1048576:.1f}")
        elif name == "buffer MB":
            cells.append(f"{int(r['MediaBufferBytes'] or 0) / 1048576:.1f}")
        else:
            cells.append(str(r[key]))
    print("| " + " | ".join(cells) + " |")
