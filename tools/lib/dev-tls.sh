# shellcheck shell=bash
# The secured mode of the development servers (tools/kafka-dev.sh --secured,
# tools/postgres-dev.sh --secured), sourced by both before anything else: its
# switch, and throwaway TLS material and passwords made with openssl at every
# start (the functions that make them use die from tools/lib/dev-service.sh).
# Nothing here is meant to outlive the run dir it is written to.

# secured_mode PREFIX VAR ARGS...: SECURED=1 when ARGS hold --secured or the
# environment variable VAR is 1, else 0; ARGS=the other arguments. PREFIX
# names the script in the message about a bad VAR (exit 2).
secured_mode() {
  local prefix=$1 var=$2 arg
  shift 2
  SECURED=${!var:-0}
  ARGS=()
  for arg in "$@"; do
    if [[ $arg == --secured ]]; then SECURED=1; else ARGS+=("$arg"); fi
  done
  [[ $SECURED == [01] ]] || {
    echo "$prefix: $var must be 0 or 1, got '$SECURED'" >&2
    exit 2
  }
}

# make_dev_tls DIR NAME: a fresh CA (DIR/ca.pem) and a server certificate for
# 127.0.0.1 and localhost signed by it (DIR/NAME.pem, key DIR/NAME.key, PKCS#8,
# unencrypted, mode 600). EC P-256: made in milliseconds.
make_dev_tls() {
  local dir=$1 name=$2
  command -v openssl >/dev/null 2>&1 || die "'openssl' not found in PATH (run tools/install-deps.sh)"
  mkdir -p "$dir"
  (
    set -e
    umask 077
    cd "$dir"
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
      -subj "/CN=Fanout development CA ($name)" -keyout ca.key -out ca.pem \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -subj "/CN=127.0.0.1" -keyout "$name.key" -out "$name.csr"
    printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=CA:FALSE' \
      'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' >"$name.ext"
    openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
      -extfile "$name.ext" -out "$name.pem"
    rm -f "$name.csr" "$name.ext" ca.srl
    chmod 644 ca.pem "$name.pem"
  ) >"$dir/openssl.log" 2>&1 || {
    tail -n 20 "$dir/openssl.log" >&2
    die "openssl could not make the TLS files in $dir"
  }
}

# new_dev_password: 32 random hex digits (no character any config format quotes).
new_dev_password() { openssl rand -hex 16; }
