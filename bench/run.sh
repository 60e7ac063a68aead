#!/usr/bin/env bash
# Runs the Fanout benchmark: makes sure a local Kafka broker is up, builds the
# Release tree, runs bench/fanout_bench with the given arguments, and stops the
# broker only if this script started it.
#
# Usage: bench/run.sh [fanout_bench arguments...]     (see bench/README.md)
#   bench/run.sh                              # 1M events, kcat,poll,noop,example
#   bench/run.sh -n 200000 -r 2               # smaller, two rounds
#   bench/run.sh -X fetch.wait.max.ms=10      # extra librdkafka consumer property
#
# Environment:
#   KAFKA_PORT         broker port (default 19092; tools/kafka-dev.sh)
#   FANOUT_BENCH_BUILD build dir (default <repo>/build-release, CMAKE_BUILD_TYPE=Release)
#   FANOUT_BENCH_NO_BUILD=1  skip configure/build (use the binaries as they are)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FANOUT_BENCH_BUILD:-$ROOT/build-release}
KAFKA=$ROOT/tools/kafka-dev.sh

log() { echo "bench: $*" >&2; }

if [[ ${FANOUT_BENCH_NO_BUILD:-0} != 1 ]]; then
  if [[ ! -f $BUILD/CMakeCache.txt ]]; then
    log "configuring $BUILD (Release)"
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFANOUT_BUILD_TESTS=OFF >/dev/null
  fi
  log "building fanout_bench, fanoutd and the plugins in $BUILD"
  cmake --build "$BUILD" --target fanout_bench_all >/dev/null || {
    log "build failed; rerun: cmake --build $BUILD --target fanout_bench_all"
    exit 1
  }
fi

started=0
if ! "$KAFKA" status >/dev/null 2>&1; then
  log "no broker on $("$KAFKA" bootstrap); starting one"
  "$KAFKA" start
  started=1
fi
stop_broker() {
  if ((started)); then
    log "stopping the broker this script started"
    "$KAFKA" stop || true
  fi
}
trap stop_broker EXIT

BROKERS=$("$KAFKA" bootstrap)
status=$("$KAFKA" status || true)
BROKER_PID=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$status")

args=(--brokers "$BROKERS")
[[ -n $BROKER_PID ]] && args+=(--broker-pid "$BROKER_PID")
log "running: $BUILD/bin/fanout_bench ${args[*]} $*"
rc=0
"$BUILD/bin/fanout_bench" "${args[@]}" "$@" || rc=$?
exit "$rc"
