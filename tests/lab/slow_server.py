"""A blocking test server: one request at a time, n=20000 costs about 0.5 s of CPU.

The shape of the article's Node server (and python-seed) in a few lines: a closed-loop
run with several connections leaves a backlog of slow requests behind, which is what
the bench's settle-or-restart step must handle. Answers are right for the n that
conformance checks; any n is capped at 20000 worth of work.
"""

from __future__ import annotations

import json
import os
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

PRIMES = {1: 2, 2: 3, 10: 29, 100: 541, 1000: 7919, 10000: 104729, 20000: 224737}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        values = parse_qs(urlsplit(self.path).query).get("n", ["10000"])
        try:
            n = int(values[0])
        except ValueError:
            n = 10000
        end = time.process_time() + min(max(n, 0), 20000) / 40000
        while time.process_time() < end:
            pass
        body = json.dumps({"n": n, "prime": PRIMES.get(n, 1)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer((os.environ["HOST"], int(os.environ["PORT"])), Handler).serve_forever()
