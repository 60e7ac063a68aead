"""Schemathesis against both services, each on real databases, through the
documents they serve at GET /openapi.json.

post-command runs on a SQLite event store and the test broker
(FANOUT_TEST_BROKERS), fanoutd's sql_read_model projects its topic into a
SQLite read model, and post-query serves that read model. A few posts are
created first, so the Query API answers real pages. Schemathesis then
generates requests from each document (examples, coverage, fuzzing and, for
post-command, the stateful phase along the documents' links) and checks that
no answer is a 5xx, that every status code, content type, header and body is
the documented one, and that requests the document calls invalid are
refused. Any finding fails the test.

usage: contract_test.py BUILD_DIR SOURCE_DIR
Environment: FANOUT_TEST_BROKERS (required), FANOUT_CONTRACT_MAX_EXAMPLES
(per operation, default 100), FANOUT_CONTRACT_SEED (default 1).
"""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
])
RUN_TIMEOUT_S = 150  # per service; a run takes 15-50 s on 2 cores


def fail(message):
    print(f"FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def wait_until(what, predicate, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    fail(f"timed out after {timeout_s:.0f} s waiting for {what}")


def request(method, url, body=None):
    """(status, headers, parsed JSON body or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            raw = res.read()
            return res.status, res.headers, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, e.headers, json.loads(raw) if raw else None


class Process:
    """A child process whose log is a file; its port from `listening on HOST:PORT`."""

    def __init__(self, name, argv, run_dir):
        self.name = name
        self.log_path = os.path.join(run_dir, name + ".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def port(self):
        def found():
            if self.proc.poll() is not None:
                fail(f"{self.name} exited with {self.proc.returncode}:\n{self.text()}")
            m = re.search(r"listening on \S*:(\d+)", self.text())
            return int(m.group(1)) if m else None

        return wait_until(f"{self.name} to listen", found)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def check_served_document(base, yaml_path):
    """GET /openapi.json is the YAML beside the service: one source of truth."""
    status, headers, served = request("GET", base + "/openapi.json")
    if status != 200 or not headers.get("Content-Type", "").startswith("application/json"):
        fail(f"{base}/openapi.json answered {status} {headers.get('Content-Type')}")
    with open(yaml_path) as f:
        if served != yaml.safe_load(f):
            fail(f"{base}/openapi.json is not {yaml_path}")


def seed_posts(command):
    """Posts with comments and likes, in camelCase and PascalCase bodies."""
    ids = []
    for i in range(3):
        body = {"author": f"author {i}", "message": f"post {i}"} if i % 2 == 0 else {
            "Author": f"author {i}", "Message": f"post {i}"}
        status, _, answer = request("POST", command + "/api/v1/newPost", body)
        if status != 201:
            fail(f"newPost answered {status} {answer}")
        ids.append(answer["id"])
    for post in ids[:2]:
        status, _, answer = request("PUT", f"{command}/api/v1/addComment/{post}", {"Comment": "hi", "Username": "bob"})
        if status != 200:
            fail(f"addComment answered {status} {answer}")
        status, _, answer = request("PUT", f"{command}/api/v1/likePost/{post}")
        if status != 200:
            fail(f"likePost answered {status} {answer}")
    # The same field in two spellings is ambiguous: refused, never guessed.
    status, _, answer = request("POST", command + "/api/v1/newPost",
                                {"author": "a", "Author": "b", "message": "m"})
    if status != 400 or "more than once" not in answer["message"]:
        fail(f"newPost with author and Author answered {status} {answer}")
    return ids


def run_schemathesis(python, name, base, source_dir, run_dir):
    """Returns the number of generated test cases; fails on any finding."""
    max_examples = os.environ.get("FANOUT_CONTRACT_MAX_EXAMPLES", "100")
    seed = os.environ.get("FANOUT_CONTRACT_SEED", "1")
    argv = [python, "-m", "schemathesis.cli",
            "--config-file", os.path.join(source_dir, "tests/contract/schemathesis.toml"),
            "run", base + "/openapi.json",
            "--checks", CHECKS, "--max-examples", max_examples, "--seed", seed,
            # One worker: on two threads CPython 3.11's ast module sometimes fails while
            # Hypothesis reads lambda sources, a tool error that would fail the test.
            "--workers", "1", "--request-timeout", "10"]
    print(f"==> schemathesis on {name}: {' '.join(argv[1:])}", flush=True)
    env = dict(os.environ, NO_COLOR="1", PYTHONUNBUFFERED="1")
    try:
        done = subprocess.run(argv, cwd=run_dir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        print((e.stdout or b"").decode(errors="replace"))
        fail(f"schemathesis on {name} took over {RUN_TIMEOUT_S} s")
    output = done.stdout.decode(errors="replace")
    print(output)
    m = re.search(r"(\d+) generated", output)
    if done.returncode != 0:
        fail(f"schemathesis found problems in {name} (exit {done.returncode})")
    if not m or int(m.group(1)) == 0:
        fail(f"schemathesis on {name} generated no test case")
    return int(m.group(1))


def main():
    build_dir, source_dir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    brokers = os.environ.get("FANOUT_TEST_BROKERS")
    if not brokers:
        fail("FANOUT_TEST_BROKERS is not set (tools/test.sh sets it; tools/kafka-dev.sh bootstrap)")
    bin_dir, lib_dir = os.path.join(build_dir, "bin"), os.path.join(build_dir, "lib")
    run_dir = tempfile.mkdtemp(prefix="fanout-contract-")
    topic = f"contract-{os.getpid()}-{int(time.time())}"
    read_model = os.path.join(run_dir, "read-model.db")
    processes = []
    try:
        command_proc = Process("post-command", [
            os.path.join(bin_dir, "post-command"), "--listen", "127.0.0.1:0",
            "--event-store", "sqlite:" + os.path.join(run_dir, "events.db"),
            "--brokers", brokers, "--topic", topic], run_dir)
        processes.append(command_proc)
        command = f"http://127.0.0.1:{command_proc.port()}"
        check_served_document(command, os.path.join(source_dir, "services/post-command/openapi.yaml"))
        posts = seed_posts(command)
        # Published (so the topic exists) before fanoutd subscribes to it.
        wait_until("the relay to publish the seeded posts",
                   lambda: request("GET", command + "/api/v1/status")[2]["lag"] == 0)

        config = os.path.join(run_dir, "fanoutd.yaml")
        with open(config, "w") as f:
            json.dump({  # JSON is YAML
                "kafka": {"brokers": brokers},
                "group_prefix": topic,
                "plugins": [{
                    "name": "read_model", "type": "library",
                    "path": os.path.join(lib_dir, "libfanout_sql_read_model.so"),
                    "topics": [topic], "batch": {"max_events": 1000, "linger_ms": 10},
                    "options": {"connection": "sqlite:" + read_model},
                }],
            }, f)
        processes.append(Process("fanoutd", [os.path.join(bin_dir, "fanoutd"), "--config", config], run_dir))

        query_proc = Process("post-query", [
            os.path.join(bin_dir, "post-query"), "--listen", "127.0.0.1:0", "--database", "sqlite:" + read_model],
            run_dir)
        processes.append(query_proc)
        query = f"http://127.0.0.1:{query_proc.port()}"
        check_served_document(query, os.path.join(source_dir, "services/post-query/openapi.yaml"))
        wait_until("the read model to hold the seeded posts", lambda: (lambda r: r[0] == 200 and len(
            r[2]["posts"]) == len(posts))(request("GET", query + "/api/v1/postLookup/")), timeout_s=60)

        python = sys.executable
        cases = {
            "post-command": run_schemathesis(python, "post-command", command, source_dir, run_dir),
            "post-query": run_schemathesis(python, "post-query", query, source_dir, run_dir),
        }
        for proc in processes:
            if proc.proc.poll() is not None:
                fail(f"{proc.name} exited during the run:\n{proc.text()}")
        print("contract: " + ", ".join(f"{name} {n} generated cases" for name, n in cases.items()) +
              ", no finding")
    finally:
        for proc in reversed(processes):
            proc.stop()
        if os.environ.get("FANOUT_CONTRACT_KEEP") is None:
            subprocess.run(["rm", "-rf", run_dir])
        else:
            print(f"kept {run_dir}")


if __name__ == "__main__":
    main()
