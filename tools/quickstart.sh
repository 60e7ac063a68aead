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
# Usage: tools/quickstart.sh [--once] [--fresh]
#   --once   check the results, stop everything and exit 0 (1 if a check fails)
#   --fresh  remove the state of earlier runs first (databases, the broker's
#            data, logs, notifications) and start all state afresh
#
# State: everything a run keeps lives in one directory, FANOUT_RUN_DIR/quickstart
# (FANOUT_RUN_DIR defaults to /tmp/fanout-dev): the event store, the read
# model, the analytics, the notifications, the logs and the data of the
# quickstart's own Kafka broker (kafka-data/). A rerun continues from all of
# it together, so the topic's offsets and the plugins' checkpoints agree;
# --fresh removes all of it together. The script refuses to run when the
# databases and the broker's topic disagree (for example a state kept from
# an older quickstart, or a topic recreated on a KAFKA_BROKERS broker) and
# says so; --fresh is then the way out.
#
# Environment: KAFKA_BROKERS (use this broker instead of the quickstart's own;
# the state then keeps only the databases, and the topic must stay on that
# broker; its topic must exist or be auto-created), QUICKSTART_KAFKA_PORT
# (the own broker's port, 19192; its controller uses the next one),
# QUICKSTART_TOPIC (post-events), QUICKSTART_GROUP_PREFIX (fanout-quickstart),
# COMMAND_PORT (8080), QUERY_PORT (8081), WEBHOOK_PORT (18090),
# QUICKSTART_ADMIN_PORT (9464), BUILD_DIR (build), FANOUT_RUN_DIR
# (/tmp/fanout-dev), QUICKSTART_WAIT_S (how long to wait for each step, 90),
# QUICKSTART_SKIP_BUILD=1 (use the binaries in BUILD_DIR as they are), plus
# FANOUT_CACHE of tools/kafka-dev.sh.
set -euo pipefail

usage() {
  echo "usage: $0 [--once] [--fresh]   (--help for details)" >&2
  exit 2
}

once=0
fresh=0
for arg in "$@"; do
  case $arg in
    --once) once=1 ;;
    --fresh | --reset) fresh=1 ;;
    -h | --help)
      sed -n '2,39s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
    *) usage ;;
  esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
RUN_BASE=${FANOUT_RUN_DIR:-/tmp/fanout-dev}
RUN_DIR=$RUN_BASE/quickstart
TOPIC=${QUICKSTART_TOPIC:-post-events}
GROUP_PREFIX=${QUICKSTART_GROUP_PREFIX:-fanout-quickstart}
KAFKA_PORT_OWN=${QUICKSTART_KAFKA_PORT:-19192}
COMMAND_PORT=${COMMAND_PORT:-8080}
QUERY_PORT=${QUERY_PORT:-8081}
WEBHOOK_PORT=${WEBHOOK_PORT:-18090}
ADMIN_PORT=${QUICKSTART_ADMIN_PORT:-9464}
PYTHON=${FANOUT_TEST_PYTHON:-python3}
COMMAND_URL=http://127.0.0.1:$COMMAND_PORT/api/v1
QUERY_URL=http://127.0.0.1:$QUERY_PORT/api/v1/postLookup
ADMIN_URL=http://127.0.0.1:$ADMIN_PORT
NOTIFICATIONS=$RUN_DIR/notifications.jsonl
WAIT_DEADLINE_S=${QUICKSTART_WAIT_S:-90}
readonly STOP_DEADLINE_S=30
if ! [[ $WAIT_DEADLINE_S =~ ^[1-9][0-9]*$ ]]; then
  echo "quickstart: QUICKSTART_WAIT_S must be a positive number of seconds, got '$WAIT_DEADLINE_S'" >&2
  exit 2
fi

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

# The quickstart's own broker: tools/kafka-dev.sh with its run dir and its
# data inside the state directory.
own_kafka() {
  KAFKA_PORT=$KAFKA_PORT_OWN FANOUT_RUN_DIR=$RUN_DIR KAFKA_DATA_DIR=$RUN_DIR/kafka-data tools/kafka-dev.sh "$@"
}

# --- processes this script started, stopped newest first --------------------

names=()
pids=()
logs=()
started_kafka=0
serving=0
hurry=0

# start NAME LOG COMMAND...: runs COMMAND in the background, output to LOG, in
# a session of its own: the terminal's Ctrl-C reaches this script only, which
# then stops the children in order (a child that got the SIGINT too would stop
# on its own, out of order, and look like a crash).
start() {
  local name=$1 log=$2
  shift 2
  # Emptied here, not only by the child's redirection: that runs in the
  # background, and a wait for a line of this log must never read the
  # previous run's (a port that is gone).
  : >"$log"
  setsid "$@" </dev/null >>"$log" 2>&1 &
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

log_of() {
  local i
  for i in "${!names[@]}"; do [[ ${names[$i]} == "$1" ]] && echo "${logs[$i]}"; done
  return 0
}

show_logs() {
  local i
  for i in "${!names[@]}"; do
    echo "----- last 15 lines of ${logs[$i]} (${names[$i]}) -----" >&2
    tail -n 15 "${logs[$i]}" >&2 2>/dev/null || true
  done
  echo "-----" >&2
  echo "The logs: $RUN_DIR/*.log$( ((started_kafka)) && echo ", the broker's: $RUN_DIR/kafka-$KAFKA_PORT_OWN/server.log")" >&2
}

# SIGTERM, wait for the drain, SIGKILL after STOP_DEADLINE_S (at once after a
# second Ctrl-C); returns nonzero when the process did not exit cleanly.
stop_one() {
  local name=$1 pid=$2 rc=0 deadline
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_DEADLINE_S))
    while alive "$pid" && ((SECONDS < deadline && !hurry)); do sleep 0.1; done
    if alive "$pid"; then
      if ((hurry)); then
        echo "  $name: SIGKILL" >&2
      else
        echo "  $name did not stop within ${STOP_DEADLINE_S}s; SIGKILL" >&2
      fi
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || rc=$?
  if ((rc == 0)); then
    echo "  $name stopped (exit 0)"
  else
    echo "  $name exited with status $rc; the end of its log ($(log_of "$name")):" >&2
    tail -n 20 "$(log_of "$name")" 2>/dev/null | sed 's/^/    /' >&2 || true
  fi
  return "$rc"
}

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local rc=$? i
  # A second Ctrl-C while stopping kills what is left instead of waiting for it.
  trap 'hurry=1; echo "  interrupted again: killing what is left" >&2' INT
  trap '' TERM HUP
  if ((${#pids[@]})); then
    phase "stopping what this script started"
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
      stop_one "${names[$i]}" "${pids[$i]}" || { ((rc != 0)) || rc=1; }
    done
  fi
  if ((started_kafka)); then
    echo "  stopping Kafka (the quickstart's own broker; its data stays in $RUN_DIR/kafka-data)"
    own_kafka stop || true
  fi
  exit "$rc"
}
trap cleanup EXIT
# Ctrl-C while serving is the normal way to end: exit 0 when all stop cleanly.
# shellcheck disable=SC2317
on_signal() { if ((serving)); then exit 0; else exit 130; fi; }
trap on_signal INT TERM HUP

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_http URL WHAT PID: until URL answers 2xx.
wait_http() {
  local url=$1 what=$2 pid=$3 deadline=$((SECONDS + WAIT_DEADLINE_S))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    alive "$pid" || { show_logs; die "$what exited while starting (its log: $(log_of "$what"))"; }
    ((SECONDS < deadline)) || { show_logs; die "$what not ready at $url within ${WAIT_DEADLINE_S}s (its log: $(log_of "$what"))"; }
    sleep 0.2
  done
}

# py_check [ARGS...] <<SCRIPT: a Python check, exit status only; one that
# cannot tell yet (no file, no answer, no table) fails quietly, never with a
# traceback on the terminal.
py_check() { "$PYTHON" - "$@" 2>/dev/null; }

# --- build -----------------------------------------------------------------

if [[ ${QUICKSTART_SKIP_BUILD:-0} != 1 ]]; then
  phase "installing dependencies (tools/install-deps.sh)"
  tools/install-deps.sh
  phase "configuring ($BUILD_DIR)"
  cmake -S . -B "$BUILD_DIR" -G Ninja
  # Only what the quickstart runs (tools/test.sh builds everything).
  phase "building fanoutd, the plugins and the two services"
  cmake --build "$BUILD_DIR" --target fanoutd fanout_sql_read_model fanout_webhook_notifier fanout_analytics \
    fanout_sql_config post-command post-query
fi
for f in bin/fanoutd bin/post-command bin/post-query lib/libfanout_sql_read_model.so \
  lib/libfanout_webhook_notifier.so lib/libfanout_analytics.so lib/libfanout_sql_config.so; do
  [[ -e $BUILD_DIR/$f ]] || die "$BUILD_DIR/$f is missing (build it, or run without QUICKSTART_SKIP_BUILD)"
done

for port in "$COMMAND_PORT" "$QUERY_PORT" "$WEBHOOK_PORT" "$ADMIN_PORT"; do
  port_free "$port" || die "port $port on 127.0.0.1 is in use (another quickstart?); set COMMAND_PORT, QUERY_PORT, WEBHOOK_PORT or QUICKSTART_ADMIN_PORT"
done

# --- state -------------------------------------------------------------------

if [[ -n ${KAFKA_BROKERS:-} ]]; then
  broker_kind="the broker at $KAFKA_BROKERS (KAFKA_BROKERS)"
else
  broker_kind="the quickstart's own broker"
fi
if ((fresh)); then
  phase "--fresh: removing the state of earlier runs ($RUN_DIR)"
  [[ $RUN_DIR == */quickstart ]] || die "refusing to remove unexpected state directory '$RUN_DIR'"
  [[ -n ${KAFKA_BROKERS:-} ]] || own_kafka stop >/dev/null 2>&1 || true
  rm -rf "$RUN_DIR"
fi
mkdir -p "$RUN_DIR"
# Which broker filled this state's databases: switching between the own
# broker and KAFKA_BROKERS (or between two brokers) on one state would pair
# the databases with a topic that does not hold their events.
if [[ -e $RUN_DIR/events.db && -s $RUN_DIR/broker ]]; then
  [[ $(<"$RUN_DIR/broker") == "$broker_kind" ]] ||
    die "the state in $RUN_DIR was made with $(<"$RUN_DIR/broker"), this run uses $broker_kind: run with --fresh to start all state afresh (or set FANOUT_RUN_DIR to keep that state elsewhere)"
fi
echo "$broker_kind" >"$RUN_DIR/broker"

# --- broker ----------------------------------------------------------------

if [[ -n ${KAFKA_BROKERS:-} ]]; then
  BROKERS=$KAFKA_BROKERS
  phase "using the Kafka broker at $BROKERS (KAFKA_BROKERS)"
  kcat -L -b "$BROKERS" -m 10 >/dev/null || die "no Kafka broker answers metadata requests at $BROKERS"
else
  phase "starting the quickstart's Kafka broker (tools/kafka-dev.sh on port $KAFKA_PORT_OWN, data in $RUN_DIR/kafka-data)"
  started_kafka=1
  own_kafka start ||
    die "the quickstart's Kafka broker did not start (see above; QUICKSTART_KAFKA_PORT moves it off port $KAFKA_PORT_OWN)"
  BROKERS=$(own_kafka bootstrap)
fi

# "STORED PUBLISHED": the events in the store and how many of them the relay
# has published to TOPIC.
store_counts() {
  py_check "$RUN_DIR/events.db" "$TOPIC" <<'EOF' || echo "0 0"
import os, sqlite3, sys
if not os.path.exists(sys.argv[1]):
    print("0 0")
    sys.exit(0)
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
try:
    stored = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    row = db.execute("SELECT published_sequence FROM outbox_position WHERE destination = ?", (sys.argv[2],)).fetchone()
    published = db.execute("SELECT COUNT(*) FROM events WHERE global_sequence <= ?", (row[0] if row else 0,)).fetchone()[0]
except sqlite3.OperationalError:  # no tables yet
    stored = published = 0
print(stored, published)
EOF
}
# The records TOPIC ever held (the sum of its partitions' end offsets; 0 when
# it does not exist). Fails when the broker does not answer.
records_on_topic() {
  local meta partitions p args=()
  # The broker's whole metadata goes through stdin: on a broker with many
  # topics it is larger than one command-line argument may be.
  meta=$(kcat -L -b "$BROKERS" -J -m 10 2>/dev/null) || return 1
  partitions=$("$PYTHON" -c '
import json, sys
for t in json.load(sys.stdin).get("topics", []):
    if t["topic"] == sys.argv[1]:
        print(len(t["partitions"]))' "$TOPIC" <<<"$meta" 2>/dev/null) || return 1
  [[ -n $partitions ]] || { echo 0; return 0; }
  for ((p = 0; p < partitions; p++)); do args+=(-t "$TOPIC:$p:-1"); done
  kcat -Q -b "$BROKERS" -m 10 "${args[@]}" 2>/dev/null | awk '/ offset /{n += $NF; k++} END {if (k) print n; else exit 1}'
}

# The databases and the topic must belong together: a topic recreated (or a
# broker's data lost) under kept databases starts its offsets again below the
# plugins' checkpoints; new databases on an old topic would project its old events.
read -r stored published <<<"$(store_counts)"
records=$(records_on_topic) || die "could not read the end offsets of topic $TOPIC on $BROKERS"
if ((published > records)); then
  die "the state in $RUN_DIR does not match $broker_kind: the event store published $published events to topic $TOPIC, which holds only $records records (the topic was recreated, or the broker's data is gone, as with a state kept by an older quickstart); the plugins' checkpoints would lie past its end. Run tools/quickstart.sh --fresh to start all state afresh."
fi
if ((stored == 0 && records > 0)); then
  if [[ -n ${KAFKA_BROKERS:-} ]]; then
    die "the state in $RUN_DIR is new but topic $TOPIC on $BROKERS already holds $records records from other runs: set QUICKSTART_TOPIC and QUICKSTART_GROUP_PREFIX to new names (or delete that topic and those groups)"
  fi
  die "the state in $RUN_DIR has no events but topic $TOPIC on the quickstart's broker holds $records records: run with --fresh to start all state afresh"
fi
if ((stored == 0)); then
  echo "  new state in $RUN_DIR"
else
  echo "  continuing the state in $RUN_DIR: $stored events stored, $published published; topic $TOPIC holds $records records"
fi

# --- servers -----------------------------------------------------------------

phase "starting the webhook receiver, post-command (state in $RUN_DIR)"
start webhook-receiver "$RUN_DIR/webhook-receiver.log" \
  "$PYTHON" tools/webhook-receiver.py --port "$WEBHOOK_PORT" --out "$NOTIFICATIONS"
start post-command "$RUN_DIR/post-command.log" \
  "$BUILD_DIR/bin/post-command" --config config/post-command.yaml --listen "127.0.0.1:$COMMAND_PORT" \
  --event-store "sqlite:$RUN_DIR/events.db" --brokers "$BROKERS" --topic "$TOPIC" --auth off
deadline=$((SECONDS + WAIT_DEADLINE_S))
until grep -q "^listening on" "$RUN_DIR/webhook-receiver.log" 2>/dev/null; do
  alive "$(pid_of webhook-receiver)" || { show_logs; die "the webhook receiver exited while starting (its log: $RUN_DIR/webhook-receiver.log)"; }
  ((SECONDS < deadline)) || { show_logs; die "the webhook receiver did not start within ${WAIT_DEADLINE_S}s (its log: $RUN_DIR/webhook-receiver.log)"; }
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
relay_done() {
  local s
  s=$(curl -fsS "$COMMAND_URL/status" 2>/dev/null) || return 1
  py_check "$s" <<'EOF'
import json, sys
s = json.loads(sys.argv[1])
sys.exit(0 if s["lag"] == 0 and s["lastPublishedSequence"] > 0 else 1)
EOF
}
deadline=$((SECONDS + WAIT_DEADLINE_S))
until relay_done; do
  alive "$(pid_of post-command)" || { show_logs; die "post-command exited (its log: $RUN_DIR/post-command.log)"; }
  if ((SECONDS >= deadline)); then
    show_logs
    die "waited ${WAIT_DEADLINE_S}s for the outbox relay to publish the commands above to topic $TOPIC on $BROKERS; it has not (status: $(curl -sS "$COMMAND_URL/status" 2>&1)). Look in $RUN_DIR/post-command.log."
  fi
  sleep 0.2
done
echo "  the outbox relay published them to $TOPIC ($(curl -fsS "$COMMAND_URL/status"))"

phase "starting fanoutd (config/quickstart.yaml) and post-query"
export KAFKA_BROKERS=$BROKERS QUICKSTART_TOPIC=$TOPIC QUICKSTART_GROUP_PREFIX=$GROUP_PREFIX \
  QUICKSTART_ADMIN_PORT=$ADMIN_PORT QUICKSTART_DIR=$RUN_DIR FANOUT_LIB_DIR=$BUILD_DIR/lib \
  FANOUT_PROJECTIONS_DIR=$PWD/config/projections WEBHOOK_URL=http://127.0.0.1:$WEBHOOK_PORT/notifications
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
  py_check "$a" "$b" <<'EOF'
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
  py_check "$RUN_DIR/analytics.db" "$post_a" "$post_b" "$post_c" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
rows = db.execute("SELECT post_id, likes, removed FROM analytics_posts WHERE post_id IN (?, ?, ?)", sys.argv[2:5])
got = {post: (likes, removed) for post, likes, removed in rows}
sys.exit(0 if got == {sys.argv[2]: (3, 0), sys.argv[3]: (3, 0), sys.argv[4]: (1, 1)} else 1)
EOF
}
# The projection from configuration has this run's posts, and at least
# their likes for their authors (the counts add up over runs).
likes_done() {
  py_check "$RUN_DIR/likes.db" "$post_a" "$post_b" "$post_c" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
posts = dict(db.execute("SELECT post_id, author FROM lpa_posts WHERE post_id IN (?, ?, ?)", sys.argv[2:5]).fetchall())
if len(posts) != 3:
    sys.exit(1)
likes = dict(db.execute("SELECT author, likes FROM lpa_authors").fetchall())
expected = {}
for post, n in ((sys.argv[2], 3), (sys.argv[3], 3), (sys.argv[4], 1)):
    expected[posts[post]] = expected.get(posts[post], 0) + n
sys.exit(0 if all(likes.get(a, 0) >= n for a, n in expected.items()) else 1)
EOF
}
# The Lua script has seen this run's last command (post C removed).
lua_done() {
  curl -fsS "$ADMIN_URL/metrics" 2>/dev/null |
    grep -q '^fanout_plugin_counter_total{plugin="lua_analytics",name="events_PostRemovedEvent"}'
}

# What has not caught up yet, in words.
missing() {
  local out=()
  read_model_done || out+=("the read model through the Query API (posts $post_a, $post_b, $post_c)")
  (($(notified) >= 6)) || out+=("$(notified) of 6 notifications in $NOTIFICATIONS")
  analytics_done || out+=("the analytics rows in $RUN_DIR/analytics.db")
  likes_done || out+=("the likes per author in $RUN_DIR/likes.db")
  lua_done || out+=("the Lua script's counters at $ADMIN_URL/metrics")
  local joined
  joined=$(printf '%s; ' "${out[@]}")
  echo "${joined%; }"
}
# One line per plugin: name, state, lag, last error; never a traceback.
plugins_summary() {
  local json
  json=$(curl -fsS "$ADMIN_URL/plugins" 2>/dev/null) || { echo "  (fanoutd's admin server does not answer)"; return 0; }
  "$PYTHON" - "$json" <<'EOF' 2>/dev/null || echo "  $json"
import json, sys
for p in json.loads(sys.argv[1])["plugins"]:
    line = "  %-17s %-9s group %-40s lag %s" % (p.get("name"), p.get("state"), p.get("group"), p.get("lag"))
    if p.get("lastError"):
        line += "  lastError: %s" % p["lastError"]
    print(line)
EOF
}

# --- authentication ----------------------------------------------------------

# The post-command above is open (--auth off: the body names the user, as in
# the seed). config/post-command.yaml as shipped has bearer-token
# authentication on: a second instance runs it for this one step, with a
# secret made for this run, its own event store and its own topic.
phase "authentication: config/post-command.yaml as shipped (auth on): a command with a token, a forged one, none"
secret_file=$RUN_DIR/jwt-hs256.secret
[[ -s $secret_file ]] || (umask 077 && openssl rand -hex 32 >"$secret_file")
auth_setting() { sed -n "s/^  $1: *\([^ #]*\).*/\1/p" config/post-command.yaml; }
# mint_token USER: an HS256 JWT for USER, signed with the secret file's
# content (read by Python, never on a command line).
mint_token() {
  "$PYTHON" - "$secret_file" "$1" "$(auth_setting issuer)" "$(auth_setting audience)" <<'EOF'
import base64, hashlib, hmac, json, sys, time
secret_file, user, iss, aud = sys.argv[1:]
key = open(secret_file).read().strip().encode()
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"iss": iss, "aud": aud, "sub": user, "exp": int(time.time()) + 300}).encode())
print(head + "." + body + "." + b64(hmac.new(key, (head + "." + body).encode(), hashlib.sha256).digest()))
EOF
}
auth_log=$RUN_DIR/post-command-auth.log
start post-command-auth "$auth_log" \
  "$BUILD_DIR/bin/post-command" --config config/post-command.yaml --listen 127.0.0.1:0 \
  --event-store "sqlite:$RUN_DIR/auth-demo-events.db" --brokers "$BROKERS" --topic "$TOPIC-auth-demo" \
  --auth-hs256-secret-file "$secret_file"
deadline=$((SECONDS + WAIT_DEADLINE_S))
until auth_port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$auth_log" 2>/dev/null | grep -o '[0-9]*$'); do
  alive "$(pid_of post-command-auth)" || { show_logs; die "post-command (auth on) exited while starting (its log: $auth_log)"; }
  ((SECONDS < deadline)) || { show_logs; die "post-command (auth on) did not start within ${WAIT_DEADLINE_S}s (its log: $auth_log)"; }
  sleep 0.1
done
# send_auth USER METHOD PATH BODY: like send, with a bearer token of USER ("": none).
send_auth() {
  local user=$1 method=$2 path=$3 body=$4 out token=
  [[ -z $user ]] || token=$(mint_token "$user")
  out=$(curl -sS -X "$method" -H 'Content-Type: application/json' ${token:+-H "Authorization: Bearer $token"} \
    --data "$body" -w '\n%{http_code}' "http://127.0.0.1:$auth_port/api/v1/$path") ||
    die "post-command (auth on) did not answer $method $path"
  status=${out##*$'\n'}
  reply=${out%$'\n'*}
  printf '  %-6s %-50s %-20s %s %s\n' "$method" "/api/v1/$path" "${user:-no token}" "$status" "$reply"
}
send_auth maria.lopez POST newPost '{"message":"Posted with a token: its sub is the author"}'
expect 201
auth_post=$(json_field id)
send_auth tom_k PUT "editMessage/$auth_post" '{"message":"hijacked","username":"maria.lopez"}'
expect 403
send_auth "" PUT "editMessage/$auth_post" '{"message":"hijacked","username":"maria.lopez"}'
expect 401
echo "  its challenge: $(curl -sS -o /dev/null -D - -X PUT "http://127.0.0.1:$auth_port/api/v1/likePost/$auth_post" |
  grep -i '^www-authenticate' | tr -d '\r')"
# Stopped now, and no longer one of the processes this script keeps running.
stop_one post-command-auth "$(pid_of post-command-auth)" || die "post-command (auth on) did not stop cleanly (its log: $auth_log)"
unset 'names[-1]' 'pids[-1]' 'logs[-1]'

phase "waiting for the read model, the notifications and the plugins to catch up"
deadline=$((SECONDS + WAIT_DEADLINE_S))
until read_model_done && (($(notified) >= 6)) && analytics_done && likes_done && lua_done; do
  for name in fanoutd post-query post-command webhook-receiver; do
    alive "$(pid_of "$name")" || { show_logs; die "$name exited (its log: $(log_of "$name"))"; }
  done
  if ((SECONDS >= deadline)); then
    show_logs
    echo "fanoutd's plugins ($ADMIN_URL/plugins):" >&2
    plugins_summary >&2
    die "waited ${WAIT_DEADLINE_S}s for this run's commands to show; still missing: $(missing). Look in $RUN_DIR/fanoutd.log (a plugin's errors) and $RUN_DIR/post-query.log."
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

# show_queries DB TITLE SQL [TITLE SQL ...]: each query's rows as a small table.
show_queries() {
  "$PYTHON" - "$@" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for title, sql in zip(sys.argv[2::2], sys.argv[3::2]):
    cur = db.execute(sql)
    print(f"  {title}: {sql}")
    print("    " + " | ".join(d[0] for d in cur.description))
    for row in cur.fetchall():
        print("    " + " | ".join(str(v) for v in row))
EOF
}

phase "analytics ($RUN_DIR/analytics.db)"
show_queries "$RUN_DIR/analytics.db" \
  "top posts by likes" "SELECT post_id, author, likes FROM analytics_posts WHERE removed = 0 ORDER BY likes DESC LIMIT 5" \
  "per author" "SELECT * FROM analytics_authors ORDER BY 1 LIMIT 10" \
  "per day (UTC)" "SELECT * FROM analytics_days ORDER BY 1 DESC LIMIT 5"

phase "a projection written in configuration only (config/projections/likes_per_author.yaml, $RUN_DIR/likes.db)"
show_queries "$RUN_DIR/likes.db" \
  "likes per author" "SELECT author, likes FROM lpa_authors ORDER BY likes DESC, author LIMIT 5"

phase "Lua analytics (scripts/analytics.lua), from $ADMIN_URL/metrics"
curl -fsS "$ADMIN_URL/metrics" | grep -E '^fanout_plugin_(counter_total|gauge)\{plugin="lua_analytics"' | head -n 20

phase "plugins side by side ($ADMIN_URL/plugins)"
plugins_summary

if ((once)); then
  # Reaching this point means every check above passed: the Query API state,
  # the six notifications, the analytics rows, the likes per author and the
  # Lua counters.
  phase "--once: every check passed; stopping"
  exit 0
fi

cat <<EOF

Everything keeps running. Try:
  curl -s -X PUT $COMMAND_URL/likePost/$post_b
  curl -s $QUERY_URL/byId/$post_b
  curl -s $ADMIN_URL/plugins
Logs are in $RUN_DIR. Ctrl-C stops everything this script started$( ((started_kafka)) && echo ", and the broker").
The state (databases$( ((started_kafka)) && echo " and the broker's data")) stays in $RUN_DIR for the next run; --fresh starts afresh.
EOF
serving=1
while :; do
  for i in "${!names[@]}"; do
    alive "${pids[$i]}" || { show_logs; die "${names[$i]} exited unexpectedly"; }
  done
  sleep 1
done
