#!/usr/bin/env bash
# Makes sure a local registry answers at 127.0.0.1:5000 (Debian's docker-registry,
# storage under $SANDBOX_RUN_CACHE/registry, log in $SANDBOX_RUN_REGISTRY_LOG) and
# pushes the busybox test image there as
#   127.0.0.1:5000/sandbox-run-test/busybox:latest
# for the pull tests. Docker treats 127.0.0.0/8 registries as insecure (plain
# HTTP) by default, so no daemon configuration is needed.
# Needs: scripts/docker-up.sh and scripts/build-images.sh busybox before it.
set -euo pipefail

ADDR=127.0.0.1:5000
CACHE=${SANDBOX_RUN_CACHE:-/var/cache/sandbox-run}
LOG=${SANDBOX_RUN_REGISTRY_LOG:-/var/log/sandbox-run-registry.log}
SOURCE=sandbox-run-test/busybox:latest
TARGET=$ADDR/sandbox-run-test/busybox:latest

answers() { curl -fsS --max-time 3 "http://$ADDR/v2/" >/dev/null 2>&1; }

if answers; then
  echo "registry-up: registry answers at $ADDR"
else
  command -v docker-registry >/dev/null ||
    { echo "registry-up: docker-registry not found; run scripts/install-deps.sh" >&2; exit 1; }
  mkdir -p "$CACHE/registry" "$(dirname "$LOG")"
  config=$(mktemp /tmp/sandbox-run-registry.XXXXXX.yml)
  cat >"$config" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $CACHE/registry
  delete:
    enabled: true
http:
  addr: $ADDR
YAML
  echo "registry-up: starting docker-registry on $ADDR, log in $LOG"
  setsid docker-registry serve "$config" </dev/null >>"$LOG" 2>&1 &
  for ((i = 0; i < 60; i++)); do
    answers && break
    sleep 0.5
  done
  rm -f "$config"  # read once at start
  if ! answers; then
    echo "registry-up: registry did not answer on $ADDR within 30 s; last lines of $LOG:" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
  echo "registry-up: registry answers at $ADDR"
fi

docker image inspect "$SOURCE" >/dev/null 2>&1 ||
  { echo "registry-up: $SOURCE missing; run scripts/build-images.sh busybox first" >&2; exit 1; }
docker tag "$SOURCE" "$TARGET"
docker push -q "$TARGET" >/dev/null
echo "registry-up: pushed $TARGET"
