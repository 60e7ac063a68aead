#!/usr/bin/env bash
# A real PostgreSQL 15 server on 127.0.0.1 with its own throwaway data dir.
#
# Usage: tools/postgres-dev.sh [--secured] start|stop|status|url|conn|credentials
#
# Environment:
#   PG_PORT         TCP port (default 15432, secured 15532)
#   PG_SECURED      1: the same as --secured
#   FANOUT_RUN_DIR  run dirs live here (default /tmp/fanout-dev); this server
#                   uses FANOUT_RUN_DIR/pg-PG_PORT, re-created (initdb) on every start
#   PG_BIN          PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
#
# The server runs as a non-root user: the `postgres` system user when this
# script runs as root, the current user otherwise. Trust authentication, over
# TCP on 127.0.0.1 only (plus the unix socket in the private run dir).
# Database `fanout`, role `fanout` (password `fanout`, CREATEDB).
#
# --secured: a second, separate server where TCP takes only TLS (`ssl=on`,
# a certificate signed by a fresh openssl CA) with scram-sha-256 passwords
# (`hostssl ... scram-sha-256`, `hostnossl ... reject`); role `fanout` gets a
# fresh random password. CA, password file and a PGPASSFILE live in
# FANOUT_RUN_DIR/pg-PG_PORT/secrets (`credentials` prints them); `conn` and
# `url` carry sslmode=verify-full and no password.
set -euo pipefail

readonly START_DEADLINE_S=60
readonly DB_NAME=fanout DB_USER=fanout DB_PASSWORD=fanout

# shellcheck source=tools/lib/dev-tls.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dev-tls.sh"
secured_mode postgres-dev PG_SECURED "$@"
set -- "${ARGS[@]}"
if ((SECURED)); then PORT=${PG_PORT:-15532}; else PORT=${PG_PORT:-15432}; fi
if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1024 || PORT > 65535)); then
  echo "postgres-dev: PG_PORT must be a number in 1024..65535, got '$PORT'" >&2
  exit 2
fi
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
RUN_BASE=${FANOUT_RUN_DIR:-/tmp/fanout-dev}
RUN_DIR=$RUN_BASE/pg-$PORT
DATA_DIR=$RUN_DIR/data
LOG_FILE=$RUN_DIR/postgres.log
URL="postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"
CONN="dbname=$DB_NAME user=$DB_USER password=$DB_PASSWORD host=127.0.0.1 port=$PORT"
SECRETS_DIR=$RUN_DIR/secrets # --secured
if ((SECURED)); then
  URL="postgresql://$DB_USER@127.0.0.1:$PORT/$DB_NAME?sslmode=verify-full&sslrootcert=$SECRETS_DIR/ca.pem"
  CONN="dbname=$DB_NAME user=$DB_USER host=127.0.0.1 port=$PORT sslmode=verify-full sslrootcert=$SECRETS_DIR/ca.pem"
fi

usage() {
  cat >&2 <<USAGE
usage: $0 [--secured] start|stop|status|url|conn|credentials
  start        initdb a fresh cluster and start it on 127.0.0.1:$PORT (no-op if running)
  stop         pg_ctl stop -m fast; idempotent
  status       print "running pid=... url=..." (exit 0) or "stopped" (exit 3)
  url          print $URL
  conn         print the SOCI/libpq connection string: $CONN
  credentials  --secured: print PG_CA_FILE=, PG_USER=, PG_PASSWORD_FILE= and PG_PASSFILE=
               lines (shell-sourceable)
  --secured    the TLS + scram-sha-256 server (default port 15532), also PG_SECURED=1
environment: PG_PORT (default 15432, secured 15532), PG_SECURED, FANOUT_RUN_DIR, PG_BIN
USAGE
  exit 2
}

SERVICE=postgres-dev
# shellcheck source=tools/lib/dev-service.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dev-service.sh"

# Runs a server-side command as the server's user, from a directory it can
# read, without the lock fd (the postmaster must not inherit it).
as_pg() {
  if ((EUID == 0)); then
    (cd "$RUN_DIR" && runuser -u postgres -- "$@" 9>&-)
  else
    (cd "$RUN_DIR" && "$@" 9>&-)
  fi
}

# Serialises start/stop for this port on fd 9.
lock() {
  if [[ ! -d $RUN_BASE ]]; then
    mkdir -p "$RUN_BASE"
    chmod 755 "$RUN_BASE"
  fi
  exec 9>>"$RUN_BASE/.pg-$PORT.lock"
  flock -w 300 9 || die "another postgres-dev.sh holds $RUN_BASE/.pg-$PORT.lock"
}

running() {
  [[ -f $DATA_DIR/PG_VERSION ]] || return 1
  as_pg "$PG_BIN/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1
}

ready() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -d postgres -U postgres -t 2
}

server_pid() {
  head -n 1 "$DATA_DIR/postmaster.pid" 2>/dev/null || echo "?"
}

port_in_use() {
  ss -Hltn "( sport = :$1 )" 2>/dev/null | grep -q .
}

print_log() {
  echo "----- last 50 lines of $LOG_FILE -----" >&2
  tail -n 50 "$LOG_FILE" >&2 2>/dev/null || echo "(no log)" >&2
  echo "-----" >&2
}

# --secured: through the unix socket in the private run dir (TCP wants a password).
psql_admin() {
  local host=127.0.0.1
  ((SECURED)) && host=$RUN_DIR
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$PORT" -U postgres -d postgres "$@"
}

# --secured: TLS files for the server (owned by its user, as it insists), the
# role's password, and a PGPASSFILE for libpq's own lookup.
write_secrets() {
  make_dev_tls "$SECRETS_DIR" server
  (
    umask 077
    new_dev_password >"$SECRETS_DIR/$DB_USER.password"
    echo "127.0.0.1:$PORT:*:$DB_USER:$(<"$SECRETS_DIR/$DB_USER.password")" >"$SECRETS_DIR/pgpass"
  )
  # The run dir is private to the server's user; its secrets are the invoker's.
  if ((EUID == 0)); then
    install -o postgres -g postgres -m 600 "$SECRETS_DIR/server.key" "$DATA_DIR/server.key"
  else
    install -m 600 "$SECRETS_DIR/server.key" "$DATA_DIR/server.key"
  fi
  cp "$SECRETS_DIR/server.pem" "$DATA_DIR/server.crt"
  ((EUID == 0)) && chown postgres: "$DATA_DIR/server.crt"
  return 0
}

# The lines of pg_hba.conf after the header.
hba_rules() {
  if ((!SECURED)); then
    cat <<HBA
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
HBA
    return
  fi
  cat <<HBA
local     all     all                 trust
hostssl   all     all   127.0.0.1/32  scram-sha-256
hostnossl all     all   127.0.0.1/32  reject
HBA
}

create_role() {
  if ((!SECURED)); then
    psql_admin \
      -c "CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD'" \
      -c "CREATE DATABASE $DB_NAME OWNER $DB_USER"
    return
  fi
  # From stdin: psql interpolates :'password' there, never in -c.
  psql_admin -v password="$(<"$SECRETS_DIR/$DB_USER.password")" <<SQL
CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD :'password';
CREATE DATABASE $DB_NAME OWNER $DB_USER;
SQL
}

cmd_start() {
  [[ -x $PG_BIN/initdb ]] || die "$PG_BIN/initdb not found (run tools/install-deps.sh)"
  command -v ss >/dev/null 2>&1 || die "'ss' not found (run tools/install-deps.sh)"
  if ((EUID == 0)); then
    id -u postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' system user"
  fi

  if running; then
    local deadline=$((SECONDS + START_DEADLINE_S))
    until ready || ((SECONDS >= deadline)); do sleep 0.2; done
    ready || die "a server (pid $(server_pid)) runs in $DATA_DIR but does not answer; run '$0 stop'"
    log "already running (pid $(server_pid)) on 127.0.0.1:$PORT"
    return 0
  fi

  port_in_use "$PORT" && die "port $PORT is already in use by another process (set PG_PORT)"

  local t0=$SECONDS
  [[ $RUN_DIR == */pg-"$PORT" ]] || die "refusing to wipe unexpected run dir '$RUN_DIR'"
  rm -rf "$RUN_DIR"
  mkdir -m 700 "$RUN_DIR"
  if ((EUID == 0)); then
    chown postgres: "$RUN_DIR"
    runuser -u postgres -- test -w "$RUN_DIR" ||
      die "the postgres user cannot reach $RUN_DIR (a parent dir is not searchable); set FANOUT_RUN_DIR"
  fi

  as_pg "$PG_BIN/initdb" -D "$DATA_DIR" -U postgres --auth=trust --encoding=UTF8 --no-locale \
    >"$RUN_DIR/initdb.log" 2>&1 || {
    tail -n 30 "$RUN_DIR/initdb.log" >&2
    die "initdb failed"
  }

  # Only 127.0.0.1 over TCP; the unix socket lives in the private run dir.
  cat >"$DATA_DIR/pg_hba.conf" <<HBA
# Generated by tools/postgres-dev.sh
# TYPE  DATABASE  USER  ADDRESS       METHOD
$(hba_rules)
HBA
  cat >>"$DATA_DIR/postgresql.conf" <<CONF

# --- tools/postgres-dev.sh ---
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$RUN_DIR'
CONF
  if ((SECURED)); then
    write_secrets
    printf '%s\n' "ssl = on" "ssl_cert_file = 'server.crt'" "ssl_key_file = 'server.key'" \
      "password_encryption = 'scram-sha-256'" >>"$DATA_DIR/postgresql.conf"
  fi

  # pg_ctl -w notices a postmaster that dies; pg_isready then proves TCP works.
  local deadline=$((SECONDS + START_DEADLINE_S))
  as_pg "$PG_BIN/pg_ctl" start -D "$DATA_DIR" -l "$LOG_FILE" -w -t "$START_DEADLINE_S" >/dev/null || {
    log "ERROR: the server did not start"
    print_log
    cmd_stop >/dev/null 2>&1 || true
    exit 1
  }
  until ready; do
    if ((SECONDS >= deadline)); then
      log "ERROR: the server did not answer pg_isready on 127.0.0.1:$PORT within ${START_DEADLINE_S}s"
      print_log
      cmd_stop >/dev/null 2>&1 || true
      exit 1
    fi
    sleep 0.2
  done

  create_role || {
    print_log
    die "could not create database '$DB_NAME' and role '$DB_USER'"
  }
  log "ready in $((SECONDS - t0))s: pid $(server_pid), $URL, logs in $RUN_DIR"
  if ((SECURED)); then
    log "TLS + scram-sha-256: CA $SECRETS_DIR/ca.pem, user $DB_USER," \
      "password file $SECRETS_DIR/$DB_USER.password, PGPASSFILE $SECRETS_DIR/pgpass"
  fi
}

cmd_stop() {
  if ! running; then
    log "stopped"
    return 0
  fi
  log "stopping pid $(server_pid)"
  as_pg "$PG_BIN/pg_ctl" stop -D "$DATA_DIR" -m fast -w -t 60 >/dev/null
  log "stopped"
}

server_status() {
  running || return 1
  echo "pid=$(server_pid) url=$URL"
}

cmd_url() { echo "$URL"; }
cmd_conn() { echo "$CONN"; }

cmd_credentials() {
  ((SECURED)) || die "the plain server has no credentials (use --secured)"
  running && [[ -s $SECRETS_DIR/pgpass ]] || die "the secured server is stopped: start it first (its credentials are made at start)"
  printf '%s\n' "PG_CA_FILE=$SECRETS_DIR/ca.pem" "PG_USER=$DB_USER" \
    "PG_PASSWORD_FILE=$SECRETS_DIR/$DB_USER.password" "PG_PASSFILE=$SECRETS_DIR/pgpass"
}

dev_service_main "$@"
