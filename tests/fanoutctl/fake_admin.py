"""A stand-in for fanoutd's admin endpoint that answers the rebuild routes as
the generation contract says (docs/operations.md#rebuilding-a-projection), for
fanoutctl's tests. Usage: fake_admin.py TOKEN

Prints `listening on 127.0.0.1:PORT` once it listens, then one line per
request (`GET /plugins/read_model/rebuild`). The plugins and what they do:

  read_model  a rebuild into generation 2: building, 24.7% then 80%, then switched
  slow        a rebuild into generation 5 that switches after 7 answers
  analytics   a rebuild into generation 3 that fails at its second answer
  restarted   a rebuild into generation 4 of a fanoutd that restarts: no answer
              (503), then idle, then resumed and switched
  busy        409: a rebuild of it runs already
  webhook     409: keeps no checkpoints
  anything    404
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = sys.argv[1]
STARTED = "2026-12-06T01:00:00.000Z"


def rebuild(plugin, generation, state, position, end, rate=0.0, eta=None, error=None):
    return {"plugin": plugin, "state": state, "generation": generation, "position": position, "end": end,
            "progress": round(position / end, 4) if end else 0.0, "eventsPerSecond": rate, "etaSeconds": eta,
            "startedAt": STARTED, "switchedAt": "2026-12-06T01:00:09.000Z" if state == "switched" else None,
            "error": error}


def read_model(step):
    if step == 0:
        return rebuild("read_model", 2, "building", 0, 50000)
    if step == 1:
        return rebuild("read_model", 2, "building", 12345, 50000, 5300.5, 7)
    if step == 2:
        return rebuild("read_model", 2, "building", 40000, 50000, 9800.0, 1)
    return rebuild("read_model", 2, "switched", 50000, 50000, 9800.0)


def slow(step):
    if step < 7:
        return rebuild("slow", 5, "building", 100 * step, 1000, 100.0, 10 - step)
    return rebuild("slow", 5, "switched", 1000, 1000, 100.0)


def analytics(step):
    if step < 2:
        return rebuild("analytics", 3, "building", 700 * step, 9000, 700.0, 10)
    return rebuild("analytics", 3, "failed", 1400, 9000,
                   error="relation \"analytics_g3.post_counts\" does not exist")


def restarted(step):
    if step == 1:
        return 503
    if step == 2:
        return {"plugin": "restarted", "state": "idle", "generation": None, "position": 0, "end": 0,
                "progress": 0.0, "eventsPerSecond": 0.0, "etaSeconds": None, "startedAt": None,
                "switchedAt": None, "error": None}
    if step == 3:
        return rebuild("restarted", 4, "building", 600, 1000, 300.0, 2)
    return rebuild("restarted", 4, "building" if step == 0 else "switched", 0 if step == 0 else 1000, 1000)


SCRIPTS = {"read_model": read_model, "slow": slow, "analytics": analytics, "restarted": restarted}
REFUSALS = {
    "busy": "a rebuild of busy into generation 4 is running already (fanoutctl rebuild status busy)",
    "webhook": "webhook keeps no checkpoints: only a checkpointing SQL projection can be rebuilt",
}


class Admin(BaseHTTPRequestHandler):
    steps = {}  # plugin -> answers given since its POST

    def log_message(self, format, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_one(self, post):
        print(f"{self.command} {self.path}", flush=True)
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.answer(401, {"message": "a valid bearer token is required"})
        parts = self.path.strip("/").split("/")
        if not post and parts == ["rebuilds"]:
            return self.answer(200, {"rebuilds": [read_model(1), analytics(2)]})
        if len(parts) != 3 or parts[0] != "plugins" or parts[2] != "rebuild":
            return self.answer(404, {"message": "no such route"})
        plugin = parts[1]
        if plugin in REFUSALS:
            return self.answer(409, {"error": REFUSALS[plugin]})
        if plugin not in SCRIPTS:
            return self.answer(404, {"error": f"no such plugin: {plugin}"})
        if post:
            Admin.steps[plugin] = 0
            return self.answer(202, SCRIPTS[plugin](0))
        if plugin not in Admin.steps:  # `rebuild status` without a POST: mid-way
            return self.answer(200, SCRIPTS[plugin](1))
        Admin.steps[plugin] += 1
        answer = SCRIPTS[plugin](Admin.steps[plugin])
        if answer == 503:
            return self.answer(503, {"message": "starting"})
        return self.answer(200, answer)

    def do_GET(self):
        self.handle_one(False)

    def do_POST(self):
        self.handle_one(True)


server = ThreadingHTTPServer(("127.0.0.1", 0), Admin)
print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
