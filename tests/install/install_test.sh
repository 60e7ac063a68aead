#!/usr/bin/env bash
# Install Fanout into a staging prefix, build an out-of-tree plugin against
# the installed CMake package, and run it in the installed fanoutd on the
# real broker. Also checks the installed systemd units.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR   (needs FANOUT_TEST_BROKERS)
set -euo pipefail
build=$1
src=$2
: "${FANOUT_TEST_BROKERS:?FANOUT_TEST_BROKERS is not set: run tools/test.sh}"
work=$(mktemp -d)
pid=
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
stage=$work/stage

fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$stage" >/dev/null
for f in bin/fanoutd lib/fanout/plugins/libfanout_example.so include/fanout/plugin.hpp include/fanout/testing.hpp \
         include/fanout/sql/batch_store.hpp lib/libfanout_sql_projection.a \
         lib/cmake/Fanout/FanoutConfig.cmake lib/systemd/system/fanoutd.service etc/fanout/example.yaml; do
  [[ -e $stage/$f ]] || fail "missing $f in the staged install"
done

cmake -S "$src/tests/install/oot_plugin" -B "$work/oot" -G Ninja -DCMAKE_PREFIX_PATH="$stage" >/dev/null
cmake --build "$work/oot" >/dev/null
plugin=$work/oot/libkey_logger.so
[[ -f $plugin ]] || fail "out-of-tree plugin not built"
"$work/oot/sql_projection_check" "$work/oot.db" || fail "Fanout::sql_projection from the staged package"
"$work/oot/key_logger_test" || fail "the out-of-tree plugin's test on fanout/testing.hpp"

topic=install-test-$$-$RANDOM
cat >"$work/fanoutd.yaml" <<YAML
kafka:
  brokers: $FANOUT_TEST_BROKERS
  properties: { auto.commit.interval.ms: "200" }
group_prefix: install-$topic
plugins:
  - name: keys
    type: library
    path: $plugin
    topics: [$topic]
    options: { path: $work/keys.txt }
YAML
"$stage/bin/fanoutd" --check-config --config "$work/fanoutd.yaml" || fail "check-config of the staged install"

"$stage/bin/fanoutd" --config "$work/fanoutd.yaml" --log-format plain >"$work/fanoutd.log" 2>&1 &
pid=$!
for i in 1 2 3 4 5; do
  printf '{"type":"PostLikedEvent"}\n' | kcat -P -b "$FANOUT_TEST_BROKERS" -t "$topic" -k "post-$i" -H event-type=PostLikedEvent
done
deadline=$((SECONDS + 60))
until [[ -f $work/keys.txt && $(wc -l <"$work/keys.txt") -ge 5 ]]; do
  ((SECONDS < deadline)) || { cat "$work/fanoutd.log" >&2; fail "the out-of-tree plugin saw $(cat "$work/keys.txt" 2>/dev/null | wc -l) of 5 events"; }
  kill -0 "$pid" 2>/dev/null || { cat "$work/fanoutd.log" >&2; fail "staged fanoutd exited"; }
  sleep 0.2
done
grep -q '^post-3 PostLikedEvent$' "$work/keys.txt" || fail "unexpected plugin output: $(cat "$work/keys.txt")"
kill -TERM "$pid"
wait "$pid" || fail "staged fanoutd did not exit 0 on SIGTERM"
pid=

if command -v systemd-analyze >/dev/null; then
  for unit in fanoutd post-command post-query; do
    # Units name the configured prefix; check them against the staged one.
    file=$work/$unit.service
    bindir=$(sed -n 's|^ExecStart=\(.*\)/'"$unit"' .*|\1|p' "$stage/lib/systemd/system/$unit.service")
    [[ -n $bindir ]] || fail "$unit.service has no ExecStart for $unit"
    sed "s|$bindir/|$stage/bin/|g" "$stage/lib/systemd/system/$unit.service" >"$file"
    if [[ -x $stage/bin/$unit ]]; then
      out=$(systemd-analyze verify "$file" 2>&1) || fail "systemd-analyze verify $unit.service: $out"
    fi
    score=$(systemd-analyze security --offline=true "$file" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
    echo "$unit.service exposure: $score"
    awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }' || fail "$unit.service exposure $score > 2.0"
  done
fi
