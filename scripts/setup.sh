#!/usr/bin/env bash
# Sets up diemcau on a Debian machine with only Node, npm and apt. Idempotent: a second run
# only checks what is there. Usage: scripts/setup.sh [--test]
#   --test   also install what the test suite needs (iproute2, nftables, coturn, tinyproxy).
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    *) echo "usage: scripts/setup.sh [--test]" >&2; exit 2 ;;
  esac
done

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
started=$SECONDS

# --- Node ---------------------------------------------------------------------------------
step "Node.js"
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi
info "node $(node --version), npm $(npm --version 2>/dev/null)"

# --- Debian packages ------------------------------------------------------------------------
# Runtime: everything a feature spawns, so line 1 of the README leaves nothing missing
# (test/unit/setup-packages.test.ts checks this list against the binaries the code starts):
# redis-server and redis-cli (backups); the programme composer (broadcast/composer.py):
# GStreamer from Debian, driven by python3-gi, text drawn with Pango and Noto; FFmpeg (RTMP live
# out); Chromium (PDF documents) with fonts; openssl (npm run cert). Worker build:
# scripts/build-mediasoup-worker.sh.
packages=(redis-server redis-tools python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
  gstreamer1.0-libav gstreamer1.0-x ffmpeg chromium fonts-noto-core fonts-dejavu-core openssl ca-certificates
  util-linux tar meson ninja-build pkg-config gcc g++ make patch python3 libssl-dev
  libuv1-dev libusrsctp-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler dpkg-dev)
if [ "$want_test" = 1 ]; then
  # Network namespaces and their firewalls (iproute2, nftables), the TURN server (schools behind
  # closed firewalls, the doctor's check), a web proxy (schools behind one), the WHIP ingest
  # test's encoder (simple-whip-client), PDF text read back (poppler-utils: pdftotext).
  packages+=(iproute2 nftables coturn tinyproxy simple-whip-client poppler-utils)
fi
step "Debian packages"
missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  info "all ${#packages[@]} packages present"
else
  info "missing: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then apt=(apt-get); elif command -v sudo >/dev/null; then apt=(sudo apt-get); else
    echo "Installing Debian packages needs root. Run as root:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# --- mediasoup worker (built from the npm package's sources; cached outside the clone) -----
step "mediasoup worker"
worker_bin=$(bash scripts/build-mediasoup-worker.sh)
info "worker: $worker_bin"

# --- npm packages -------------------------------------------------------------------------
step "npm packages"
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
stamp=node_modules/.diemcau-npm-$lock_hash
if [ -f "$stamp" ]; then
  info "node_modules matches package-lock.json"
else
  # With MEDIASOUP_WORKER_BIN set, mediasoup's postinstall skips its download. Not `npm ci`:
  # some registries (and mirrors on closed networks) lack other platforms' optional packages,
  # which npm ci refuses; `npm install --no-save` installs the locked versions without them.
  MEDIASOUP_WORKER_BIN="$worker_bin" npm install --no-save --no-audit --no-fund --loglevel=error >&2
  touch "$stamp"
fi
# mediasoup looks for its worker here when MEDIASOUP_WORKER_BIN is not set at run time.
dest=node_modules/mediasoup/worker/out/Release/mediasoup-worker
if ! cmp -s "$worker_bin" "$dest" 2>/dev/null; then
  mkdir -p "$(dirname "$dest")"
  cp "$worker_bin" "$dest.tmp" && mv "$dest.tmp" "$dest"
fi
info "installed worker at $dest"

# --- build ----------------------------------------------------------------------------------
step "build (server and web pages)"
npm run --silent build >&2

step "done in $((SECONDS - started)) s"
