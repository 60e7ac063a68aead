#!/usr/bin/env bash
# Runs contract_test.py with the test Python (tools/python-env.sh), which has
# Schemathesis. usage: contract_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
if [[ -z "${FANOUT_TEST_PYTHON:-}" ]]; then
  echo "FAILED: FANOUT_TEST_PYTHON is not set: run tools/test.sh, or export FANOUT_TEST_PYTHON=\$(tools/python-env.sh)" >&2
  exit 1
fi
exec "$FANOUT_TEST_PYTHON" "$(dirname "${BASH_SOURCE[0]}")/contract_test.py" "$@"
