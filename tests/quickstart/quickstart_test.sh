#!/usr/bin/env bash
# Runs tools/quickstart.sh --once against the test broker: post-command,
# fanoutd with config/quickstart.yaml (read model, webhook notifier, SQL
# analytics, Lua), post-query and the webhook receiver, all for real. The
# script checks the Query API, the notifications, the analytics and the Lua
# metrics itself and exits 1 when one is wrong; this test also checks that
# everything it started was stopped.
#
# usage: quickstart_test.sh BUILD_DIR SOURCE_DIR   (needs FANOUT_TEST_BROKERS)
set -euo pipefail
build_dir=$1
source_dir=$2
[[ -n ${FANOUT_TEST_BROKERS:-} ]] || {
  echo "FANOUT_TEST_BROKERS is not set: run tools/test.sh" >&2
  exit 1
}

run_dir=$(mktemp -d /tmp/fanout-quickstart-test.XXXXXX)
trap 'rm -rf "$run_dir"' EXIT

# Four free loopback ports, so the test runs beside a quickstart a developer left running.
read -r command_port query_port webhook_port admin_port < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)
suffix=$(date +%s%N)
out=$run_dir/quickstart.out
rc=0
KAFKA_BROKERS=$FANOUT_TEST_BROKERS QUICKSTART_SKIP_BUILD=1 BUILD_DIR=$build_dir FANOUT_RUN_DIR=$run_dir \
  QUICKSTART_TOPIC=quickstart-test-$suffix QUICKSTART_GROUP_PREFIX=quickstart-test-$suffix \
  COMMAND_PORT=$command_port QUERY_PORT=$query_port WEBHOOK_PORT=$webhook_port QUICKSTART_ADMIN_PORT=$admin_port \
  "$source_dir/tools/quickstart.sh" --once </dev/null >"$out" 2>&1 || rc=$?
cat "$out"
fail() {
  echo "FAILED: $*" >&2
  exit 1
}
((rc == 0)) || fail "tools/quickstart.sh --once exited with $rc"
grep -q -- "--once: every check passed" "$out" || fail "the quickstart did not reach its checks"
for name in webhook-receiver post-command fanoutd post-query; do
  grep -qx "  $name stopped (exit 0)" "$out" || fail "$name was not stopped cleanly"
done
for port in "$command_port" "$query_port" "$webhook_port" "$admin_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then fail "port $port still answers after the quickstart exited"; fi
done
[[ $(grep -c '"idempotencyKey"' "$run_dir/quickstart/notifications.jsonl") == 6 ]] ||
  fail "expected exactly 6 notifications (3 posts created, 3 comments added)"
echo "quickstart test passed"
