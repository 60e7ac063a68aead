#!/usr/bin/env bash
# The Fanout quickstart: builds fanoutd and the example plugin, starts a local Kafka
# broker, runs fanoutd with the example plugin (config/quickstart.yaml), publishes
# realistic events of all seven types for two posts and shows what the plugin wrote
# to its audit log. Then keeps fanoutd running, printing new audit lines, until Ctrl-C.
#
# Usage: tools/quickstart.sh [--once]
#   --once   stop everything after showing the results and exit 0 (for CI)
#
# Environment: KAFKA_BROKERS (use this broker instead of tools/kafka-dev.sh),
# BUILD_DIR (default build), FANOUT_RUN_DIR (default /tmp/fanout-dev; files go
# to FANOUT_RUN_DIR/quickstart), AUDIT_LOG (default FANOUT_RUN_DIR/quickstart/audit.jsonl),
# plus those of tools/kafka-dev.sh (KAFKA_PORT, FANOUT_CACHE).
# A broker this script started is stopped on exit; one already running is left alone.
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
        sed -n '2,14s/^# \{0,1\}//p' "$0"
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
AUDIT_LOG=${AUDIT_LOG:-$RUN_DIR/audit.jsonl}
CONFIG=$RUN_DIR/fanoutd.yaml
FANOUTD=$BUILD_DIR/bin/fanoutd
FANOUTD_LOG=$RUN_DIR/fanoutd.log
PID_FILE=$RUN_DIR/fanoutd.pid
IDS_FILE=$RUN_DIR/event-ids
TOPIC="post-events"
GROUP=fanout-quickstart.audit
readonly WAIT_DEADLINE_S=60 STOP_DEADLINE_S=30

phase() { echo "==> $*"; }
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

show_fanoutd_log() {
  echo "----- last 30 lines of $FANOUTD_LOG -----" >&2
  tail -n 30 "$FANOUTD_LOG" >&2 2>/dev/null || echo "(no log)" >&2
  echo "-----" >&2
}

started_kafka=0
fanoutd_pid=
tail_pid=
serving=0

# SIGTERM to fanoutd, wait for its drain; returns its exit status.
# shellcheck disable=SC2317 # invoked from cleanup (the EXIT trap)
stop_fanoutd() {
  [[ -n $fanoutd_pid ]] || return 0
  local pid=$fanoutd_pid rc=0
  fanoutd_pid=
  if alive "$pid"; then
    phase "stopping fanoutd (SIGTERM to pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_DEADLINE_S))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if alive "$pid"; then
      echo "fanoutd did not stop within ${STOP_DEADLINE_S}s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || rc=$?
  rm -f "$PID_FILE"
  if ((rc == 0)); then
    echo "fanoutd stopped cleanly (exit 0)"
  else
    echo "fanoutd exited with status $rc (see $FANOUTD_LOG)" >&2
  fi
  return "$rc"
}

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local rc=$?
  trap - INT TERM
  if [[ -n $tail_pid ]]; then
    kill "$tail_pid" 2>/dev/null || true
    wait "$tail_pid" 2>/dev/null || true
  fi
  stop_fanoutd || { ((rc != 0)) || rc=1; }
  if ((started_kafka)); then
    phase "stopping Kafka (this script started it)"
    tools/kafka-dev.sh stop || true
  fi
  exit "$rc"
}
trap cleanup EXIT
# Ctrl-C while fanoutd serves is the normal way to end: exit 0 if it stops cleanly.
# shellcheck disable=SC2317
on_signal() { if ((serving)); then exit 0; else exit 130; fi; }
trap on_signal INT TERM

# --- build -----------------------------------------------------------------

phase "installing dependencies (tools/install-deps.sh)"
tools/install-deps.sh

phase "configuring ($BUILD_DIR)"
cmake -S . -B "$BUILD_DIR" -G Ninja

# Only what the quickstart runs: fast, and independent of the rest of the tree
# (tools/test.sh builds everything).
phase "building fanoutd and the example plugin"
cmake --build "$BUILD_DIR" --target fanoutd fanout_example

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

# --- config ----------------------------------------------------------------

mkdir -p "$RUN_DIR" "$(dirname "$AUDIT_LOG")"
if [[ -f $PID_FILE ]]; then
  old=$(<"$PID_FILE")
  if [[ $old =~ ^[0-9]+$ ]] && alive "$old" && tr '\0' ' ' <"/proc/$old/cmdline" | grep -qF -- "$CONFIG"; then
    die "a fanoutd from another quickstart run is still running (pid $old); stop it first: kill $old"
  fi
  rm -f "$PID_FILE"
fi

phase "writing $CONFIG (from config/quickstart.yaml)"
sed -e "s|^\(  brokers:\) .*|\1 $BROKERS|" \
  -e "s|^\(    path:\) \.\./build/lib/|\1 $BUILD_DIR/lib/|" \
  -e "s|^\(      path:\) .*|\1 $AUDIT_LOG|" \
  config/quickstart.yaml >"$CONFIG"
if ! grep -qxF "  brokers: $BROKERS" "$CONFIG" ||
  ! grep -qxF "    path: $BUILD_DIR/lib/libfanout_example.so" "$CONFIG" ||
  ! grep -qxF "      path: $AUDIT_LOG" "$CONFIG"; then
  die "config/quickstart.yaml no longer has the brokers/path lines this script rewrites"
fi

phase "checking the config (fanoutd --check-config)"
"$FANOUTD" --check-config --config "$CONFIG"

# --- events ----------------------------------------------------------------

utc_now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
uuid() { cat /proc/sys/kernel/random/uuid; }

# Stands in for the event store's position: increases across runs.
sequence=$(($(date +%s) * 1000))
: >"$IDS_FILE"

# publish POST_ID VERSION TYPE DATA_JSON: one envelope as docs/events.md
# defines it; "@now" in DATA_JSON becomes the event's occurredAt.
publish() {
  local post=$1 version=$2 type=$3 data=$4 id now envelope
  id=$(uuid)
  now=$(utc_now)
  sequence=$((sequence + 1))
  data=${data//@now/$now}
  envelope=$(printf '{"eventId":"%s","type":"%s","aggregateId":"%s","aggregateType":"Post","version":%d,"globalSequence":%d,"occurredAt":"%s","data":%s}' \
    "$id" "$type" "$post" "$version" "$sequence" "$now" "$data")
  printf '%s\n' "$envelope" |
    kcat -P -b "$BROKERS" -t "$TOPIC" -k "$post" \
      -H "event-type=$type" -H "event-id=$id" -H "content-type=application/json" ||
    die "kcat could not publish $type to $TOPIC on $BROKERS"
  echo "$id" >>"$IDS_FILE"
  printf '  %-20s post=%s version=%d globalSequence=%d\n' "$type" "$post" "$version" "$sequence"
}

# How many of this run's events are in the audit log.
delivered() {
  [[ -s $AUDIT_LOG ]] || {
    echo 0
    return
  }
  { grep -oF -f "$IDS_FILE" "$AUDIT_LOG" || true; } | sort -u | wc -l
}

wait_delivered() {
  local want deadline=$((SECONDS + WAIT_DEADLINE_S)) have=0
  want=$(wc -l <"$IDS_FILE")
  while ((SECONDS < deadline)); do
    have=$(delivered)
    ((have >= want)) && return 0
    if ! alive "$fanoutd_pid"; then
      show_fanoutd_log
      die "fanoutd exited before the events arrived"
    fi
    sleep 0.2
  done
  show_fanoutd_log
  die "only $have of $want events reached $AUDIT_LOG within ${WAIT_DEADLINE_S}s"
}

post_a=$(uuid)
post_b=$(uuid)
comment_a=$(uuid)
comment_b=$(uuid)

# The first events go out before fanoutd runs: they create the topic (broker
# auto-create, num.partitions: 4 on the dev broker) and show that fanoutd
# catches up on what was published while it was down.
phase "publishing to $TOPIC before fanoutd starts"
publish "$post_a" 1 PostCreatedEvent \
  '{"author":"maria.lopez","message":"Sunrise over the harbour this morning","datePosted":"@now"}'
publish "$post_a" 2 PostLikedEvent '{}'
publish "$post_b" 1 PostCreatedEvent \
  '{"author":"dev.raj","message":"Shipped our first release today. Thanks, team!","datePosted":"@now"}'
publish "$post_a" 3 CommentAddedEvent \
  "{\"commentId\":\"$comment_a\",\"comment\":\"Stunning colours!\",\"username\":\"tom_k\",\"commentDate\":\"@now\"}"

rm -f "$AUDIT_LOG"
phase "starting fanoutd (log: $FANOUTD_LOG)"
"$FANOUTD" --config "$CONFIG" --log-format plain >"$FANOUTD_LOG" 2>&1 &
fanoutd_pid=$!
echo "$fanoutd_pid" >"$PID_FILE"
wait_delivered
echo "  fanoutd caught up: $(delivered) events in $AUDIT_LOG"

phase "publishing while fanoutd runs"
publish "$post_a" 4 MessageUpdatedEvent \
  '{"message":"Sunrise over the harbour this morning (shot on film)"}'
publish "$post_b" 2 CommentAddedEvent \
  "{\"commentId\":\"$comment_b\",\"comment\":\"Congratulations!\",\"username\":\"ana.s\",\"commentDate\":\"@now\"}"
publish "$post_a" 5 CommentUpdatedEvent \
  "{\"commentId\":\"$comment_a\",\"comment\":\"Stunning colours! Which film?\",\"username\":\"tom_k\",\"editDate\":\"@now\"}"
publish "$post_b" 3 PostLikedEvent '{}'
publish "$post_a" 6 CommentRemovedEvent "{\"commentId\":\"$comment_a\"}"
publish "$post_b" 4 PostLikedEvent '{}'
publish "$post_a" 7 PostRemovedEvent '{}'
wait_delivered

# --- results ---------------------------------------------------------------

phase "audit log lines of this run ($AUDIT_LOG)"
grep -F -e "\"key\":\"$post_a\"" -e "\"key\":\"$post_b\"" "$AUDIT_LOG"

phase "summary"
ordered=1
for post in "$post_a" "$post_b"; do
  lines=$(grep -F "\"key\":\"$post\"" "$AUDIT_LOG")
  partition=$(sed -nE '1s/.*"partition":([0-9]+).*/\1/p' <<<"$lines")
  versions=$(sed -nE 's/.*\\"version\\":([0-9]+).*/\1/p' <<<"$lines" | paste -sd' ')
  types=$(sed -nE 's/.*"type":"([A-Za-z]+)".*/\1/p' <<<"$lines" | paste -sd' ')
  [[ $versions == "$(seq -s' ' 1 "$(wc -l <<<"$lines")")" ]] || ordered=0
  echo "  post $post -> partition $partition, versions $versions"
  echo "    $types"
done
total=$(wc -l <"$IDS_FILE")
kinds=$(grep -F -e "\"key\":\"$post_a\"" -e "\"key\":\"$post_b\"" "$AUDIT_LOG" |
  sed -nE 's/.*"type":"([A-Za-z]+)".*/\1/p' | sort -u | wc -l)
partitions=$(kcat -L -b "$BROKERS" -t "$TOPIC" 2>/dev/null | grep -c '^    partition ' || true)
echo "  $(delivered) of $total events ($kinds types, 2 posts) reached plugin 'audit'"
echo "  (consumer group $GROUP, topic $TOPIC with $partitions partitions)"
((ordered)) || die "the audit log does not hold each post's events in version order"
echo "  each post's events arrived in version order, on one partition"

if ((once)); then
  phase "--once: stopping"
  exit 0
fi

cat <<EOF

fanoutd keeps running (pid $fanoutd_pid; log $FANOUTD_LOG). Publish another event, e.g.:
  id=\$(cat /proc/sys/kernel/random/uuid); printf '{"eventId":"%s","type":"PostLikedEvent","aggregateId":"$post_b","aggregateType":"Post","version":5,"globalSequence":$((sequence + 1)),"occurredAt":"%s","data":{}}\\n' "\$id" "\$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" | kcat -P -b $BROKERS -t $TOPIC -k $post_b -H event-type=PostLikedEvent -H event-id="\$id" -H content-type=application/json
New audit lines appear below. Ctrl-C stops fanoutd$( ((started_kafka)) && echo " and the broker").
EOF
tail -n 0 -F "$AUDIT_LOG" 2>/dev/null &
tail_pid=$!
serving=1
rc=0
wait "$fanoutd_pid" || rc=$?
# Ctrl-C in a terminal reaches fanoutd too: it drains and exits 0 by itself.
fanoutd_pid=
rm -f "$PID_FILE"
if ((rc == 0)); then
  echo "fanoutd stopped cleanly (exit 0)"
  exit 0
fi
show_fanoutd_log
die "fanoutd exited with status $rc"
