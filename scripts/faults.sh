#!/usr/bin/env bash
# The fault-injection suite (tests/integration/faults/) with its long
# settings: the engine under 1,000 concurrent loopback connections for 60 s
# (plus 4 sandboxes sending HTTPS through the tunnel), 50 concurrent
# launches, kill -9 of the egress daemon, a private dockerd restarted under
# an attached sandbox-run, SIGINT during pull/create/attach, a full tmpfs
# state directory, malformed inputs everywhere. ctest runs the same files
# with short settings (200 connections for 10 s); this script takes about
# 3 minutes (2.5 min of tests measured on 2 cores). Needs root (tmpfs
# mounts, a private dockerd) and a built tree; starts dockerd, the test images and the local registry like test.sh.
#
# usage: scripts/faults.sh [input|docker|egress|engine]...   (default: all)
# env:   SANDBOX_RUN_BUILD_DIR (default build), SR_FAULTS_CONNS (1000),
#        SR_FAULTS_SECONDS (60), SR_FAULTS_SANDBOXES (4), SR_FAULTS_CONCURRENT (50)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${SANDBOX_RUN_BUILD_DIR:-build}
export SR_BIN_DIR=${SR_BIN_DIR:-$ROOT/$BUILD/bin}
export SR_FAULTS_CONNS=${SR_FAULTS_CONNS:-1000}
export SR_FAULTS_SECONDS=${SR_FAULTS_SECONDS:-60}
export SR_FAULTS_SANDBOXES=${SR_FAULTS_SANDBOXES:-4}
export SR_FAULTS_CONCURRENT=${SR_FAULTS_CONCURRENT:-50}
export SANDBOX_RUN_REQUIRE_DOCKER=1
areas=("$@")
((${#areas[@]})) || areas=(input docker egress engine)

for bin in sandbox-run sandbox-egress; do
  [[ -x "$SR_BIN_DIR/$bin" ]] ||
    { echo "faults.sh: $SR_BIN_DIR/$bin missing; build first (cmake --build $BUILD)" >&2; exit 1; }
done
bash scripts/docker-up.sh || { echo "faults.sh: no Docker daemon" >&2; exit 1; }
bash scripts/build-images.sh || { echo "faults.sh: scripts/build-images.sh failed" >&2; exit 1; }
bash scripts/registry-up.sh || { echo "faults.sh: scripts/registry-up.sh failed" >&2; exit 1; }

failed=()
for area in "${areas[@]}"; do
  file=tests/integration/faults/test_${area}_faults.py
  [[ -f "$file" ]] || { echo "faults.sh: unknown area '$area' (input, docker, egress, engine)" >&2; exit 2; }
  echo "==== faults.sh: $area ($(date -u +%H:%M:%S))"
  start=$(date +%s)
  python3 "$file" || failed+=("$area")
  echo "==== faults.sh: $area took $(($(date +%s) - start)) s"
done
# Whatever happened above, the daemon other work relies on must answer.
bash scripts/docker-up.sh >/dev/null || failed+=("dockerd not answering at the end")
if ((${#failed[@]})); then
  echo "faults.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "faults.sh: all fault-injection cases passed"
