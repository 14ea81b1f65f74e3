#!/usr/bin/env bash
# mediasoup's own test suite (the npm package's node/lib/test, jest) against the worker we
# build with our patch: it guards every change to the patch or to the mediasoup version.
# The suite needs a DTLS certificate and key in node/lib/test/data/: generated here (openssl).
set -euo pipefail
cd "$(dirname "$0")/.."
tests=node_modules/mediasoup/node/lib/test
mkdir -p "$tests/data"
if [ ! -s "$tests/data/dtls-cert.pem" ] || [ ! -s "$tests/data/dtls-key.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj '/CN=mediasoup-test' -keyout "$tests/data/dtls-key.pem" -out "$tests/data/dtls-cert.pem" \
    2>/dev/null
fi
# The worker setup.sh built and installed (the patched one), not a downloaded prebuild.
export MEDIASOUP_WORKER_BIN="${MEDIASOUP_WORKER_BIN:-$PWD/node_modules/mediasoup/worker/out/Release/mediasoup-worker}"
# jest ignores node_modules by default; the suite lives there. One worker: 2 cores are shared.
exec npx jest --rootDir "$tests" --testRegex 'test-.*\.js$' --testPathIgnorePatterns '/data/' \
  --haste '{"retainAllFiles":true}' --runInBand --silent "$@"
