#!/usr/bin/env bash
# The whole suite (npm test): lint, then the typecheck beside mediasoup's own tests (two cores:
# one each), then our tests one file at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent lint
npm run --silent typecheck &
typecheck=$!
npm run --silent test:mediasoup
wait "$typecheck"
npx tap
