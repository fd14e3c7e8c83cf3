#!/bin/sh
# Builds the libFuzzer targets with clang into build-fuzz and runs each for
# SECONDS (default 60) on its kept corpus fuzz/corpus/<target>/. New inputs
# that increase coverage are added to the corpus; a crash, leak or hang of one
# target is reported with the reproducer path (crash-*/leak-*/timeout-* in
# build-fuzz/artifacts/) and the other targets still run; the exit status is
# non-zero if any target failed.
#
# usage: scripts/fuzz.sh [seconds] [target...]
#        scripts/fuzz.sh --minimize [target...]
#        scripts/fuzz.sh --replay [target...]
#   targets: request_head host_match config scrubber (the engine: request heads
#            and the secrets module, host patterns and CIDRs, proxy.yaml, the
#            response scrubber), dns_message (the DNS responder's parser),
#            gate (the request gate: raw client bytes -> the canonical request,
#            with its invariants), run_options (sandbox-run's `docker run` flags),
#            env_file (--env-file and dotenv files), mappings (mappings.json),
#            egress_config (config.yaml and its rewrite); default: all
#   --minimize: replaces each corpus by its minimal subset with the same
#            coverage (libFuzzer -merge=1); run it before committing a corpus.
#   --replay: runs every kept input of each target once (libFuzzer -runs=0),
#            nothing is added to the corpus; a crash that was fixed cannot come
#            back unnoticed (scripts/test.sh runs this).
# needs: clang-16 and libclang-rt-16-dev (Debian), see scripts/install-deps.sh
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
minimize=0
replay=0
if [ "${1:-}" = "--minimize" ]; then
  minimize=1
  shift
elif [ "${1:-}" = "--replay" ]; then
  replay=1
  shift
else
  seconds=${1:-60}
  [ $# -gt 0 ] && shift
fi
targets=${*:-request_head host_match config scrubber ws_frames dns_message gate run_options env_file mappings egress_config}
build=$root/build-fuzz
cxx=${FUZZ_CXX:-clang++-16}
cc=${FUZZ_CC:-clang-16}

command -v "$cxx" >/dev/null 2>&1 || { echo "fuzz.sh: $cxx not found (apt-get install clang-16 libclang-rt-16-dev)" >&2; exit 1; }

cmake -S "$root" -B "$build" -G Ninja -DSANDBOX_RUN_FUZZ=ON -DSANDBOX_RUN_TESTS=OFF \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# A target that does not build is reported and the others still run.
status=0
built=
for t in $targets; do
  if nice cmake --build "$build" --target "fuzz_$t" -j2; then
    built="$built $t"
  else
    echo "fuzz.sh: building fuzz_$t FAILED" >&2
    status=1
  fi
done

mkdir -p "$build/artifacts"
for t in $built; do
  corpus=$root/fuzz/corpus/$t
  mkdir -p "$corpus"
  if [ $replay = 1 ]; then
    echo "fuzz.sh: replaying $(ls "$corpus" | wc -l) inputs of $corpus"
    if ! "$build/bin/fuzz_$t" -runs=0 -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$build/artifacts/$t-" "$corpus" >"$build/replay-$t.log" 2>&1; then
      tail -n 40 "$build/replay-$t.log" >&2
      echo "fuzz.sh: replay of fuzz_$t FAILED (log: $build/replay-$t.log)" >&2
      status=1
    fi
    continue
  fi
  if [ $minimize = 1 ]; then
    fresh=$build/merge-$t
    rm -rf "$fresh"
    mkdir -p "$fresh"
    echo "fuzz.sh: minimizing $corpus ($(ls "$corpus" | wc -l) inputs)"
    if "$build/bin/fuzz_$t" -merge=1 -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        "$fresh" "$corpus" >"$build/merge-$t.log" 2>&1; then
      rm -rf "$corpus"
      mv "$fresh" "$corpus"
      echo "fuzz.sh: $corpus now holds $(ls "$corpus" | wc -l) inputs"
    else
      echo "fuzz.sh: merging fuzz_$t FAILED (see $build/merge-$t.log)" >&2
      status=1
    fi
    continue
  fi
  echo "fuzz.sh: running fuzz_$t for ${seconds}s on $corpus"
  if ! nice "$build/bin/fuzz_$t" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "$corpus"; then
    echo "fuzz.sh: fuzz_$t FAILED (see $build/artifacts/)" >&2
    status=1
  fi
done
exit $status
