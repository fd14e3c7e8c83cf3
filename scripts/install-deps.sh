#!/usr/bin/env bash
# Installs the Debian packages the project needs to build, test and run the demo.
# Idempotent: asks dpkg which packages are missing and only then runs apt-get.
# Every dependency comes from Debian's archive; nothing is downloaded otherwise.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang
  # libraries (cmake/Dependencies.cmake)
  libcurl4-openssl-dev nlohmann-json3-dev libyaml-cpp-dev libboost-all-dev
  catch2 libcli11-dev libfmt-dev libarchive-dev libssl-dev
  # the Docker engine the tests run against, and the local registry for pull tests
  docker.io docker-registry iptables iproute2
  # test images (scripts/build-images.sh)
  busybox-static debootstrap gpgv
  # test harness and benchmarks
  curl python3
  # the differential check of the request gate (tests/integration/proxy/gate_h11.py)
  python3-h11
  # fuzzing (scripts/fuzz.sh): clang >= 16 for std::expected, libFuzzer runtime
  clang-16 libclang-rt-16-dev
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
