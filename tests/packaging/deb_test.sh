#!/usr/bin/env bash
# Build the Debian packages from the build tree (cpack), hold them to lintian
# (no error; no warning but the accepted ones below), install them and check
# the installed configuration and units, then remove and purge them.
#
# As root with CI=true (a throwaway machine) the packages are installed with
# dpkg -i and purged with dpkg --purge, maintainer scripts included.
# Otherwise they are unpacked into a scratch root (dpkg-deb -x), and what needs
# dpkg on the system (the fanout user, conffile modes, unit enablement,
# remove and purge) is skipped with a message saying so.
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
installed=
packages=(fanout-dbgsym fanout-dev fanout)
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  if [[ -n $installed ]]; then dpkg --purge "${packages[@]}" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

# Warnings accepted, with why (docs/packaging.md, Lintian):
#   initial-upload-closes-no-bugs: a package for the Debian archive closes its
#     ITP bug in the first changelog entry; these packages have none.
accepted_warnings='initial-upload-closes-no-bugs'

for tool in cpack lintian dpkg-deb systemd-analyze; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (tools/install-deps.sh installs it)"
done

step "cpack"
cpack --config "$build/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1 \
  || { cat "$work/cpack.log" >&2; fail "cpack"; }
version=$(sed -n 's/^fanout (\([^)]*\)).*/\1/p;q' "$src/packaging/changelog")
arch=$(dpkg --print-architecture)
deb() { echo "$work/pkg/${1}_${version}_${arch}.deb"; }
for p in "${packages[@]}"; do
  [[ -f $(deb "$p") ]] || fail "cpack made no $(basename "$(deb "$p")") (the version in packaging/changelog must be the package's): $(ls "$work/pkg")"
done

step "package contents"
for p in "${packages[@]}"; do
  dpkg-deb -c "$(deb "$p")" | awk '{print $6}' | sed 's|^\./|/|' >"$work/$p.files"
  dpkg-deb -e "$(deb "$p")" "$work/$p.control"
done
has() { grep -qxF "$2" "$work/$1.files" || fail "$1 lacks $2"; }
lacks() { if grep -q "$2" "$work/$1.files"; then fail "$1 ships $(grep "$2" "$work/$1.files" | head -3 | tr '\n' ' ')"; fi; }
for f in /usr/bin/fanoutd /usr/bin/post-command /usr/bin/post-query \
         /usr/lib/fanout/plugins/libfanout_sql_read_model.so /usr/lib/fanout/plugins/libfanout_example.so \
         /usr/share/fanout/scripts/analytics.lua /usr/share/fanout/examples/example.yaml \
         /etc/fanout/fanoutd.yaml /etc/fanout/post-command.yaml /etc/fanout/post-query.yaml \
         /lib/systemd/system/fanoutd.service /lib/systemd/system/post-command.service /lib/systemd/system/post-query.service \
         /usr/share/man/man1/fanoutd.1.gz /usr/share/doc/fanout/copyright /usr/share/doc/fanout/changelog.Debian.gz; do
  has fanout "$f"
done
for f in /usr/include/fanout/plugin.hpp /usr/include/fanout/sql/batch_store.hpp /usr/lib/libfanout_sql_projection.a \
         /usr/lib/cmake/Fanout/FanoutConfig.cmake /usr/share/doc/fanout-dev/copyright /usr/share/doc/fanout-dev/changelog.Debian.gz; do
  has fanout-dev "$f"
done
for p in "${packages[@]}"; do lacks "$p" '^/usr/local'; done
lacks fanout '^/usr/include\|^/usr/lib/cmake\|\.a$\|^/usr/lib/debug'
lacks fanout-dev '^/usr/bin\|^/etc\|^/usr/lib/fanout'
[[ $(sort "$work/fanout.control/conffiles") == $(printf '/etc/fanout/%s\n' fanoutd.yaml post-command.yaml post-query.yaml) ]] \
  || fail "conffiles: $(cat "$work/fanout.control/conffiles")"
for script in postinst prerm postrm; do
  [[ -x $work/fanout.control/$script ]] || fail "fanout has no executable $script"
done
field() { dpkg-deb -f "$(deb "$1")" "$2"; }
field fanout-dev Depends | grep -q "fanout (= $version)" || fail "fanout-dev Depends: $(field fanout-dev Depends)"
field fanout-dbgsym Depends | grep -q "fanout (= $version)" || fail "fanout-dbgsym Depends: $(field fanout-dbgsym Depends)"
# dpkg-shlibdeps ran: the libraries fanoutd links, plus the maintainer scripts' tools.
for dep in librdkafka1 libyaml-cpp libsoci-core adduser init-system-helpers; do
  field fanout Depends | grep -q "$dep" || fail "fanout Depends lacks $dep: $(field fanout Depends)"
done
[[ $(field fanout Description | wc -l) -ge 5 ]] || fail "fanout has no extended description"
head -1 "$src/packaging/copyright" | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
  || fail "packaging/copyright is not machine-readable (DEP-5)"

mkdir -p "$work/unpacked"
for p in "${packages[@]}"; do dpkg-deb -x "$(deb "$p")" "$work/unpacked"; done
for f in usr/bin/fanoutd usr/lib/fanout/plugins/libfanout_sql_read_model.so; do
  file "$work/unpacked/$f" | grep -q ', stripped' || fail "$f is not stripped: $(file "$work/unpacked/$f")"
  id=$(readelf -n "$work/unpacked/$f" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
  has fanout-dbgsym "/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
done

step "lintian"
lintian --tag-display-limit 0 "$(deb fanout)" "$(deb fanout-dev)" "$(deb fanout-dbgsym)" >"$work/lintian.txt" 2>&1 || true
grep -E '^[EW]: ' "$work/lintian.txt" || true
if grep -q '^E: ' "$work/lintian.txt"; then fail "lintian errors (above)"; fi
if grep -E '^W: ' "$work/lintian.txt" | grep -vE ": ($accepted_warnings)( |$)"; then
  fail "lintian warnings (above) not in the accepted list"
fi
echo "lintian: $(grep -c '^E: ' "$work/lintian.txt") errors, $(grep -c '^W: ' "$work/lintian.txt") warnings"

if [[ $(id -u) == 0 && ${CI:-} == true ]]; then
  root=
  for p in "${packages[@]}"; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qE ' (installed|config-files)$'; then
      fail "$p is already installed on this machine; this test installs and purges its own"
    fi
  done
  [[ ! -e /etc/fanout && ! -e /usr/lib/fanout ]] || fail "/etc/fanout or /usr/lib/fanout exists without the package: not touching it"
  step "dpkg -i"
  installed=yes
  dpkg -i "$(deb fanout)" "$(deb fanout-dev)" "$(deb fanout-dbgsym)" >"$work/dpkg.log" 2>&1 \
    || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
  # Again over itself: the upgrade path of the maintainer scripts.
  dpkg -i "$(deb fanout)" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i over the installed package"; }
  uid=$(getent passwd fanout | cut -d: -f3) || fail "no fanout user after install"
  ((uid < 1000)) || fail "the fanout user is not a system user (uid $uid)"
  for conf in fanoutd.yaml post-command.yaml post-query.yaml; do
    [[ $(stat -c '%U:%G %a' "/etc/fanout/$conf") == "root:fanout 640" ]] \
      || fail "/etc/fanout/$conf is $(stat -c '%U:%G %a' "/etc/fanout/$conf"), not root:fanout 640"
  done
  for unit in fanoutd post-command post-query; do
    # Installed disabled and not started: the configuration needs a broker first.
    if compgen -G "/etc/systemd/system/*.wants/$unit.service" >/dev/null; then
      fail "$unit.service was enabled on install"
    fi
  done
else
  root=$work/unpacked
  echo "SKIP dpkg -i / dpkg --purge and the maintainer scripts: they need root and CI=true (a throwaway machine);"
  echo "     checking the packages unpacked into a scratch root instead"
fi

step "default configuration"
bin=$root/usr/bin
plugins=$root/usr/lib/fanout/plugins
grep -q 'brokers' "$root/etc/fanout/fanoutd.yaml" && grep -q -- '--check-config' "$root/etc/fanout/fanoutd.yaml" \
  || fail "fanoutd.yaml does not say to set the brokers and check it"
# Refused until the broker address is set, with a message naming it.
sed "s|/usr/lib/fanout/plugins/|$plugins/|" "$root/etc/fanout/fanoutd.yaml" >"$work/fanoutd-as-shipped.yaml"
set +e
out=$("$bin/fanoutd" --check-config --config "$work/fanoutd-as-shipped.yaml" 2>&1); rc=$?
set -e
[[ $rc == 78 && $out == *"'brokers': must not be empty"* ]] || fail "the shipped fanoutd.yaml without brokers: exit $rc: $out"
sed 's|^\(  brokers:\) "".*|\1 kafka.example.net:9092|' "$work/fanoutd-as-shipped.yaml" >"$work/fanoutd.yaml"
"$bin/fanoutd" --check-config --config "$work/fanoutd.yaml" || fail "fanoutd --check-config of the shipped fanoutd.yaml with a broker set"
set +e
out=$("$bin/post-command" --config "$root/etc/fanout/post-command.yaml" --check-config 2>&1); rc=$?
set -e
[[ $rc == 78 && $out == *"brokers: must not be empty"* ]] || fail "the shipped post-command.yaml without brokers: exit $rc: $out"
sed 's|^\(  brokers:\) "".*|\1 kafka.example.net:9092|' "$root/etc/fanout/post-command.yaml" >"$work/post-command.yaml"
"$bin/post-command" --config "$work/post-command.yaml" --check-config || fail "post-command --check-config of the shipped post-command.yaml with a broker set"

step "units"
for unit in fanoutd post-command post-query; do
  file=$root/lib/systemd/system/$unit.service
  grep -q "^ExecStart=/usr/bin/$unit --config /etc/fanout/$unit.yaml$" "$file" || fail "$unit.service does not run /usr/bin/$unit on /etc/fanout/$unit.yaml"
  if [[ -n $root ]]; then
    sed "s|/usr/bin/|$bin/|g" "$file" >"$work/$unit.service"
    file=$work/$unit.service
  fi
  out=$(systemd-analyze verify "$file" 2>&1) || fail "systemd-analyze verify $unit.service: $out"
done

step "fanout-dev: an out-of-tree plugin against the packaged SDK"
cmake -S "$src/tests/install/oot_plugin" -B "$work/oot" -G Ninja -DCMAKE_PREFIX_PATH="$root/usr" >"$work/oot.log" 2>&1 \
  && cmake --build "$work/oot" >>"$work/oot.log" 2>&1 || { cat "$work/oot.log" >&2; fail "building against fanout-dev"; }
"$work/oot/key_logger_test" >/dev/null || fail "the out-of-tree plugin's test, built against fanout-dev"

if [[ -n $installed ]]; then
  step "dpkg --remove, then --purge"
  dpkg --remove "${packages[@]}" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg --remove"; }
  [[ ! -e /usr/bin/fanoutd && ! -e /usr/lib/fanout ]] || fail "dpkg --remove left the binaries or plugins"
  [[ -f /etc/fanout/fanoutd.yaml ]] || fail "dpkg --remove removed the conffiles (only --purge may)"
  dpkg --purge "${packages[@]}" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg --purge"; }
  installed=
  for path in /etc/fanout /usr/lib/fanout /usr/share/fanout /usr/share/doc/fanout /usr/include/fanout \
              /usr/lib/cmake/Fanout /lib/systemd/system/fanoutd.service /var/lib/systemd/deb-systemd-helper-enabled/fanoutd.service.dsh-also; do
    [[ ! -e $path ]] || fail "dpkg --purge left $path"
  done
  if dpkg-query -W -f='${Status}' fanout 2>/dev/null | grep -qE ' (installed|config-files)$'; then
    fail "fanout still known to dpkg after --purge"
  fi
fi
echo "OK"
