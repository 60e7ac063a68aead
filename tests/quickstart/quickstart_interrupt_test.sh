#!/usr/bin/env bash
# Ctrl-C, the way tools/quickstart.sh's banner says to stop it: the quickstart
# runs in a process group of its own (as a terminal's foreground job), and
# SIGINT goes to the whole group, as a terminal sends it. The stop must read as
# a normal one: exit 0, no ERROR, every process it started stopped cleanly and
# gone, every port free.
#
# usage: quickstart_interrupt_test.sh BUILD_DIR SOURCE_DIR   (needs FANOUT_TEST_BROKERS)
set -euo pipefail
build_dir=$1
source_dir=$2
[[ -n ${FANOUT_TEST_BROKERS:-} ]] || {
  echo "FANOUT_TEST_BROKERS is not set: run tools/test.sh" >&2
  exit 1
}

run_dir=$(mktemp -d /tmp/fanout-quickstart-interrupt.XXXXXX)
pid=
children=()
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  # After a failure: nothing the test started may outlive it.
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
  local child
  for child in "${children[@]}"; do kill -KILL "$child" 2>/dev/null || true; done
  rm -rf "$run_dir"
}
trap cleanup EXIT

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
fail() {
  echo "----- quickstart output -----" >&2
  cat "$out" >&2
  echo "FAILED: $*" >&2
  exit 1
}
alive() { [[ -e /proc/$1 ]] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# A new session and process group led by the quickstart, like a shell's
# foreground job, with SIGINT at its default as a terminal's shell leaves it (a
# background job of this non-interactive script would inherit it ignored).
KAFKA_BROKERS=$FANOUT_TEST_BROKERS QUICKSTART_SKIP_BUILD=1 BUILD_DIR=$build_dir FANOUT_RUN_DIR=$run_dir \
  QUICKSTART_TOPIC=quickstart-interrupt-$suffix QUICKSTART_GROUP_PREFIX=quickstart-interrupt-$suffix \
  COMMAND_PORT=$command_port QUERY_PORT=$query_port WEBHOOK_PORT=$webhook_port QUICKSTART_ADMIN_PORT=$admin_port \
  python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGQUIT, signal.SIG_DFL)
os.setsid()
os.execv(sys.argv[1], sys.argv[1:])' "$source_dir/tools/quickstart.sh" </dev/null >"$out" 2>&1 &
pid=$!

deadline=$((SECONDS + 180))
until grep -q "^Everything keeps running" "$out"; do
  mapfile -t children < <(sed -n 's/^  [a-z-]*: pid \([0-9]*\), log .*/\1/p' "$out")
  alive "$pid" || fail "the quickstart exited before serving"
  ((SECONDS < deadline)) || fail "the quickstart did not reach 'Everything keeps running' within 180s"
  sleep 0.2
done
[[ $(ps -o pgid= -p "$pid" | tr -d ' ') == "$pid" ]] || fail "the quickstart does not lead its process group"
# The services that keep running (the authentication step's second
# post-command is started and stopped within its step).
mapfile -t children < <(grep -v '^  post-command-auth:' "$out" | sed -n 's/^  [a-z-]*: pid \([0-9]*\), log .*/\1/p')
((${#children[@]} == 4)) || fail "expected 4 processes still running, found ${#children[@]}"

kill -INT -- "-$pid" # Ctrl-C: the terminal signals the whole foreground process group
deadline=$((SECONDS + 120))
while alive "$pid"; do
  ((SECONDS < deadline)) || fail "the quickstart did not stop within 120s of SIGINT"
  sleep 0.1
done
rc=0
wait "$pid" || rc=$?
pid=
cat "$out"

((rc == 0)) || fail "the quickstart exited with $rc after Ctrl-C (0 expected: the normal way to stop it)"
! grep -q "ERROR" "$out" || fail "the output reports an error after Ctrl-C"
for name in webhook-receiver post-command fanoutd post-query; do
  grep -qx "  $name stopped (exit 0)" "$out" || fail "$name was not stopped cleanly"
done
# The terminal's SIGINT is the quickstart's alone: it stops its processes
# itself, newest first, with SIGTERM (one that got the SIGINT too would stop on
# its own, out of order, racing the quickstart's check for crashed processes).
for name in post-command fanoutd post-query; do
  grep -q "received SIGTERM\|SIGTERM: stopping" "$run_dir/quickstart/$name.log" ||
    fail "$name was not stopped by the quickstart's SIGTERM: $(grep -h "SIG" "$run_dir/quickstart/$name.log")"
done
for child in "${children[@]}"; do
  ! alive "$child" || fail "pid $child, started by the quickstart, is still running"
done
for port in "$command_port" "$query_port" "$webhook_port" "$admin_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then fail "port $port still answers after the quickstart exited"; fi
done
echo "quickstart interrupt test passed"
