#!/usr/bin/env bash
# The documented SQL projection example (docs/examples/like_counter), built
# out of tree against the installed package, run by the installed fanoutd on
# the real broker and killed with SIGKILL at random points while events flow.
# At the end every like is counted exactly once: the table equals the counts
# computed from the produced events, and the checkpoints cover every record.
# Also checks that docs/plugins.md shows the example's code as it is.
# Usage: projection_example_test.sh BUILD_DIR SOURCE_DIR   (needs FANOUT_TEST_BROKERS)
set -euo pipefail
build=$1
src=$2
: "${FANOUT_TEST_BROKERS:?FANOUT_TEST_BROKERS is not set: run tools/test.sh}"
kills=${FANOUT_EXAMPLE_KILLS:-10}
events=20000
posts=37
work=$(mktemp -d)
pid=
producer=
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  [[ -n $producer ]] && kill "$producer" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [[ -f $work/fanoutd.log ]] && tail -n 40 "$work/fanoutd.log" >&2
  exit 1
}

example=$src/docs/examples/like_counter
# The docs show the whole file: the block after the marker line must equal it.
awk '/<!-- like_counter.cpp -->/ { on = 1; next } on && /^```cpp$/ { grab = 1; next }
     grab && /^```$/ { exit } grab { print }' "$src/docs/plugins.md" >"$work/from-docs.cpp"
diff -u "$example/like_counter.cpp" "$work/from-docs.cpp" >&2 ||
  fail "docs/plugins.md does not show docs/examples/like_counter/like_counter.cpp as it is"
lines=$(wc -l <"$example/like_counter.cpp")
((lines <= 150)) || fail "the example has $lines lines (at most 150)"

stage=$work/stage
cmake --install "$build" --prefix "$stage" >/dev/null
cmake -S "$example" -B "$work/example" -G Ninja -DCMAKE_PREFIX_PATH="$stage" >/dev/null
cmake --build "$work/example" >/dev/null || fail "the example does not build against the installed package"
plugin=$work/example/liblike_counter.so
[[ -f $plugin ]] || fail "liblike_counter.so not built"

topic=like-counter-$$-$RANDOM
db=$work/likes.db
cat >"$work/fanoutd.yaml" <<YAML
kafka:
  brokers: $FANOUT_TEST_BROKERS
  properties:
    auto.commit.interval.ms: "200"
    session.timeout.ms: "6000"
    heartbeat.interval.ms: "500"
    topic.metadata.refresh.interval.ms: "1000"
    group.instance.id: "$topic-member"
group_prefix: $topic
dead_letter_topic: $topic-dlq
plugins:
  - name: likes
    type: library
    path: $plugin
    topics: [$topic]
    batch: { max_events: 300, linger_ms: 10 }
    options: { connection: "sqlite:$db" }
YAML
"$stage/bin/fanoutd" --check-config --config "$work/fanoutd.yaml" >/dev/null || fail "check-config"

# The events: likes spread over the posts, one in ten of another type (ignored).
# Chunks of 100, one producer run each, so the kills land while events flow.
mkdir "$work/chunks"
awk -v n="$events" -v posts="$posts" -v dir="$work/chunks" 'BEGIN {
  for (i = 1; i <= n; i++) {
    post = "post-" (i % posts)
    type = (i % 10 == 0) ? "CommentAddedEvent" : "PostLikedEvent"
    if (type == "PostLikedEvent") likes[post]++
    printf "%s\t{\"eventId\":\"e-%d\",\"type\":\"%s\",\"aggregateId\":\"%s\",\"aggregateType\":\"Post\",\"version\":%d,\"globalSequence\":%d,\"occurredAt\":\"2026-12-05T10:00:00.000Z\",\"data\":{\"likedBy\":\"u%d\"}}\n", post, i, type, post, i, i, i >> (dir "/" sprintf("%03d", int((i - 1) / 100)))
  }
  for (p in likes) print p "|" likes[p] > (dir "/expected")
}'
LC_ALL=C sort -t'|' -k1,1 "$work/chunks/expected" >"$work/expected"
rm "$work/chunks/expected"
(
  for f in "$work"/chunks/*; do
    kcat -P -b "$FANOUT_TEST_BROKERS" -t "$topic" -K $'\t' -l "$f"
    sleep 0.02
  done
) &
producer=$!

consumed() {
  sqlite3 "file:$db?mode=ro" "SELECT COALESCE(SUM(next_offset), 0) FROM like_counter_checkpoints WHERE next_offset > 0" 2>/dev/null || echo 0
}
start() {
  "$stage/bin/fanoutd" --config "$work/fanoutd.yaml" --log-format plain >>"$work/fanoutd.log" 2>&1 &
  pid=$!
}

start
for ((kill = 1; kill <= kills; kill++)); do
  before=$(consumed)
  deadline=$((SECONDS + 60))
  until (($(consumed) > before)); do
    ((SECONDS < deadline)) || fail "no progress before kill $kill"
    kill -0 "$pid" 2>/dev/null || fail "fanoutd exited before kill $kill"
    sleep 0.05
  done
  sleep "0.0$((RANDOM % 10))"  # the random kill point, while a chunk is being consumed
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  echo "kill $kill at $(consumed) of $events records"
  start
done
wait "$producer" || fail "producing the events failed"
producer=

deadline=$((SECONDS + 90))
until (($(consumed) == events)); do
  ((SECONDS < deadline)) || fail "checkpoints cover $(consumed) of $events records"
  kill -0 "$pid" 2>/dev/null || fail "fanoutd exited"
  sleep 0.2
done
sqlite3 "file:$db?mode=ro" "SELECT post_id, likes FROM like_counts ORDER BY post_id" >"$work/actual"
diff -u "$work/expected" "$work/actual" >&2 || fail "the likes differ from the events (left: expected)"
total=$(awk -F'|' '{ s += $2 } END { print s }' "$work/actual")
echo "$total likes counted exactly once across $kills kill -9"

kill -TERM "$pid"
wait "$pid" || fail "fanoutd did not exit 0 on SIGTERM"
pid=
