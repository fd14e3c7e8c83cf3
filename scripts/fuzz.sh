#!/bin/sh
# Builds the libFuzzer targets with clang into build-fuzz and runs each for
# SECONDS (default 60) on its kept corpus fuzz/corpus/<target>/. New inputs
# that increase coverage are added to the corpus; a crash stops the run with
# the reproducer path (crash-*/leak-*/timeout-* in build-fuzz/artifacts/).
#
# usage: scripts/fuzz.sh [seconds] [target...]
#   targets: request_head host_match config scrubber (default: all)
# needs: clang-16 and libclang-rt-16-dev (Debian), see scripts/install-deps.sh
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-request_head host_match config scrubber}
build=$root/build-fuzz
cxx=${FUZZ_CXX:-clang++-16}
cc=${FUZZ_CC:-clang-16}

command -v "$cxx" >/dev/null 2>&1 || { echo "fuzz.sh: $cxx not found (apt-get install clang-16 libclang-rt-16-dev)" >&2; exit 1; }

cmake -S "$root" -B "$build" -G Ninja -DSANDBOX_RUN_FUZZ=ON -DSANDBOX_RUN_TESTS=OFF \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
for t in $targets; do
  nice cmake --build "$build" --target "fuzz_$t" -j2
done

mkdir -p "$build/artifacts"
status=0
for t in $targets; do
  corpus=$root/fuzz/corpus/$t
  mkdir -p "$corpus"
  echo "fuzz.sh: running fuzz_$t for ${seconds}s on $corpus"
  if ! "$build/bin/fuzz_$t" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "$corpus"; then
    echo "fuzz.sh: fuzz_$t FAILED (see $build/artifacts/)" >&2
    status=1
  fi
done
exit $status
