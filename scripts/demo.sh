#!/usr/bin/env bash
# The README's first command: installs the smallest set of packages that
# builds and runs it (scripts/install-deps.sh --demo: no test or fuzzing
# toolchains, and no docker.io when a Docker engine is already there), builds
# the two binaries, and runs a sandbox through sandbox-run on a locally built image.
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
  bash scripts/install-deps.sh --demo
  bash scripts/docker-up.sh
}

demo_build() {
  say "building $BUILD/bin/sandbox-run and sandbox-egress"
  local gen=(-G Ninja)
  [[ -f "$BUILD/CMakeCache.txt" ]] && gen=()
  # SANDBOX_RUN_TESTS is left as the tree has it; a new tree builds no tests
  # (Catch2 is installed by the test command only).
  local tests=()
  [[ -f "$BUILD/CMakeCache.txt" ]] || tests=(-DSANDBOX_RUN_TESTS=OFF)
  cmake -S "$ROOT" -B "$BUILD" "${gen[@]}" "${tests[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  nice cmake --build "$BUILD" -j "$JOBS" --target sandbox-run sandbox-egress
}

demo_images() {
  say "building the local test images (no registry, cached)"
  bash scripts/build-images.sh busybox tools
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

SANDBOX_EGRESS="$ROOT/$BUILD/bin/sandbox-egress"
TOOLS_IMAGE=sandbox-run-test/tools:latest
DEMO_KEY=sk-demo-real-openai-key-4f7c2a9e1b
# Tunnel port for the demo's egress daemon (it also uses +1 and +2): below the
# kernel's ephemeral range (32768-60999), where an outgoing connection could
# already hold it, and apart from the test suites' blocks (19290-19649).
DEMO_TUNNEL_PORT=${SANDBOX_RUN_DEMO_TUNNEL_PORT:-19700}
EGRESS_TMP=""
UPSTREAM_PID=""

egress_cleanup() {
  [[ -n "$EGRESS_TMP" ]] || return 0
  SANDBOX_RUN_HOME="$EGRESS_TMP/home" "$SANDBOX_EGRESS" stop >/dev/null 2>&1 || true
  # disable removes the SANDBOX-EGRESS-<port> firewall chain setup installed.
  SANDBOX_RUN_HOME="$EGRESS_TMP/home" "$SANDBOX_EGRESS" disable >/dev/null 2>&1 || true
  [[ -n "$UPSTREAM_PID" ]] && kill "$UPSTREAM_PID" 2>/dev/null && wait "$UPSTREAM_PID" 2>/dev/null
  rm -rf "$EGRESS_TMP"
  EGRESS_TMP=""
}

# Credential-injecting egress, end to end and offline: a local HTTPS stand-in
# plays api.openai.com (its own throwaway CA); the built-in engine is told to
# trust that CA (SSL_CERT_FILE) and to resolve the provider host to it
# (SANDBOX_EGRESS_SERVE_ARGS=--resolve ...). The sandbox only ever holds a
# proxy token; the stand-in receives the real key.
demo_egress() {
  say "egress: a sandbox calls api.openai.com with a proxy token; the provider gets the real key"
  EGRESS_TMP=$(mktemp -d /tmp/sandbox-run-demo.XXXXXX)
  trap egress_cleanup EXIT
  local home="$EGRESS_TMP/home"
  mkdir -p "$home"
  python3 scripts/demo_upstream.py --dir "$EGRESS_TMP" --port 443 &
  UPSTREAM_PID=$!
  for _ in $(seq 100); do [[ -f "$EGRESS_TMP/ready" ]] && break; sleep 0.1; done
  [[ -f "$EGRESS_TMP/ready" ]] || { echo "demo: the provider stand-in did not start" >&2; return 1; }
  echo "provider stand-in listening on 127.0.0.1:443 (test CA $EGRESS_TMP/upstream-ca.crt)"
  # The stand-in is on loopback, so loopback is left out of the deny list here.
  cat >"$home/config.yaml" <<YAML
proxy:
  enabled: true
  engine: builtin
  tunnel_port: $DEMO_TUNNEL_PORT
  upstream_deny_cidrs: ["::1/128", "169.254.0.0/16", "fe80::/10", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "100.64.0.0/10", "198.18.0.0/15", "0.0.0.0/8", "::/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fec0::/10", "224.0.0.0/4", "ff00::/8", "240.0.0.0/4"]
YAML
  export SANDBOX_RUN_HOME="$home"
  echo "\$ OPENAI_API_KEY=${DEMO_KEY:0:6}*** sandbox-egress setup"
  OPENAI_API_KEY="$DEMO_KEY" "$SANDBOX_EGRESS" setup
  echo "\$ sandbox-egress start   (built-in engine)"
  OPENAI_API_KEY="$DEMO_KEY" SSL_CERT_FILE="$EGRESS_TMP/upstream-ca.crt" \
    SANDBOX_EGRESS_SERVE_ARGS="--resolve api.openai.com:443:127.0.0.1" "$SANDBOX_EGRESS" start
  local script='env | grep OPENAI
curl -sS -f -o /dev/null -w "GET /v1/models -> HTTP %{http_code}\n" https://api.openai.com/v1/models -H "Authorization: Bearer $OPENAI_API_KEY"'
  echo "\$ sandbox-run --rm $TOOLS_IMAGE sh -c '...'"
  local out status=0
  out=$("$SANDBOX_RUN" --rm "$TOOLS_IMAGE" sh -c "$script") || status=$?
  echo "--- what the sandbox saw:"
  echo "$out"
  local received
  received=$(python3 -c 'import json,sys
for line in open(sys.argv[1]):
    a = json.loads(line)["headers"].get("authorization", "")
    print(a[len("Bearer "):] if a.startswith("Bearer ") else a)' "$EGRESS_TMP/received.jsonl" 2>/dev/null | tail -1)
  echo "--- what the provider received: Authorization: Bearer ${received:0:6}***"
  "$SANDBOX_EGRESS" stop
  egress_cleanup
  trap - EXIT
  unset SANDBOX_RUN_HOME
  if ((status != 0)); then echo "demo: the sandbox's request failed (status $status)" >&2; return 1; fi
  if [[ "$received" != "$DEMO_KEY" ]]; then
    echo "demo: the provider did not receive the real key" >&2; return 1
  fi
  if grep -q "$DEMO_KEY" <<<"$out"; then echo "demo: the real key leaked into the sandbox" >&2; return 1; fi
  echo "the sandbox held only a proxy token; the provider received the real key"
}

STEPS=(demo_setup demo_build demo_images demo_sandbox demo_egress)

for step in "${STEPS[@]}"; do
  "$step"
done
say "done"
