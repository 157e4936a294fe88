#!/usr/bin/env python3
"""A web hook receiver for the hook tests: records every POST it gets and answers by rules the test edits.

Usage: hook_receiver.py PORT LOG RULES
  LOG   gets one JSON line per request, {"hook": <last path part>, "body": <parsed body or the raw text>},
        written before the answer goes out (so a test that sees it knows the server is waiting).
  RULES is read at each request: {"<hook>": rule}. A rule is the JSON answer to send, with two extra keys
        of its own: "sleep" (seconds to wait first), "garbage" (answer 200 with a body that is not JSON) and
        "call" (a URL to GET after answering, as an operator's platform calls the server's API back).
        Hooks without a rule get {"code": 0, "msg": "success"}.
"""
import json
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, LOG, RULES = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()


def rule_for(hook):
    try:
        with open(RULES) as f:
            return json.load(f).get(hook)
    except (OSError, ValueError):
        return None


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        hook = self.path.rstrip("/").split("/")[-1]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
        with lock, open(LOG, "a") as f:
            f.write(json.dumps({"hook": hook, "body": body}) + "\n")
        rule = dict(rule_for(hook) or {"code": 0, "msg": "success"})
        time.sleep(float(rule.pop("sleep", 0)))
        call = rule.pop("call", None)
        out = b"this is not json" if rule.pop("garbage", False) else json.dumps(rule).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        except OSError:
            pass  # the server gave up on a slow answer and closed
        if call:
            threading.Thread(target=call_back, args=(call,), daemon=True).start()


def call_back(url):
    try:
        answer = urllib.request.urlopen(url, timeout=10).read().decode("utf-8", "replace")
    except OSError as e:
        answer = "error: %s" % e
    with lock, open(LOG, "a") as f:
        f.write(json.dumps({"hook": "call", "body": {"url": url, "answer": answer}}) + "\n")


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
server.daemon_threads = True
print("listening", flush=True)
server.serve_forever()
