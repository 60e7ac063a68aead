#!/usr/bin/env python3
"""A small webhook receiver for the quickstart and for trying webhook_notifier.

Accepts POST on any path on 127.0.0.1:PORT, answers 200 and appends one JSON line
per request to OUT: {"path", "idempotencyKey", "body"} (body parsed when it is JSON).
A request repeating an Idempotency-Key already seen is answered 200 and logged as a
duplicate, not appended again. Prints "listening on 127.0.0.1:PORT" when ready; stops
on SIGTERM or Ctrl-C.

usage: webhook-receiver.py --port PORT --out FILE
"""
import argparse
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--out", required=True, help="file that receives one JSON line per notification")
    args = parser.parse_args()

    lock = threading.Lock()
    seen: set[str] = set()
    out = open(args.out, "a", encoding="utf-8")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", errors="replace")
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
            key = self.headers.get("Idempotency-Key") or ""
            with lock:
                duplicate = bool(key) and key in seen
                if not duplicate:
                    seen.add(key)
                    out.write(json.dumps({"path": self.path, "idempotencyKey": key, "body": body}) + "\n")
                    out.flush()
            if duplicate:
                sys.stderr.write(f"duplicate delivery of {key} ignored\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args) -> None:  # quiet: the output file is the log
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    server.server_close()
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
