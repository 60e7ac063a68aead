#!/usr/bin/env bash
# The one command to build Fanout and run its tests on a fresh machine:
# installs the Debian packages, configures and builds with CMake + Ninja,
# starts a real Kafka broker and a real PostgreSQL on loopback, runs ctest.
#
# Usage: tools/test.sh [ctest args...]     e.g. tools/test.sh -L unit
#
# Environment: BUILD_DIR (default build), BUILD_TYPE (default RelWithDebInfo),
# FANOUT_CMAKE_ARGS (extra cmake configure arguments, split on whitespace),
# plus those of tools/kafka-dev.sh and tools/postgres-dev.sh (KAFKA_PORT, PG_PORT, ...).
# Servers this script started are stopped on exit; ones already running are left alone.
set -euo pipefail

case ${1:-} in
  -h | --help)
    sed -n '2,11s/^# \{0,1\}//p' "$0"
    exit 0
    ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
read -r -a extra_cmake_args <<<"${FANOUT_CMAKE_ARGS:-}"

phase() { echo "==> $*"; }

started_kafka=0
started_pg=0
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local rc=$?
  if ((started_pg)); then
    phase "stopping PostgreSQL"
    tools/postgres-dev.sh stop || true
  fi
  if ((started_kafka)); then
    phase "stopping Kafka"
    tools/kafka-dev.sh stop || true
  fi
  exit "$rc"
}
trap cleanup EXIT

phase "installing dependencies (tools/install-deps.sh)"
tools/install-deps.sh

phase "configuring ($BUILD_DIR, $BUILD_TYPE)"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DFANOUT_WERROR=ON \
  "${extra_cmake_args[@]}"

phase "building"
cmake --build "$BUILD_DIR"

# ctest Fuzz.* fuzz each target briefly with this clang build (tests/fuzz/README.md).
phase "building the fuzz targets (tools/fuzz.sh --build-only, clang)"
tools/fuzz.sh --build-only

# start_server NAME SCRIPT STARTED_VAR: start a server with its script unless
# one runs already (that one is left running); STARTED_VAR=1 when started here.
start_server() {
  phase "starting $1 ($2)"
  if "$2" status >/dev/null; then
    echo "$1 already running: $("$2" status); leaving it running"
  else
    printf -v "$3" 1
  fi
  "$2" start
}
start_server Kafka tools/kafka-dev.sh started_kafka
start_server PostgreSQL tools/postgres-dev.sh started_pg

phase "preparing the test Python environment (tools/python-env.sh)"
FANOUT_TEST_PYTHON=$(tools/python-env.sh)

FANOUT_TEST_BROKERS=$(tools/kafka-dev.sh bootstrap)
FANOUT_TEST_PG=$(tools/postgres-dev.sh conn)
export FANOUT_TEST_BROKERS FANOUT_TEST_PG FANOUT_TEST_PYTHON

phase "running tests (brokers $FANOUT_TEST_BROKERS, PostgreSQL $FANOUT_TEST_PG)"
rc=0
ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 600 "$@" || rc=$?
exit "$rc"
