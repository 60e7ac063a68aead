#!/usr/bin/env bash
# Prints the path of a Python interpreter with the test-only packages
# (prometheus-client's text-format parser, Schemathesis for the OpenAPI
# contract tests), creating the venv on first use.
# The venv lives outside the repository, in the cache shared with the Kafka jars.
set -euo pipefail
venv="${FANOUT_CACHE:-$HOME/.cache/fanout}/venv"
packages=(prometheus-client==0.26.0 schemathesis==4.32.5)
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import prometheus_client, schemathesis' 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${packages[@]}" >&2
fi
echo "$venv/bin/python"
