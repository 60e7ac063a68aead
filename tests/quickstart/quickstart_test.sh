#!/usr/bin/env bash
# Runs tools/quickstart.sh --once twice on the same state, as a newcomer
# reruns it: post-command, fanoutd with config/quickstart.yaml (read model,
# webhook notifier, SQL analytics, Lua), post-query, the webhook receiver and
# the quickstart's own Kafka broker (on free ports, its data kept in the state
# directory with the databases), all for real. The script checks the Query
# API, the notifications, the analytics and the Lua metrics itself and exits 1
# when one is wrong, so the second run passing means the posts it created
# reached every plugin although the first run's checkpoints are in the
# databases. This test also checks that everything it started was stopped,
# and that the quickstart's Python checks never print a traceback.
#
# usage: quickstart_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build_dir=$1
source_dir=$2

run_dir=$(mktemp -d /tmp/fanout-quickstart-test.XXXXXX)
trap 'rm -rf "$run_dir"' EXIT

# Free loopback ports, so the test runs beside a quickstart a developer left
# running and beside the test broker; the broker needs two in a row.
read -r command_port query_port webhook_port admin_port kafka_port < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
ports = [s.getsockname()[1] for s in socks]
for base in range(29000, 60000, 2):
    pair = [socket.socket(), socket.socket()]
    try:
        for i, s in enumerate(pair):
            s.bind(("127.0.0.1", base + i))
    except OSError:
        continue
    finally:
        for s in pair:
            s.close()
    if base not in ports and base + 1 not in ports:
        break
print(" ".join(str(p) for p in ports + [base]))
PY
)
fail() {
  echo "FAILED: $*" >&2
  exit 1
}
run_once() {
  local out=$1 rc=0
  # KAFKA_PORT too: a quickstart without its own broker would start a fresh
  # one there on every run (the databases then outlive the topic).
  env -u KAFKA_BROKERS QUICKSTART_SKIP_BUILD=1 BUILD_DIR="$build_dir" FANOUT_RUN_DIR="$run_dir" \
    QUICKSTART_KAFKA_PORT="$kafka_port" KAFKA_PORT="$kafka_port" QUICKSTART_WAIT_S=60 \
    COMMAND_PORT="$command_port" QUERY_PORT="$query_port" WEBHOOK_PORT="$webhook_port" \
    QUICKSTART_ADMIN_PORT="$admin_port" "$source_dir/tools/quickstart.sh" --once </dev/null >"$out" 2>&1 || rc=$?
  cat "$out"
  ((rc == 0)) || fail "tools/quickstart.sh --once exited with $rc ($out)"
  grep -q -- "--once: every check passed" "$out" || fail "the quickstart did not reach its checks"
  ! grep -q "Traceback" "$out" || fail "the quickstart printed a Python traceback"
  for name in webhook-receiver post-command fanoutd post-query; do
    grep -qx "  $name stopped (exit 0)" "$out" || fail "$name was not stopped cleanly"
  done
  for port in "$command_port" "$query_port" "$webhook_port" "$admin_port" "$kafka_port"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then fail "port $port still answers after the quickstart exited"; fi
  done
}

echo "===== first run (new state) ====="
run_once "$run_dir/first.out"
[[ $(grep -c '"idempotencyKey"' "$run_dir/quickstart/notifications.jsonl") == 6 ]] ||
  fail "expected exactly 6 notifications (3 posts created, 3 comments added)"

echo "===== second run (same state, the broker restarted) ====="
run_once "$run_dir/second.out"
grep -q "continuing the state in $run_dir/quickstart: 17 events stored, 17 published" "$run_dir/second.out" ||
  fail "the second run did not continue the first run's state"
[[ $(grep -c '"idempotencyKey"' "$run_dir/quickstart/notifications.jsonl") == 12 ]] ||
  fail "expected exactly 12 notifications after two runs"
echo "quickstart test passed"
