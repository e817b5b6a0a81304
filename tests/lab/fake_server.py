"""A tiny stand-in server for the lab's tests: stdlib only, started as a real process.

Behaviour is chosen by argv so one file covers every lifecycle case:
  fake_server.py serve [--child] [--wrong|--wrong-all] [--deaf]   answer /prime?n=N with a JSON body
                                           (--wrong: a wrong prime for n=20000; --wrong-all: for every n;
                                           --deaf: ignore SIGTERM, as a server stuck on a request does)
  fake_server.py exit                        exit 3 before listening
  fake_server.py never                       never listen
/crash makes a serving process exit at once (leaving its --child behind, orphaned);
/burn spins the CPU for about 0.3 s.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PRIMES = {1: 2, 2: 3, 10: 29, 100: 541, 1000: 7919, 10000: 104729, 20000: 224737}


class Handler(BaseHTTPRequestHandler):
    wrong = False
    wrong_all = False

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/crash":
            os._exit(7)
        if url.path == "/burn":
            end = time.process_time() + 0.3
            while time.process_time() < end:
                pass
        values = parse_qs(url.query).get("n", ["10000"])
        try:
            n = int(values[0])
        except ValueError:
            n = 10000
        prime = PRIMES.get(n, 1)
        if (self.wrong and n == 20000) or self.wrong_all:
            prime += 2
        body = json.dumps({"n": n, "prime": prime}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    mode = sys.argv[1]
    if mode == "exit":
        print("failing on purpose", file=sys.stderr)
        sys.exit(3)
    if mode == "never":
        time.sleep(600)
        return
    if "--child" in sys.argv:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        print(f"child {child.pid}", flush=True)
    if "--deaf" in sys.argv:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    Handler.wrong = "--wrong" in sys.argv
    Handler.wrong_all = "--wrong-all" in sys.argv
    server = ThreadingHTTPServer((os.environ["HOST"], int(os.environ["PORT"])), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
