#!/usr/bin/env bash
# Run Fanout's fuzz targets (tests/fuzz/): libFuzzer with AddressSanitizer and
# UndefinedBehaviorSanitizer, built with clang in a build dir of their own.
#
# Usage: tools/fuzz.sh --list
#        tools/fuzz.sh [--time SECONDS | --runs N] [--seed S] [--merge] [--no-build] [TARGET...]
#        tools/fuzz.sh --build-only
#
#   --list        print the targets, one per line
#   --build-only  configure and build the fuzz build, run nothing
#   --time S      fuzz each target for S seconds (default 60)
#   --runs N      fuzz each target for N inputs instead: with --seed, the same
#                 build and corpus run the same inputs on any machine (ctest's
#                 Fuzz.* do so, so the suite's verdict does not depend on speed)
#   --seed S      libFuzzer's random seed (default: a new one each run)
#   --merge       afterwards, add the inputs that found new coverage to the
#                 committed seed corpus (tests/fuzz/corpus/<target>/)
#   --no-build    use the fuzz build as it is; exit 77 when it is missing
#   TARGET...     the targets to run (default: all)
#
# Each target runs on a scratch copy of its corpus plus tests/fuzz/regressions/<target>/.
# A crash (or leak, timeout, out-of-memory) is saved to tests/fuzz/regressions/<target>/,
# where the normal build's ctest FuzzReplay.<target> replays it from then on; the run
# goes on with the next target and exits 1 at the end. Per target it prints the
# executions per second and the total inputs run; the full log is in
# $FUZZ_BUILD_DIR/fuzz-logs/<target>.log.
#
# Environment: FUZZ_BUILD_DIR (default build-fuzz), CXX_FUZZ (default clang++-14),
# FUZZ_ARGS (more libFuzzer flags, split on whitespace), FANOUT_BUILD_LOCK (a file to
# hold with flock while building, on a machine that several builds share).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fuzz_dir=$root/tests/fuzz
build_dir=${FUZZ_BUILD_DIR:-$root/build-fuzz}
[[ $build_dir == /* ]] || build_dir=$root/$build_dir
cxx=${CXX_FUZZ:-clang++-14}
cc=${cxx/clang++/clang}
read -r -a extra_args <<<"${FUZZ_ARGS:-}"

usage() { sed -n '2,28s/^# \{0,1\}//p' "$0"; }

all_targets() {
  local f
  for f in "$fuzz_dir"/*_fuzz.cpp; do
    f=${f##*/}
    echo "${f%_fuzz.cpp}"
  done
}

seconds=60
merge=0
build=1
build_only=0
runs_limit=
seed=
targets=()
# positive OPTION VALUE WHAT: VALUE when it is a whole number above 0, else exit 2 saying WHAT.
positive() {
  if [[ $2 =~ ^[0-9]+$ && $2 -gt 0 ]]; then
    echo "$2"
  else
    echo "fuzz: $1 needs $3" >&2
    exit 2
  fi
}
while (($#)); do
  case $1 in
    --list)
      all_targets
      exit 0
      ;;
    --time)
      seconds=$(positive "$1" "${2:-}" "a number of seconds")
      shift
      ;;
    --runs)
      runs_limit=$(positive "$1" "${2:-}" "a number of inputs")
      shift
      ;;
    --seed)
      seed=$(positive "$1" "${2:-}" "a positive number")
      shift
      ;;
    --merge) merge=1 ;;
    --build-only) build_only=1 ;;
    --no-build) build=0 ;;
    -h | --help)
      usage
      exit 0
      ;;
    -*)
      echo "fuzz: unknown option $1 (see --help)" >&2
      exit 2
      ;;
    *) targets+=("$1") ;;
  esac
  shift
done

known=$(all_targets)
if ((${#targets[@]} == 0)); then
  mapfile -t targets <<<"$known"
fi
for t in "${targets[@]}"; do
  grep -qx -- "$t" <<<"$known" || {
    echo "fuzz: no target '$t' (tools/fuzz.sh --list)" >&2
    exit 2
  }
done

if ((build)); then
  command -v "$cxx" >/dev/null || {
    echo "fuzz: $cxx not found: run tools/install-deps.sh" >&2
    exit 1
  }
  # On a machine shared by several builds, one at a time.
  if [[ -n ${FANOUT_BUILD_LOCK:-} ]]; then
    exec 9>>"$FANOUT_BUILD_LOCK"
    flock 9
  fi
  started=$SECONDS
  mkdir -p "$build_dir"
  if [[ ! -f $build_dir/build.ninja ]]; then
    echo "==> configuring the fuzz build ($build_dir, $cxx)"
    cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" -DFANOUT_FUZZ=ON >"$build_dir/fuzz-configure.log" 2>&1 || {
      cat "$build_dir/fuzz-configure.log" >&2
      exit 1
    }
  fi
  echo "==> building the fuzz targets"
  if ! cmake --build "$build_dir" --target "${targets[@]/#/fuzz_}" >"$build_dir/fuzz-build.log" 2>&1; then
    grep -v '^\[' "$build_dir/fuzz-build.log" | tail -40 >&2
    echo "fuzz: the fuzz build failed (log: $build_dir/fuzz-build.log)" >&2
    exit 1
  fi
  echo "    built in $((SECONDS - started)) s"
  exec 9>&- || true
fi
((build_only)) && exit 0

for t in "${targets[@]}"; do
  if [[ ! -x $build_dir/bin/fuzz_$t ]]; then
    if ((build)); then
      echo "fuzz: $build_dir/bin/fuzz_$t was not built" >&2
      exit 1
    fi
    echo "fuzz: no fuzz build in $build_dir (run tools/fuzz.sh once, or tools/test.sh)"
    exit 77
  fi
done

logs=$build_dir/fuzz-logs
mkdir -p "$logs"
work=$(mktemp -d "${TMPDIR:-/tmp}/fanout-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=()
for t in "${targets[@]}"; do
  corpus=$fuzz_dir/corpus/$t
  regressions=$fuzz_dir/regressions/$t
  mkdir -p "$work/$t" "$regressions"
  args=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$regressions/")
  if [[ -n $runs_limit ]]; then
    args+=(-runs="$runs_limit")
  else
    args+=(-max_total_time="$seconds")
  fi
  [[ -n $seed ]] && args+=(-seed="$seed")
  [[ -f $fuzz_dir/dictionaries/$t.dict ]] && args+=(-dict="$fuzz_dir/dictionaries/$t.dict")
  [[ -f $fuzz_dir/options/$t.options ]] && mapfile -t -O "${#args[@]}" args < <(grep -v '^#' "$fuzz_dir/options/$t.options")
  find "$regressions" -type f | sort >"$work/$t.before"
  # New inputs go to the scratch corpus (the first directory); the committed
  # ones are only read.
  rc=0
  "$build_dir/bin/fuzz_$t" "${args[@]}" "${extra_args[@]}" "$work/$t" "$corpus" "$regressions" \
    >"$logs/$t.log" 2>&1 || rc=$?
  find "$regressions" -type f | sort >"$work/$t.after"
  saved=$(comm -13 "$work/$t.before" "$work/$t.after")
  # A kept regression that still fails is written again under libFuzzer's
  # name for it: name the kept file instead.
  still_failing=()
  for f in $saved; do
    while read -r old; do
      if cmp -s "$f" "$old"; then
        rm -f "$f"
        still_failing+=("$old")
        break
      fi
    done <"$work/$t.before"
  done
  saved=$(find "$regressions" -type f | sort | comm -13 "$work/$t.before" -)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$t.log" | tail -1)
  printf '%-24s %8s exec/s %12s inputs run' "$t" "${rate:-?}" "${runs:-?}"
  if ((rc != 0)) || [[ -n $saved ]]; then
    echo "  FAILED (exit $rc)"
    grep -E '^(==[0-9]+==ERROR|SUMMARY:|fuzz check failed|  detail:|.*runtime error:|    #[0-9] )' "$logs/$t.log" |
      head -20 | sed 's/^/    /'
    [[ -z $saved ]] || sed "s|^$root/|    saved: |" <<<"$saved"
    for f in "${still_failing[@]}"; do echo "    still fails: ${f#"$root"/}"; done
    failed+=("$t")
  else
    echo
  fi
  if ((merge)); then
    "$build_dir/bin/fuzz_$t" -merge=1 "${args[@]}" "$corpus" "$work/$t" >>"$logs/$t.log" 2>&1
    echo "    merged: corpus/$t has $(find "$corpus" -type f | wc -l) inputs"
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: failures in ${failed[*]} (inputs saved under tests/fuzz/regressions/; logs in $logs)" >&2
  exit 1
fi
