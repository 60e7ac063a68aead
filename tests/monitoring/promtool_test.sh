#!/usr/bin/env bash
# promtool on the alert rules: `check` (syntax, templates) or `test` (the unit
# tests in fanout-alerts.test.yml). Usage: promtool_test.sh SOURCE_DIR check|test
set -euo pipefail
rules="$1/monitoring/prometheus"
if ! command -v promtool >/dev/null; then
  echo "promtool not found: tools/install-deps.sh installs it (Debian package prometheus)" >&2
  exit 1
fi
case "$2" in
  check) promtool check rules "$rules/fanout-alerts.yml" ;;
  test) cd "$rules" && promtool test rules fanout-alerts.test.yml ;;
  *) echo "usage: $0 SOURCE_DIR check|test" >&2; exit 64 ;;
esac
