#!/usr/bin/env bash
# The Fanout quickstart: the whole system on this machine. Installs what is
# missing, builds, starts a local Kafka broker, a small webhook receiver,
# post-command (Command API, event store, outbox relay), fanoutd with
# config/quickstart.yaml (read model, webhook notifications, SQL analytics and
# a Lua script side by side) and post-query (Query API). Sends a scripted set
# of commands, then shows the read model through the Query API, the
# notifications received and the analytics. Keeps everything running until
# Ctrl-C, which stops all it started, newest first.
#
# Usage: tools/quickstart.sh [--once]
#   --once   check the results, stop everything and exit 0 (1 if a check fails)
#
# Environment: KAFKA_BROKERS (use this broker instead of tools/kafka-dev.sh;
# its topic must exist or be auto-created), QUICKSTART_TOPIC (post-events),
# QUICKSTART_GROUP_PREFIX (fanout-quickstart), COMMAND_PORT (8080),
# QUERY_PORT (8081), WEBHOOK_PORT (18090), QUICKSTART_ADMIN_PORT (9464),
# BUILD_DIR (build), FANOUT_RUN_DIR (/tmp/fanout-dev; state in
# FANOUT_RUN_DIR/quickstart, kept across runs), QUICKSTART_SKIP_BUILD=1 (use
# the binaries in BUILD_DIR as they are), plus those of tools/kafka-dev.sh.
set -euo pipefail

usage() {
  echo "usage: $0 [--once]   (--help for details)" >&2
  exit 2
}

once=0
case $# in
  0) ;;
  1)
    case $1 in
      --once) once=1 ;;
      -h | --help)
        sed -n '2,20s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
      *) usage ;;
    esac
    ;;
  *) usage ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
RUN_DIR=${FANOUT_RUN_DIR:-/tmp/fanout-dev}/quickstart
TOPIC=${QUICKSTART_TOPIC:-post-events}
GROUP_PREFIX=${QUICKSTART_GROUP_PREFIX:-fanout-quickstart}
COMMAND_PORT=${COMMAND_PORT:-8080}
QUERY_PORT=${QUERY_PORT:-8081}
WEBHOOK_PORT=${WEBHOOK_PORT:-18090}
ADMIN_PORT=${QUICKSTART_ADMIN_PORT:-9464}
PYTHON=${FANOUT_TEST_PYTHON:-python3}
COMMAND_URL=http://127.0.0.1:$COMMAND_PORT/api/v1
QUERY_URL=http://127.0.0.1:$QUERY_PORT/api/v1/postLookup
ADMIN_URL=http://127.0.0.1:$ADMIN_PORT
NOTIFICATIONS=$RUN_DIR/notifications.jsonl
readonly WAIT_DEADLINE_S=90 STOP_DEADLINE_S=30

phase() { echo; echo "==> $*"; }
die() {
  echo "quickstart: ERROR: $*" >&2
  exit 1
}

# True while pid $1 exists and is not a zombie.
alive() {
  local stat
  [[ -n $1 ]] || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# --- processes this script started, stopped newest first --------------------

names=()
pids=()
logs=()
started_kafka=0
serving=0

# start NAME LOG COMMAND...: runs COMMAND in the background, output to LOG.
start() {
  local name=$1 log=$2
  shift 2
  "$@" >"$log" 2>&1 &
  names+=("$name")
  pids+=("$!")
  logs+=("$log")
  echo "  $name: pid $!, log $log"
}

pid_of() {
  local i
  for i in "${!names[@]}"; do [[ ${names[$i]} == "$1" ]] && echo "${pids[$i]}"; done
  return 0
}

show_logs() {
  local i
  for i in "${!names[@]}"; do
    echo "----- last 15 lines of ${logs[$i]} (${names[$i]}) -----" >&2
    tail -n 15 "${logs[$i]}" >&2 2>/dev/null || true
  done
  echo "-----" >&2
}

# SIGTERM, wait for the drain, SIGKILL after STOP_DEADLINE_S; returns nonzero
# when the process did not exit cleanly.
stop_one() {
  local name=$1 pid=$2 rc=0 deadline
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_DEADLINE_S))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if alive "$pid"; then
      echo "  $name did not stop within ${STOP_DEADLINE_S}s; SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || rc=$?
  if ((rc == 0)); then echo "  $name stopped (exit 0)"; else echo "  $name exited with status $rc" >&2; fi
  return "$rc"
}

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local rc=$? i
  trap - INT TERM
  if ((${#pids[@]})); then
    phase "stopping what this script started"
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
      stop_one "${names[$i]}" "${pids[$i]}" || { ((rc != 0)) || rc=1; }
    done
  fi
  if ((started_kafka)); then
    echo "  stopping Kafka (this script started it)"
    tools/kafka-dev.sh stop || true
  fi
  exit "$rc"
}
trap cleanup EXIT
# Ctrl-C while serving is the normal way to end: exit 0 when all stop cleanly.
# shellcheck disable=SC2317
on_signal() { if ((serving)); then exit 0; else exit 130; fi; }
trap on_signal INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_http URL WHAT PID: until URL answers 2xx.
wait_http() {
  local url=$1 what=$2 pid=$3 deadline=$((SECONDS + WAIT_DEADLINE_S))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    alive "$pid" || { show_logs; die "$what exited while starting"; }
    ((SECONDS < deadline)) || { show_logs; die "$what not ready at $url within ${WAIT_DEADLINE_S}s"; }
    sleep 0.2
  done
}

# --- build -----------------------------------------------------------------

if [[ ${QUICKSTART_SKIP_BUILD:-0} != 1 ]]; then
  phase "installing dependencies (tools/install-deps.sh)"
  tools/install-deps.sh
  phase "configuring ($BUILD_DIR)"
  cmake -S . -B "$BUILD_DIR" -G Ninja
  # Only what the quickstart runs (tools/test.sh builds everything).
  phase "building fanoutd, the plugins and the two services"
  cmake --build "$BUILD_DIR" --target fanoutd fanout_sql_read_model fanout_webhook_notifier fanout_analytics \
    post-command post-query
fi
for f in bin/fanoutd bin/post-command bin/post-query lib/libfanout_sql_read_model.so \
  lib/libfanout_webhook_notifier.so lib/libfanout_analytics.so; do
  [[ -e $BUILD_DIR/$f ]] || die "$BUILD_DIR/$f is missing (build it, or run without QUICKSTART_SKIP_BUILD)"
done

for port in "$COMMAND_PORT" "$QUERY_PORT" "$WEBHOOK_PORT" "$ADMIN_PORT"; do
  port_free "$port" || die "port $port on 127.0.0.1 is in use (another quickstart?); set COMMAND_PORT, QUERY_PORT, WEBHOOK_PORT or QUICKSTART_ADMIN_PORT"
done

# --- broker ----------------------------------------------------------------

if [[ -n ${KAFKA_BROKERS:-} ]]; then
  BROKERS=$KAFKA_BROKERS
  phase "using the Kafka broker at $BROKERS (KAFKA_BROKERS)"
  kcat -L -b "$BROKERS" -m 10 >/dev/null || die "no Kafka broker answers metadata requests at $BROKERS"
else
  phase "starting Kafka (tools/kafka-dev.sh)"
  if tools/kafka-dev.sh status >/dev/null; then
    echo "Kafka already running: $(tools/kafka-dev.sh status); leaving it running"
  else
    started_kafka=1
  fi
  tools/kafka-dev.sh start
  BROKERS=$(tools/kafka-dev.sh bootstrap)
fi

# --- servers -----------------------------------------------------------------

mkdir -p "$RUN_DIR"
phase "starting the webhook receiver, post-command (state in $RUN_DIR)"
start webhook-receiver "$RUN_DIR/webhook-receiver.log" \
  "$PYTHON" tools/webhook-receiver.py --port "$WEBHOOK_PORT" --out "$NOTIFICATIONS"
start post-command "$RUN_DIR/post-command.log" \
  "$BUILD_DIR/bin/post-command" --config config/post-command.yaml --listen "127.0.0.1:$COMMAND_PORT" \
  --event-store "sqlite:$RUN_DIR/events.db" --brokers "$BROKERS" --topic "$TOPIC"
deadline=$((SECONDS + WAIT_DEADLINE_S))
until grep -q "^listening on" "$RUN_DIR/webhook-receiver.log" 2>/dev/null; do
  alive "$(pid_of webhook-receiver)" || { show_logs; die "the webhook receiver exited while starting"; }
  ((SECONDS < deadline)) || die "the webhook receiver did not start"
  sleep 0.1
done
wait_http "$COMMAND_URL/status" post-command "$(pid_of post-command)"

# --- commands ----------------------------------------------------------------

# send METHOD PATH [BODY]: prints the status and the response body; the
# response body is left in $reply and the status in $status.
reply=
status=
send() {
  local method=$1 path=$2 body=${3:-}
  local out
  out=$(curl -sS -X "$method" -H 'Content-Type: application/json' ${body:+--data "$body"} \
    -w '\n%{http_code}' "$COMMAND_URL/$path") || die "post-command did not answer $method $path"
  status=${out##*$'\n'}
  reply=${out%$'\n'*}
  printf '  %-6s %-58s %s %s\n' "$method" "/api/v1/$path" "$status" "$reply"
}
expect() { [[ $status == "$1" ]] || die "expected HTTP $1, got $status: $reply"; }
json_field() { "$PYTHON" -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1" <<<"$reply"; }

phase "commands before fanoutd runs (it catches up when it starts)"
send POST newPost '{"author":"maria.lopez","message":"Sunrise over the harbour this morning"}'
expect 201
post_a=$(json_field id)
send POST newPost '{"author":"dev.raj","message":"Shipped our first release today. Thanks, team!"}'
expect 201
post_b=$(json_field id)
send PUT "likePost/$post_a"
expect 200
send PUT "likePost/$post_a"
expect 200

# The relay's first publish creates the topic (broker auto-create) before
# fanoutd subscribes to it.
deadline=$((SECONDS + WAIT_DEADLINE_S))
until curl -fsS "$COMMAND_URL/status" | "$PYTHON" -c \
  'import json,sys; s=json.load(sys.stdin); sys.exit(0 if s["lag"]==0 and s["lastPublishedSequence"]>0 else 1)'; do
  ((SECONDS < deadline)) || { show_logs; die "the outbox relay did not publish to $TOPIC on $BROKERS"; }
  sleep 0.2
done
echo "  the outbox relay published them to $TOPIC ($(curl -fsS "$COMMAND_URL/status"))"

phase "starting fanoutd (config/quickstart.yaml) and post-query"
export KAFKA_BROKERS=$BROKERS QUICKSTART_TOPIC=$TOPIC QUICKSTART_GROUP_PREFIX=$GROUP_PREFIX \
  QUICKSTART_ADMIN_PORT=$ADMIN_PORT QUICKSTART_DIR=$RUN_DIR FANOUT_LIB_DIR=$BUILD_DIR/lib \
  WEBHOOK_URL=http://127.0.0.1:$WEBHOOK_PORT/notifications
"$BUILD_DIR/bin/fanoutd" --check-config --config config/quickstart.yaml
start fanoutd "$RUN_DIR/fanoutd.log" "$BUILD_DIR/bin/fanoutd" --config config/quickstart.yaml --log-format plain
wait_http "$ADMIN_URL/readyz" fanoutd "$(pid_of fanoutd)"
echo "  fanoutd ready: every plugin joined its consumer group ($ADMIN_URL/plugins)"
start post-query "$RUN_DIR/post-query.log" \
  "$BUILD_DIR/bin/post-query" --listen "127.0.0.1:$QUERY_PORT" --database "sqlite:$RUN_DIR/read-model.db" --threads 4
wait_http "$QUERY_URL/byId/$post_a" post-query "$(pid_of post-query)"

phase "commands while everything runs"
send POST newPost '{"author":"ana.s","message":"Trail run: 21 km, new personal best"}'
expect 201
post_c=$(json_field id)
send PUT "addComment/$post_a" '{"comment":"Stunning colours!","username":"tom_k"}'
expect 200
comment_a1=$(json_field commentId)
send PUT "addComment/$post_a" '{"comment":"Where was this taken?","username":"dev.raj"}'
expect 200
comment_a2=$(json_field commentId)
send PUT "addComment/$post_b" '{"comment":"Congratulations!","username":"ana.s"}'
expect 200
for post in "$post_b" "$post_b" "$post_b" "$post_c" "$post_a"; do
  send PUT "likePost/$post"
  expect 200
done
send PUT "editMessage/$post_a" '{"message":"Sunrise over the harbour this morning (shot on film)","username":"maria.lopez"}'
expect 200
echo "  refused, as the aggregate's rules say:"
send PUT "editMessage/$post_a" '{"message":"hijacked","username":"tom_k"}'
expect 400
send PUT "editComment/$post_a" "{\"commentId\":\"$comment_a1\",\"comment\":\"Stunning colours! Which film?\",\"username\":\"TOM_K\"}"
expect 200
send DELETE "removeComment/$post_a" "{\"commentId\":\"$comment_a2\",\"username\":\"dev.raj\"}"
expect 200
send DELETE "deletePost/$post_c" '{"username":"ana.s"}'
expect 200
echo "  refused, as the aggregate's rules say:"
send DELETE "deletePost/$post_c" '{"username":"ana.s"}'
expect 400
send PUT "likePost/$(cat /proc/sys/kernel/random/uuid)"
expect 404

# --- results -----------------------------------------------------------------

# The state this script's commands lead to, checked through the Query API.
read_model_done() {
  local a b c
  a=$(curl -sS "$QUERY_URL/byId/$post_a") || return 1
  b=$(curl -sS "$QUERY_URL/byId/$post_b") || return 1
  c=$(curl -sS -o /dev/null -w '%{http_code}' "$QUERY_URL/byId/$post_c") || return 1
  [[ $c == 204 ]] || return 1
  "$PYTHON" - "$a" "$b" <<'EOF'
import json, sys
a = json.loads(sys.argv[1])["posts"][0]
b = json.loads(sys.argv[2])["posts"][0]
ok = (a["likes"] == 3 and a["message"].endswith("(shot on film)") and len(a["comments"]) == 1
      and a["comments"][0]["edited"] and b["likes"] == 3 and len(b["comments"]) == 1)
sys.exit(0 if ok else 1)
EOF
}
# Notifications for this run's posts: 3 posts created, 3 comments added.
notified() { grep -cF -e "$post_a" -e "$post_b" -e "$post_c" "$NOTIFICATIONS" 2>/dev/null || true; }
# The analytics hold this run's likes, and post C as removed.
analytics_done() {
  "$PYTHON" - "$RUN_DIR/analytics.db" "$post_a" "$post_b" "$post_c" <<'EOF' 2>/dev/null
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT post_id, likes, removed FROM analytics_posts WHERE post_id IN (?, ?, ?)", sys.argv[2:5])
got = {post: (likes, removed) for post, likes, removed in rows}
sys.exit(0 if got == {sys.argv[2]: (3, 0), sys.argv[3]: (3, 0), sys.argv[4]: (1, 1)} else 1)
EOF
}
# The Lua script has seen this run's last command (post C removed).
lua_done() {
  curl -fsS "$ADMIN_URL/metrics" 2>/dev/null |
    grep -q '^fanout_plugin_counter_total{plugin="lua_analytics",name="events_PostRemovedEvent"}'
}

phase "waiting for the read model, the notifications and the plugins to catch up"
deadline=$((SECONDS + WAIT_DEADLINE_S))
until read_model_done && (($(notified) >= 6)) && analytics_done && lua_done; do
  alive "$(pid_of fanoutd)" || { show_logs; die "fanoutd exited"; }
  if ((SECONDS >= deadline)); then
    show_logs
    die "not caught up within ${WAIT_DEADLINE_S}s: read model $(read_model_done && echo ok || echo behind), $(notified) of 6 notifications, analytics $(analytics_done && echo ok || echo behind), Lua $(lua_done && echo ok || echo behind)"
  fi
  sleep 0.3
done
echo "  caught up"

phase "the read model, through the Query API (GET $QUERY_URL/byId/...)"
for post in "$post_a" "$post_b"; do
  curl -sS "$QUERY_URL/byId/$post" | "$PYTHON" -m json.tool
done
echo "  GET /byId/$post_c (deleted): HTTP $(curl -sS -o /dev/null -w '%{http_code}' "$QUERY_URL/byId/$post_c")"

phase "notifications received by the webhook receiver ($NOTIFICATIONS)"
grep -F -e "$post_a" -e "$post_b" -e "$post_c" "$NOTIFICATIONS"

phase "analytics ($RUN_DIR/analytics.db)"
"$PYTHON" - "$RUN_DIR/analytics.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
queries = {
    "top posts by likes": "SELECT post_id, author, likes FROM analytics_posts WHERE removed = 0 ORDER BY likes DESC LIMIT 5",
    "per author": "SELECT * FROM analytics_authors ORDER BY 1 LIMIT 10",
    "per day (UTC)": "SELECT * FROM analytics_days ORDER BY 1 DESC LIMIT 5",
}
for title, sql in queries.items():
    cur = db.execute(sql)
    print(f"  {title}: {sql}")
    print("    " + " | ".join(d[0] for d in cur.description))
    for row in cur.fetchall():
        print("    " + " | ".join(str(v) for v in row))
EOF

phase "Lua analytics (scripts/analytics.lua), from $ADMIN_URL/metrics"
curl -fsS "$ADMIN_URL/metrics" | grep -E '^fanout_plugin_(counter_total|gauge)\{plugin="lua_analytics"' | head -n 20

phase "plugins side by side ($ADMIN_URL/plugins)"
curl -fsS "$ADMIN_URL/plugins" | "$PYTHON" -c '
import json, sys
for p in json.load(sys.stdin)["plugins"]:
    print("  %-14s %-9s group %-40s lag %d" % (p["name"], p["state"], p["group"], p["lag"]))'

if ((once)); then
  # Reaching this point means every check above passed: the Query API state,
  # the six notifications, the analytics rows and the Lua counters.
  phase "--once: every check passed; stopping"
  exit 0
fi

cat <<EOF

Everything keeps running. Try:
  curl -s -X PUT $COMMAND_URL/likePost/$post_b
  curl -s $QUERY_URL/byId/$post_b
  curl -s $ADMIN_URL/plugins
Logs are in $RUN_DIR. Ctrl-C stops everything this script started$( ((started_kafka)) && echo ", and the broker").
EOF
serving=1
while :; do
  for i in "${!names[@]}"; do
    alive "${pids[$i]}" || { show_logs; die "${names[$i]} exited unexpectedly"; }
  done
  sleep 1
done
