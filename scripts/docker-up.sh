#!/usr/bin/env bash
# Makes sure a Docker daemon answers GET /_ping at $DOCKER_HOST
# (default unix:///var/run/docker.sock). When nothing answers on a unix socket,
# starts Debian's dockerd in the background in its own session, logging to
# $SANDBOX_RUN_DOCKERD_LOG, and waits up to 60 s for /_ping.
# Exit status: 0 when the daemon answers; non-zero with the log tail otherwise.
set -euo pipefail

DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}
LOG=${SANDBOX_RUN_DOCKERD_LOG:-/var/log/sandbox-run-dockerd.log}
PIDFILE=${SANDBOX_RUN_DOCKERD_PIDFILE:-/var/run/docker.pid}
WAIT_SECONDS=${SANDBOX_RUN_DOCKERD_WAIT:-60}

ping_daemon() {
  case "$DOCKER_HOST" in
    unix://*)
      curl -fsS --max-time 3 --unix-socket "${DOCKER_HOST#unix://}" http://docker/_ping >/dev/null 2>&1 ;;
    tcp://*)
      local scheme=http args=()
      if [[ -n "${DOCKER_TLS_VERIFY:-}" ]]; then
        local certs=${DOCKER_CERT_PATH:-$HOME/.docker}
        scheme=https
        args=(--cacert "$certs/ca.pem" --cert "$certs/cert.pem" --key "$certs/key.pem")
      fi
      curl -fsS --max-time 3 "${args[@]}" "$scheme://${DOCKER_HOST#tcp://}/_ping" >/dev/null 2>&1 ;;
    *)
      echo "docker-up: unsupported DOCKER_HOST '$DOCKER_HOST' (expected unix:// or tcp://)" >&2
      exit 2 ;;
  esac
}

if ping_daemon; then
  echo "docker-up: daemon answers at $DOCKER_HOST"
  exit 0
fi

if [[ "$DOCKER_HOST" != unix://* ]]; then
  echo "docker-up: nothing answers at $DOCKER_HOST; start that daemon yourself (only unix sockets are started here)" >&2
  exit 1
fi
if ! command -v dockerd >/dev/null; then
  echo "docker-up: dockerd not found; run scripts/install-deps.sh (package docker.io)" >&2
  exit 1
fi

# A dockerd that is still starting owns the pidfile: wait for it instead of
# starting a second one (which would refuse to run anyway).
if [[ -s "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "docker-up: dockerd (pid $(cat "$PIDFILE")) is running but not answering yet; waiting"
else
  echo "docker-up: starting dockerd -H $DOCKER_HOST, log in $LOG"
  mkdir -p "$(dirname "$LOG")"
  # setsid: its own session, so neither Ctrl-C nor the end of this script's
  # process group reaches it.
  setsid dockerd -H "$DOCKER_HOST" </dev/null >>"$LOG" 2>&1 &
fi

for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
  if ping_daemon; then
    echo "docker-up: daemon answers at $DOCKER_HOST after $((i / 2)) s"
    exit 0
  fi
  sleep 0.5
done

echo "docker-up: dockerd did not answer GET /_ping within ${WAIT_SECONDS} s; last lines of $LOG:" >&2
tail -n 40 "$LOG" >&2 || true
if [[ -s "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "docker-up: note: dockerd pid $(cat "$PIDFILE") is running; is it listening on another socket than $DOCKER_HOST?" >&2
fi
exit 1
