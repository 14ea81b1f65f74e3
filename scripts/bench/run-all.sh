#!/usr/bin/env bash
# Runs every benchmark and prints its figures. Not part of the test suite (timings vary).
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsx scripts/bench/fanout.ts "$@"
npx tsx scripts/bench/programme.ts
npx tsx scripts/bench/check-waves.ts
npx tsx scripts/bench/cascade.ts
npx tsx scripts/bench/glass.ts
