#!/usr/bin/env bash
# Install every Debian package Fanout needs to build, test and run locally.
#
# Idempotent: asks dpkg first and prints nothing when everything is already
# installed; only when something is missing does it run `apt-get update` and
# `apt-get install` (via sudo when not root).
#
# Usage: tools/install-deps.sh [--check | --list]
set -euo pipefail

PACKAGES=(
  # Toolchain and build
  build-essential cmake ninja-build pkg-config git curl ca-certificates
  # Kafka client library (librdkafka 2.0.2); OpenSSL's libcrypto (SHA-256 of dead letters)
  librdkafka-dev libssl-dev
  # JWT verification for post-command (libjwt 1.10, OpenSSL backend)
  libjwt-dev
  # Plugin host: Boost.DLL (header-only) + Boost.Filesystem
  libboost-dev libboost-filesystem-dev
  # Lua 5.4 scripting (library + interpreter for trying scripts)
  liblua5.4-dev lua5.4
  # SQL: SOCI with the PostgreSQL and SQLite backends
  libsoci-dev libpq-dev libsqlite3-dev sqlite3
  # Config, systemd notify, HTTP
  libyaml-cpp-dev libsystemd-dev libcpp-httplib-dev
  # JSON, logging, formatting, command line
  rapidjson-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  # Unit tests
  libgtest-dev libgmock-dev googletest
  # A real Kafka broker from Maven Central jars (tools/kafka-dev.sh) + kcat
  kcat openjdk-17-jre-headless maven
  # A real PostgreSQL 15 server (tools/postgres-dev.sh)
  postgresql
  # Python for helper scripts and the benchmark driver
  python3 python3-venv python3-pip
  # Process and network tools used by integration tests (ps, pkill, fuser, ss); gdb prints the
  # thread stacks of a child process that does not exit after SIGTERM (harness ChildProcess::stop)
  procps psmisc iproute2 gdb
  # Style check; systemd for `systemd-analyze verify` of the unit files
  clang-format systemd
  # promtool (checks and unit-tests the alert rules); lintian (checks the .deb packages)
  prometheus lintian
  # Fuzzing (tools/fuzz.sh): clang and its runtimes (libFuzzer, ASan, UBSan)
  clang-14 libclang-rt-14-dev
)

usage() {
  cat >&2 <<USAGE
usage: $0 [--check | --list]
  (no argument)  install whatever is missing (quiet when all present)
  --check        exit 1 and list missing packages, install nothing
  --list         print the package list
USAGE
  exit 2
}

mode=install
case $# in
  0) ;;
  1)
    case $1 in
      --check) mode=check ;;
      --list) mode=list ;;
      -h | --help) usage ;;
      *) usage ;;
    esac
    ;;
  *) usage ;;
esac

if [[ $mode == list ]]; then
  printf '%s\n' "${PACKAGES[@]}"
  exit 0
fi

# One dpkg-query for all packages; names it does not know are simply absent.
declare -A installed=()
while read -r name status; do
  [[ $status == installed ]] && installed[$name]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)

missing=()
for pkg in "${PACKAGES[@]}"; do
  [[ -n ${installed[$pkg]:-} ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $mode == check ]]; then
  echo "missing packages: ${missing[*]}" >&2
  exit 1
fi

sudo=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: not root and sudo is not available; install as root: ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
apt_opts=(-q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300)
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update >/dev/null
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y "${missing[@]}"
echo "install-deps: done"
