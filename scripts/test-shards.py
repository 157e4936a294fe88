#!/usr/bin/env python3
"""Splits the XCTest cases into N shards of about equal wall time, one line of comma-separated
Module.Class names per shard, for scripts/test.sh to run side by side.

Reads `xctest --list-tests` on stdin. Times come from the last run's log (`--times FILE`: lines
"seconds Class.method") when there is one, else an estimate (integration cases 8 s, others 0.05 s).
Classes that drive Chromium (their file calls DevToolsSession) all go to the first shard, so two browsers
never decode at once on a 2-core machine.
"""
import argparse, collections, pathlib, re, sys

ap = argparse.ArgumentParser()
ap.add_argument("shards", type=int)
ap.add_argument("--times", default=None)
ap.add_argument("--tests-dir", default="Tests/IntegrationTests")
args = ap.parse_args()

cases = collections.defaultdict(list)   # "Module.Class" -> [method]
for line in sys.stdin:
    m = re.match(r"^\s*([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)/([A-Za-z0-9_]+)\s*$", line)
    if m:
        cases[f"{m.group(1)}.{m.group(2)}"].append(m.group(3))

times = {}
if args.times and pathlib.Path(args.times).is_file():
    for line in pathlib.Path(args.times).read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                times[parts[1]] = float(parts[0])
            except ValueError:
                pass

chromium = set()
for f in pathlib.Path(args.tests_dir).glob("*.swift"):
    text = f.read_text(errors="replace")
    if "DevToolsSession(" in text and f.stem != "DevToolsSession":
        for cls in re.findall(r"final class ([A-Za-z0-9_]+)\s*:\s*XCTestCase", text):
            chromium.add(cls)

def weight(full):
    module, cls = full.split(".", 1)
    default = 8.0 if module == "IntegrationTests" else 0.05
    return sum(times.get(f"{cls}.{m}", default) for m in cases[full])

n = max(1, args.shards)
load = [0.0] * n
shards = [[] for _ in range(n)]
pinned = [c for c in cases if c.split(".", 1)[1] in chromium]
for c in pinned:
    shards[0].append(c)
    load[0] += weight(c)
# Longest first onto the least loaded shard.
for c in sorted((c for c in cases if c not in pinned), key=weight, reverse=True):
    i = min(range(n), key=lambda k: load[k])
    shards[i].append(c)
    load[i] += weight(c)
for i, s in enumerate(shards):
    if s:
        print(",".join(sorted(s)))
        print(f"shard {i}: {len(s)} classes, about {load[i]:.0f} s", file=sys.stderr)
