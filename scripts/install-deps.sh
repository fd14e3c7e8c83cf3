#!/usr/bin/env bash
# Installs the Debian packages sandbox-run needs, by purpose:
#
#   install-deps.sh --run     running it: a Docker engine (only when none is
#                             installed), iptables (isolation: internal), curl
#   install-deps.sh --build   --run + the compiler, the libraries, help2man
#   install-deps.sh --demo    --build + what scripts/demo.sh uses (the test-image
#                             tools, python3); the README's first command
#   install-deps.sh --test    --demo + what scripts/test.sh and CI use (Catch2,
#   (the default)             the local registry, clang-16 and the libFuzzer
#                             runtime, the .deb and man-page tools, zsh, nodejs)
#
# Idempotent: asks dpkg which packages are missing and only then runs apt-get,
# after saying what it will install. Every dependency comes from Debian's
# archive; nothing is downloaded otherwise.
#
# A Docker engine is installed (Debian's docker.io) only when none is present:
# not when Docker CE (docker-ce) or docker.io is installed, when any dockerd
# is on PATH, or when a daemon answers GET /_ping at $DOCKER_HOST (default
# unix:///var/run/docker.sock). Installing docker.io next to Docker CE would
# make apt remove Docker CE.
set -euo pipefail

RUN=(iptables iproute2 curl ca-certificates)
BUILD=(
  build-essential cmake ninja-build pkg-config git help2man
  # cmake/Dependencies.cmake (Boost: the header-only Asio, Beast and Process, plus Boost.Filesystem)
  libcurl4-openssl-dev nlohmann-json3-dev libyaml-cpp-dev libboost-dev libboost-filesystem-dev
  libcli11-dev libfmt-dev libarchive-dev libssl-dev
  # SHA-256 and base64 (loaded with dlopen by src/util/nettle_api.cpp: headers only at build time)
  nettle-dev
)
DEMO=(
  # test images (scripts/build-images.sh) and the demo's provider stand-in
  busybox-static debootstrap gpgv python3
)
TEST=(
  catch2
  # the local registry for the pull tests (scripts/registry-up.sh)
  docker-registry
  # htpasswd (bcrypt) for the registry-auth test's password file
  apache2-utils
  # Podman's Docker-compatible API for the differential suite (scripts/podman-up.sh);
  # catatonit is its --init
  podman catatonit
  # the .deb (cpack, dpkg-shlibdeps), `man` for the installed pages, zsh -n on the completion
  dpkg-dev man-db zsh
  # examples/node tests, docs/traffic-path diagram (scripts/diagram.sh)
  nodejs graphviz
  # the differential check of the request gate (tests/integration/proxy/gate_h11.py)
  python3-h11
  # fuzzing (scripts/fuzz.sh): clang >= 16 for std::expected, libFuzzer runtime
  clang clang-16 libclang-rt-16-dev
)

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }

mode=test
case "${1:-}" in
  --run) mode=run ;;
  --build) mode=build ;;
  --demo) mode=demo ;;
  --test|"") mode=test ;;
  -h|--help) usage; exit 0 ;;
  *) echo "install-deps: unknown option '$1'" >&2; usage >&2; exit 2 ;;
esac

PACKAGES=("${RUN[@]}")
[[ $mode == run ]] || PACKAGES+=("${BUILD[@]}")
[[ $mode == run || $mode == build ]] || PACKAGES+=("${DEMO[@]}")
[[ $mode == test ]] && PACKAGES+=("${TEST[@]}")

installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]; }

# docker_engine -> prints what Docker engine is present; fails when none is.
docker_engine() {
  local pkg
  for pkg in docker-ce docker.io moby-engine; do
    installed "$pkg" && { echo "package $pkg"; return 0; }
  done
  local dockerd
  if dockerd=$(command -v dockerd 2>/dev/null); then echo "$dockerd"; return 0; fi
  local host=${DOCKER_HOST:-unix:///var/run/docker.sock}
  if [[ $host == unix://* ]] && command -v curl >/dev/null &&
     curl -fsS --max-time 3 --unix-socket "${host#unix://}" http://docker/_ping >/dev/null 2>&1; then
    echo "a daemon answering at $host"; return 0
  fi
  return 1
}

if engine=$(docker_engine); then
  echo "install-deps: Docker engine present ($engine): not installing docker.io"
  if [[ $mode == test ]] && ! command -v docker >/dev/null; then
    # The integration tests and scripts/build-images.sh use the docker CLI.
    echo "install-deps: warning: no docker CLI on PATH; the tests need one (Docker CE: docker-ce-cli)" >&2
  fi
else
  echo "install-deps: no Docker engine found (no docker-ce or docker.io package, no dockerd on PATH," \
       "nothing answering at ${DOCKER_HOST:-unix:///var/run/docker.sock}): Debian's docker.io will be installed"
  PACKAGES+=(docker.io)
fi

# npm for the node-sdk test image (scripts/build-images.sh): Debian's package,
# unless a nodejs that ships its own npm is installed already.
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for pkg in "${PACKAGES[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages for --$mode present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi
echo "install-deps: --$mode: installing ${#missing[@]} missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
