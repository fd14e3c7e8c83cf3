#!/usr/bin/env bash
# The README's main-job command: installs what is needed, builds, and runs a
# sandbox through sandbox-run on a locally built image.
# Each demo_* step prints what it does and stops the demo when it fails; add
# steps by writing a function and listing it in STEPS.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${SANDBOX_RUN_BUILD_DIR:-build}
JOBS=${SANDBOX_RUN_JOBS:-2}
SANDBOX_RUN="$ROOT/$BUILD/bin/sandbox-run"
IMAGE=sandbox-run-test/busybox:latest

say() { printf '\n==== demo: %s\n' "$*"; }

demo_setup() {
  say "installing dependencies and starting the Docker daemon"
  bash scripts/install-deps.sh
  bash scripts/docker-up.sh
}

demo_build() {
  say "building $BUILD/bin/sandbox-run and sandbox-egress"
  local gen=(-G Ninja)
  [[ -f "$BUILD/CMakeCache.txt" ]] && gen=()
  cmake -S "$ROOT" -B "$BUILD" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  nice cmake --build "$BUILD" -j "$JOBS" --target sandbox-run sandbox-egress
}

demo_images() {
  say "building the local test images (no registry, cached)"
  bash scripts/build-images.sh busybox
}

demo_sandbox() {
  say "running a sandbox: sandbox-run --rm $IMAGE sh -c ..."
  local script='echo "hello from $(hostname), a $(uname -s) container"
echo "user: $(id)"
echo "root filesystem: $(ls / | tr "\n" " ")"
echo "exiting with status 7"; exit 7'
  local status=0 name="sandbox-run-demo-$$"
  "$SANDBOX_RUN" --rm --name "$name" "$IMAGE" sh -c "$script" || status=$?
  echo "sandbox-run exit status: $status"
  if ((status != 7)); then
    echo "demo: expected exit status 7 from the container, got $status" >&2
    return 1
  fi
  if docker container inspect "$name" >/dev/null 2>&1; then
    echo "demo: container $name still exists after --rm" >&2
    return 1
  fi
  echo "container $name was removed (--rm)"
}

STEPS=(demo_setup demo_build demo_images demo_sandbox)

for step in "${STEPS[@]}"; do
  "$step"
done
say "done"
