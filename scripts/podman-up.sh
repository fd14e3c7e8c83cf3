#!/usr/bin/env bash
# Runs Podman's Docker-compatible API (Debian's podman, rootful) on a private
# socket and loads the locally built test images into Podman's own store
# (docker save | podman load: nothing is pulled).
#   scripts/podman-up.sh [DIR]        start (if not running); prints DOCKER_HOST=unix://DIR/podman.sock
#   scripts/podman-up.sh --down [DIR] stop the service this script started (DIR/podman.pid)
# DIR defaults to /run/sandbox-run-podman. Debian's podman 4.3 cannot start a
# container here unless default_ulimits is emptied: its default open-files
# limit is above the machine's hard limit, so DIR/containers.conf says
# default_ulimits = [] and the service runs with CONTAINERS_CONF pointing at it.
# Needs: scripts/install-deps.sh --test (podman, catatonit), scripts/build-images.sh.
set -euo pipefail

down=0
if [[ ${1:-} == --down ]]; then down=1; shift; fi
DIR=${1:-/run/sandbox-run-podman}
SOCK=$DIR/podman.sock
PIDFILE=$DIR/podman.pid
IMAGES=(sandbox-run-test/busybox:latest sandbox-run-test/tools:latest)

running() { [[ -s $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

if ((down)); then
  if running; then kill "$(cat "$PIDFILE")"; fi
  rm -f "$PIDFILE" "$SOCK"
  exit 0
fi

command -v podman >/dev/null || { echo "podman-up: podman not found; run scripts/install-deps.sh --test" >&2; exit 1; }
install -d -m 0700 "$DIR"
printf '[containers]\ndefault_ulimits = []\n' >"$DIR/containers.conf"
export CONTAINERS_CONF=$DIR/containers.conf

if ! running; then
  rm -f "$SOCK"
  setsid podman system service --time=0 "unix://$SOCK" >"$DIR/service.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 100); do
    curl -fsS --max-time 2 --unix-socket "$SOCK" http://podman/_ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS --max-time 2 --unix-socket "$SOCK" http://podman/_ping >/dev/null ||
    { echo "podman-up: the service does not answer on $SOCK; see $DIR/service.log" >&2; exit 1; }
fi

for image in "${IMAGES[@]}"; do
  docker image inspect "$image" >/dev/null 2>&1 || continue
  want=$(docker image inspect --format '{{.Id}}' "$image")
  have=$(podman image inspect --format '{{.Id}}' "localhost/$image" 2>/dev/null || true)
  [[ "sha256:$have" == "$want" || "$have" == "$want" ]] || docker save "$image" | podman load -q >/dev/null
done
echo "DOCKER_HOST=unix://$SOCK"
