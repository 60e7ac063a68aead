# shellcheck shell=bash
# The command line of a development server script (tools/kafka-dev.sh,
# tools/postgres-dev.sh), sourced by both. The script sets SERVICE (its log
# prefix) and defines usage, lock, cmd_start, cmd_stop, server_status (prints
# "pid=... KEY=..." of a running server, fails when it is stopped) and one
# cmd_NAME per command that prints something (cmd_bootstrap, cmd_url, ...).

log() { echo "$SERVICE: $*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# "running pid=..." (exit 0) or "stopped" (exit 3).
cmd_status() {
  local details
  if details=$(server_status); then
    echo "running $details"
    return 0
  fi
  echo "stopped"
  return 3
}

# Runs the one command given: start and stop under the lock.
dev_service_main() {
  (($# == 1)) || usage
  case $1 in
    start | stop)
      lock
      "cmd_$1"
      ;;
    -h | --help) usage ;;
    *)
      if [[ $1 =~ ^[a-z]+$ ]] && declare -F "cmd_$1" >/dev/null; then
        "cmd_$1"
      else
        usage
      fi
      ;;
  esac
}
