#!/usr/bin/env bash
# The project's whole test run (README's test command; .ci/run calls it):
#   1. install the Debian packages (install-deps.sh --test), start dockerd and the test registry
#   2. configure + build everything in build/ (RelWithDebInfo, -Werror)
#   3. build the local test images (cached by content)
#   4. ctest: unit tests, then all the others (integration, against the real daemon;
#      among them tests/integration/install: cmake --install, the man pages, and
#      the .deb installed with apt-get in a clean, offline Debian container;
#      and the examples/ wrappers)
#   5. build-asan/ (ASan + UBSan, Debug): unit tests again, then the engine's
#      integration tests (tests/integration/proxy) against the ASan+UBSan
#      sandbox-egress, leak detection on; any sanitizer report fails the step
#   6. every kept fuzz corpus replayed once through its libFuzzer target
#      (scripts/fuzz.sh --replay, clang-16 + ASan/UBSan, build-fuzz/), so a
#      crash that was fixed cannot come back
# Exits non-zero if any step or test failed. Test phases all run even when an
# earlier one failed, so one run reports every failure.
#
# Env: SANDBOX_RUN_REQUIRE_DOCKER=1  an unreachable daemon fails tests instead of skipping
#      SANDBOX_RUN_JOBS             build and unit-test parallelism (default 2)
#      SANDBOX_RUN_TEST_JOBS        parallelism of the non-unit tests (default 1)
#      SANDBOX_RUN_BUILD_DIR / SANDBOX_RUN_ASAN_BUILD_DIR  (default build / build-asan)
#      SANDBOX_RUN_SKIP_ASAN=1      skip step 5 (local iteration only; CI runs it)
#      SANDBOX_RUN_SKIP_FUZZ_REPLAY=1  skip step 6 (local iteration only; CI runs it)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JOBS=${SANDBOX_RUN_JOBS:-2}
TEST_JOBS=${SANDBOX_RUN_TEST_JOBS:-1}
BUILD=${SANDBOX_RUN_BUILD_DIR:-build}
ASAN_BUILD=${SANDBOX_RUN_ASAN_BUILD_DIR:-build-asan}
# A test that sets no TIMEOUT of its own is stopped after this many seconds.
CTEST_TIMEOUT=${SANDBOX_RUN_CTEST_TIMEOUT:-600}
RESULTS=$(mktemp -d /tmp/sandbox-run-test.XXXXXX)
trap 'rm -rf "$RESULTS"' EXIT

failures=()
step() { echo; echo "==== test.sh: $* ($(date -u +%H:%M:%S))"; }
fatal() { echo "test.sh: FAILED: $*" >&2; exit 1; }

# configure DIR BUILD_TYPE EXTRA_CMAKE_ARGS...
configure() {
  local dir=$1 type=$2; shift 2
  local gen=(-G Ninja)
  [[ -f "$dir/CMakeCache.txt" ]] && gen=()  # keep the generator an existing tree was made with
  cmake -S "$ROOT" -B "$dir" "${gen[@]}" -DCMAKE_BUILD_TYPE="$type" \
    -DSANDBOX_RUN_WERROR=ON -DSANDBOX_RUN_TESTS=ON "$@"
}

# run_ctest NAME DIR JOBS CTEST_ARGS...: records a failure instead of stopping.
run_ctest() {
  local name=$1 dir=$2 jobs=$3; shift 3
  step "ctest $name"
  if ! ctest --test-dir "$dir" --output-on-failure --no-tests=ignore -j "$jobs" \
      --timeout "$CTEST_TIMEOUT" --output-junit "$RESULTS/$name.xml" "$@"; then
    failures+=("ctest $name")
  fi
}

step "install dependencies"
bash scripts/install-deps.sh --test || fatal "scripts/install-deps.sh --test"
step "docker daemon"
bash scripts/docker-up.sh || fatal "scripts/docker-up.sh (no Docker daemon)"

step "configure + build $BUILD"
configure "$BUILD" RelWithDebInfo || fatal "cmake configure $BUILD"
nice cmake --build "$BUILD" -j "$JOBS" || fatal "build $BUILD"

step "test images"
bash scripts/build-images.sh || fatal "scripts/build-images.sh"
step "test registry"
bash scripts/registry-up.sh || fatal "scripts/registry-up.sh"

run_ctest unit "$BUILD" "$JOBS" -L unit
run_ctest others "$BUILD" "$TEST_JOBS" -LE unit

if [[ "${SANDBOX_RUN_SKIP_ASAN:-0}" != 1 ]]; then
  step "configure + build $ASAN_BUILD (ASan + UBSan: unit tests, sandbox-egress)"
  # Debug (-O0): compiles much faster than -O2 on 2 cores; the tests are quick either way.
  if configure "$ASAN_BUILD" Debug -DSANDBOX_RUN_SANITIZE=ON; then
    # The unit test executables (and gate_corpus_tool, which the unit-labelled
    # corpus replay and h11 check run) and the engine binary (for the proxy
    # integration tests); sandbox-run is not run from this tree.
    mapfile -t unit_targets < <(ninja -C "$ASAN_BUILD" -t targets all |
      awk -F: '$1 ~ /^(unit_[A-Za-z0-9_]+|gate_corpus_tool)$/ {print $1}' | sort -u)
    if ((${#unit_targets[@]})) && nice cmake --build "$ASAN_BUILD" -j "$JOBS" --target "${unit_targets[@]}"; then
      ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1} \
      UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        run_ctest unit-asan "$ASAN_BUILD" "$JOBS" -L unit
    elif ((${#unit_targets[@]})); then
      failures+=("build $ASAN_BUILD (unit tests)")
    fi
    # The engine's tests start sandbox-egress through $ASAN_BUILD/sanitize-bin/,
    # which sets the sanitizer options itself and collects the reports; the
    # ctest fixture integration.proxy.sanitizer_reports fails on any of them.
    if nice cmake --build "$ASAN_BUILD" -j "$JOBS" --target sandbox-egress; then
      run_ctest proxy-asan "$ASAN_BUILD" "$TEST_JOBS" -L integration -R '^integration[.]proxy[.]'
    else
      failures+=("build $ASAN_BUILD (sandbox-egress)")
    fi
  else
    failures+=("configure $ASAN_BUILD")
  fi
fi

if [[ "${SANDBOX_RUN_SKIP_FUZZ_REPLAY:-0}" != 1 ]]; then
  step "fuzz corpus replay (libFuzzer -runs=0, every target)"
  bash scripts/fuzz.sh --replay || failures+=("fuzz corpus replay")
fi

# One closing line over all phases, from ctest's JUnit reports.
step "summary"
python3 - "$RESULTS" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.xml")):
    for case in ET.parse(path).getroot().iter("testcase"):
        status = case.get("status", "")
        if case.find("failure") is not None or case.find("error") is not None or status == "fail":
            failed += 1
        elif case.find("skipped") is not None or status in ("notrun", "disabled"):
            skipped += 1
        else:
            passed += 1
print("tests: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
PY
if ((${#failures[@]})); then
  echo "test.sh: FAILED: ${failures[*]}" >&2
  exit 1
fi
echo "test.sh: all steps passed"
