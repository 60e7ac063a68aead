#!/usr/bin/env bash
# The whole pipeline against a Kafka broker that requires TLS and SASL/SCRAM
# and a PostgreSQL that requires TLS and a password, with every password read
# from a file or the environment, never written in a configuration file:
#   post-command (event store on PostgreSQL) -> outbox relay -> Kafka
#   -> fanoutd + the sql_read_model plugin -> read model on PostgreSQL
#   -> post-query (password from a file, then through libpq's PGPASSFILE).
# Then wrong passwords: each component fails with a clear error within
# seconds, and no password appears in any log, status route or message.
#
# Starts the secured servers itself (tools/kafka-dev.sh --secured,
# tools/postgres-dev.sh --secured) and stops the ones it started.
# Usage: secured_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
readonly DEADLINE_S=60

work=$(mktemp -d)
pids=()
started_kafka=0
started_pg=0
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local rc=$? pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  ((started_kafka)) && "$src/tools/kafka-dev.sh" --secured stop >/dev/null 2>&1
  ((started_pg)) && "$src/tools/postgres-dev.sh" --secured stop >/dev/null 2>&1
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  local log
  for log in "$work"/*.log; do
    [[ -f $log ]] || continue
    echo "----- $log (last 30 lines) -----" >&2
    tail -n 30 "$log" >&2
  done
  exit 1
}
step() { echo "--- $* ($((SECONDS))s)"; }

# start_secured NAME SCRIPT STARTED_VAR
start_secured() {
  if ! "$2" --secured status >/dev/null; then printf -v "$3" 1; fi
  local t0=$SECONDS
  "$2" --secured start || fail "$1 --secured did not start"
  echo "$1 --secured ready in $((SECONDS - t0))s"
}
step "starting the secured servers"
start_secured Kafka "$src/tools/kafka-dev.sh" started_kafka
start_secured PostgreSQL "$src/tools/postgres-dev.sh" started_pg
eval "$("$src/tools/kafka-dev.sh" --secured credentials)"
eval "$("$src/tools/postgres-dev.sh" --secured credentials)"
brokers=$("$src/tools/kafka-dev.sh" --secured bootstrap)
pg_conn=$("$src/tools/postgres-dev.sh" --secured conn) # TLS verified, no password
kafka_password=$(<"$KAFKA_PASSWORD_FILE")
pg_password=$(<"$PG_PASSWORD_FILE")

# The secrets as an operator hands them over: systemd credentials (a private
# directory named by CREDENTIALS_DIRECTORY), a file, the environment, PGPASSFILE.
creds=$work/credentials
mkdir -m 700 "$creds"
install -m 600 "$KAFKA_PASSWORD_FILE" "$creds/kafka-password"
install -m 600 "$PG_PASSWORD_FILE" "$creds/pg-password"
echo "not-the-password" >"$creds/wrong-password"

unique=$$_$RANDOM
topic=secured-$unique
events_db=events_$unique
read_db=read_model_$unique
PGPASSFILE=$PG_PASSFILE psql -X -q -v ON_ERROR_STOP=1 "$pg_conn" \
  -c "CREATE DATABASE $events_db" -c "CREATE DATABASE $read_db" || fail "psql over TLS with PGPASSFILE"

kafka_properties() { # $1: where the SASL password comes from
  cat <<YAML
  properties:
    security.protocol: SASL_SSL
    sasl.mechanisms: SCRAM-SHA-512
    sasl.username: $KAFKA_USERNAME
    sasl.password: "$1"
    ssl.ca.location: $KAFKA_CA_FILE
YAML
}

write_post_command_config() { # $1: file, $2: Kafka password reference, $3: PostgreSQL password reference
  cat >"$1" <<YAML
listen: { address: 127.0.0.1, port: 0 }
event_store:
  connection: "${pg_conn/dbname=fanout/dbname=$events_db} password=$3"
kafka:
  brokers: $brokers
  topic: $topic
$(kafka_properties "$2")
relay: { poll_interval_ms: 50, linger_ms: 0 }
shutdown_timeout_ms: 2000
YAML
}

write_fanoutd_config() { # $1: file, $2: Kafka password reference, $3: PostgreSQL password reference
  cat >"$1" <<YAML
kafka:
  brokers: $brokers
$(kafka_properties "$2")
group_prefix: secured-$unique-$RANDOM
admin: { listen: "127.0.0.1:0" }
drain_timeout_ms: 2000
plugins:
  - name: read_model
    type: library
    path: $build/lib/libfanout_sql_read_model.so
    topics: [$topic]
    batch: { max_events: 100, linger_ms: 10 }
    retry: { max_attempts: 2, initial_backoff_ms: 100, max_backoff_ms: 500 }
    options:
      connection: "${pg_conn/dbname=fanout/dbname=$read_db} password=$3"
YAML
}

# spawn NAME CMD...: in the background, output to $work/NAME.log.
spawn() {
  local name=$1
  shift
  "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  last_pid=$!
}

# wait_log NAME PID PATTERN: until NAME's log matches the extended regex, or fail.
wait_log() {
  local deadline=$((SECONDS + DEADLINE_S))
  until grep -qE -- "$3" "$work/$1.log" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "$1: no '$3' in its log within ${DEADLINE_S}s"
    kill -0 "$2" 2>/dev/null || fail "$1 exited before '$3' appeared in its log"
    sleep 0.1
  done
}

# port_of NAME PREFIX: the port after PREFIX in NAME's log.
port_of() { grep -oE -- "$2[0-9]+" "$work/$1.log" | head -n 1 | grep -oE '[0-9]+$'; }

# expect_failure NAME PATTERN CMD...: CMD exits non-zero within DEADLINE_S
# with PATTERN in its output (a wrong password is an error, not a hang).
expect_failure() {
  local name=$1 pattern=$2 rc=0 t0=$SECONDS
  shift 2
  timeout "$DEADLINE_S" "$@" >"$work/$name.log" 2>&1 || rc=$?
  ((rc != 124)) || fail "$name: still running after ${DEADLINE_S}s (a hang, not an error)"
  ((rc != 0)) || fail "$name: succeeded"
  grep -qE -- "$pattern" "$work/$name.log" || fail "$name: exit $rc without '$pattern' in its output"
  echo "$name: exit $rc after $((SECONDS - t0))s: $(grep -m 1 -E -- "$pattern" "$work/$name.log" | cut -c 1-220)"
}

# expect_logged_error NAME PATTERN CMD...: CMD, which keeps running, logs
# PATTERN within DEADLINE_S. It is left running as $last_pid (stop_last).
expect_logged_error() {
  local name=$1 pattern=$2 t0=$SECONDS
  shift 2
  spawn "$name" "$@"
  wait_log "$name" "$last_pid" "$pattern"
  echo "$name: after $((SECONDS - t0))s: $(grep -m 1 -E -- "$pattern" "$work/$name.log" | cut -c 1-220)"
}
stop_last() {
  kill -TERM "$last_pid"
  wait "$last_pid" || true
}

# http_status URL: the status code, within 10 s.
http_status() { curl -sS -o /dev/null -m 10 -w '%{http_code}' "$1" || true; }

step "post-command: event store over TLS (password from a file), relay over SASL_SSL (password from CREDENTIALS_DIRECTORY)"
write_post_command_config "$work/post-command.yaml" "\${file:\${CREDENTIALS_DIRECTORY}/kafka-password}" "\${file:$creds/pg-password}"
CREDENTIALS_DIRECTORY=$creds "$build/bin/post-command" --config "$work/post-command.yaml" --check-config \
  >"$work/post-command-check.log" 2>&1 || fail "post-command --check-config"
CREDENTIALS_DIRECTORY=$creds spawn post-command "$build/bin/post-command" --config "$work/post-command.yaml"
command_pid=$last_pid
wait_log post-command "$command_pid" "listening on 127.0.0.1:[0-9]+"
command_url=http://127.0.0.1:$(port_of post-command "listening on 127.0.0.1:")/api/v1

post_ids=()
for i in 1 2 3; do
  reply=$(curl -fsS -H 'Content-Type: application/json' --data "{\"author\":\"alice\",\"message\":\"secured $i\"}" \
    "$command_url/newPost") || fail "newPost $i"
  post_ids+=("$(sed -E 's/.*"id":"([^"]+)".*/\1/' <<<"$reply")")
done
curl -fsS -X PUT "$command_url/likePost/${post_ids[0]}" >/dev/null || fail "likePost"
# Published before fanoutd subscribes: a consumer finds a topic created after
# its subscription only at its next metadata refresh.
deadline=$((SECONDS + DEADLINE_S))
until curl -fsS "$command_url/status" 2>/dev/null | grep -q '"lastPublishedSequence":4,'; do
  ((SECONDS < deadline)) || fail "the relay did not publish 4 events: $(curl -sS "$command_url/status" 2>&1)"
  sleep 0.1
done
echo "relay: 4 events published over SASL_SSL"

step "fanoutd: consumer over SASL_SSL (password from CREDENTIALS_DIRECTORY), read model over TLS (password from the environment)"
write_fanoutd_config "$work/fanoutd.yaml" "\${file:\${CREDENTIALS_DIRECTORY}/kafka-password}" "\${FANOUT_PG_PASSWORD}"
CREDENTIALS_DIRECTORY=$creds FANOUT_PG_PASSWORD=$pg_password "$build/bin/fanoutd" --check-config \
  --config "$work/fanoutd.yaml" >"$work/fanoutd-check.log" 2>&1 || fail "fanoutd --check-config"
CREDENTIALS_DIRECTORY=$creds FANOUT_PG_PASSWORD=$pg_password spawn fanoutd \
  "$build/bin/fanoutd" --config "$work/fanoutd.yaml" --log-format plain
fanoutd_pid=$last_pid
wait_log fanoutd "$fanoutd_pid" "admin listening on 127.0.0.1:[0-9]+"
admin_url=http://127.0.0.1:$(port_of fanoutd "admin listening on 127.0.0.1:")

step "post-query: the read model over TLS, its password from a file, then from PGPASSFILE (libpq's own lookup)"
# post-query.yaml has no password: libpq finds it in PGPASSFILE, or nowhere.
cat >"$work/post-query.yaml" <<YAML
listen: 127.0.0.1:0
database: "${pg_conn/dbname=fanout/dbname=$read_db}"
threads: 2
YAML
cat >"$work/post-query-file.yaml" <<YAML
listen: 127.0.0.1:0
database: "${pg_conn/dbname=fanout/dbname=$read_db} password=\${file:$creds/pg-password}"
threads: 2
YAML
deadline=$((SECONDS + DEADLINE_S))
projected=
until [[ $projected == "3 1" ]]; do
  projected=$(PGPASSFILE=$PG_PASSFILE psql -X -At -F ' ' "${pg_conn/dbname=fanout/dbname=$read_db}" \
    -c "SELECT count(*), coalesce(sum(likes), 0) FROM posts" 2>/dev/null || true)
  ((SECONDS < deadline)) || fail "the read model holds '$projected' (posts, likes), expected '3 1'"
  kill -0 "$fanoutd_pid" 2>/dev/null || fail "fanoutd exited"
  sleep 0.2
done
echo "read model: 3 posts, 1 like, written over TLS"
spawn post-query-pgpassfile env PGPASSFILE="$PG_PASSFILE" "$build/bin/post-query" --config "$work/post-query.yaml"
wait_log post-query-pgpassfile "$last_pid" "listening on 127.0.0.1:[0-9]+"
query_url=http://127.0.0.1:$(port_of post-query-pgpassfile "listening on 127.0.0.1:")/api/v1/postLookup
answer=$(curl -fsS "$query_url/byId/${post_ids[0]}") || fail "post-query (PGPASSFILE) byId"
grep -q '"secured 1"' <<<"$answer" || fail "post-query (PGPASSFILE) answered $answer"
stop_last
spawn post-query env -u PGPASSFILE "$build/bin/post-query" --config "$work/post-query-file.yaml"
query_pid=$last_pid
wait_log post-query "$query_pid" "listening on 127.0.0.1:[0-9]+"
query_url=http://127.0.0.1:$(port_of post-query "listening on 127.0.0.1:")/api/v1/postLookup
answer=$(curl -fsS "$query_url/byId/${post_ids[0]}") || fail "post-query byId"
grep -q '"secured 1"' <<<"$answer" || fail "post-query answered $answer"
ssl_in_use=$(PGPASSFILE=$PG_PASSFILE psql -X -At "$pg_conn" \
  -c "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname IN ('$events_db', '$read_db') AND NOT s.ssl")
[[ $ssl_in_use == 0 ]] || fail "$ssl_in_use connections to the test databases without TLS"

step "no password in any log, status route or check-config output"
curl -fsS "$admin_url/plugins" >"$work/fanoutd-plugins.log" || fail "GET /plugins"
curl -fsS "$admin_url/metrics" >"$work/fanoutd-metrics.log" || fail "GET /metrics"
curl -fsS "$command_url/status" >"$work/post-command-status.log" || fail "GET /status"

step "fanoutd reads its secret files again at a reload"
cp "$creds/wrong-password" "$creds/kafka-password"
kill -HUP "$fanoutd_pid"
wait_log fanoutd "$fanoutd_pid" "reload applied: .*started 1"
wait_log fanoutd "$fanoutd_pid" "Authentication failed.*SCRAM-SHA-512"
echo "fanoutd: the rotated (wrong) Kafka password is in use after the reload"
install -m 600 "$KAFKA_PASSWORD_FILE" "$creds/kafka-password"
kill -TERM "$command_pid" "$fanoutd_pid" "$query_pid"
wait "$command_pid" "$fanoutd_pid" "$query_pid" || true
for secret in "$kafka_password" "$pg_password"; do
  if grep -lF -- "$secret" "$work"/*.log; then fail "a password appears in the files above"; fi
done

step "wrong passwords: clear errors, not hangs"
# A service that cannot start exits with the reason.
write_post_command_config "$work/bad-pg.yaml" "\${file:$creds/kafka-password}" "\${file:$creds/wrong-password}"
expect_failure post-command-wrong-pg-password "password authentication failed for user \"fanout\"" \
  "$build/bin/post-command" --config "$work/bad-pg.yaml"
write_post_command_config "$work/missing.yaml" "\${file:$creds/kafka-password}" "\${file:$creds/absent}"
expect_failure post-command-missing-secret-file "secret file $creds/absent \\(from \\\$\\{file:...\\}\\) cannot be read" \
  "$build/bin/post-command" --config "$work/missing.yaml" --check-config
# Those that ride out outages (post-query's database, a Kafka client's
# broker) keep running and say why at once.
write_fanoutd_config "$work/bad-pg.yaml" "\${file:$creds/kafka-password}" "\${file:$creds/wrong-password}"
expect_failure fanoutd-wrong-pg-password "read_model.*password authentication failed for user \"fanout\"" \
  "$build/bin/fanoutd" --config "$work/bad-pg.yaml" --log-format plain
PGPASSFILE=/nonexistent expect_logged_error post-query-no-password "fe_sendauth: no password supplied" \
  "$build/bin/post-query" --config "$work/post-query.yaml"
bad_query_url=http://127.0.0.1:$(port_of post-query-no-password "listening on 127.0.0.1:")/api/v1/postLookup/
[[ $(http_status "$bad_query_url") == 503 ]] || fail "post-query without its password: $bad_query_url answered $(http_status "$bad_query_url"), expected 503"
stop_last
write_fanoutd_config "$work/bad-kafka.yaml" "\${file:$creds/wrong-password}" "\${file:$creds/pg-password}"
expect_logged_error fanoutd-wrong-kafka-password "Authentication failed.*SCRAM-SHA-512" \
  "$build/bin/fanoutd" --config "$work/bad-kafka.yaml" --log-format plain
wait_log fanoutd-wrong-kafka-password "$last_pid" "admin listening on 127.0.0.1:[0-9]+"
bad_ready_url=http://127.0.0.1:$(port_of fanoutd-wrong-kafka-password "admin listening on 127.0.0.1:")/readyz
[[ $(http_status "$bad_ready_url") == 503 ]] || fail "fanoutd with a wrong Kafka password: /readyz answered $(http_status "$bad_ready_url"), expected 503"
stop_last
# The relay connects once it has something to publish, and logs why it cannot.
write_post_command_config "$work/bad-kafka.yaml" "\${file:$creds/wrong-password}" "\${file:$creds/pg-password}"
spawn post-command-wrong-kafka-password "$build/bin/post-command" --config "$work/bad-kafka.yaml"
wait_log post-command-wrong-kafka-password "$last_pid" "listening on 127.0.0.1:[0-9]+"
bad_url=http://127.0.0.1:$(port_of post-command-wrong-kafka-password "listening on 127.0.0.1:")/api/v1
curl -fsS -H 'Content-Type: application/json' --data '{"author":"bob","message":"unpublished"}' \
  "$bad_url/newPost" >/dev/null || fail "newPost with the broker refusing the relay"
wait_log post-command-wrong-kafka-password "$last_pid" "Authentication failed.*SCRAM-SHA-512"
# The status shows the unpublished command as lag, and the relay's last error says why.
curl -fsS "$bad_url/status" | grep -q '"lag":1,' || fail "post-command's status: $(curl -sS "$bad_url/status" 2>&1)"
deadline=$((SECONDS + 20))
until curl -fsS "$bad_url/status" | grep -qE '"lastError":"kafka: [^"]*Authentication failed'; do
  ((SECONDS < deadline)) || fail "post-command's status does not say why it cannot publish: $(curl -sS "$bad_url/status" 2>&1)"
  sleep 0.2
done
curl -fsS "$bad_url/status" >"$work/post-command-wrong-kafka-password-status.log"
echo "post-command-wrong-kafka-password: $(grep -m 1 -oE 'Authentication failed[^"]{0,120}' "$work/post-command-wrong-kafka-password.log")"
kill -TERM "$last_pid"
wait "$last_pid" || true
for secret in "$kafka_password" "$pg_password" "$(<"$creds/wrong-password")"; do
  if grep -lF -- "$secret" "$work"/*.log; then fail "a password appears in the files above"; fi
done
step "passed"
