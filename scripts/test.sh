#!/usr/bin/env bash
# The test suite in tiers (README, Development). Usage:
#   scripts/test.sh            everything (npm test): lint, typecheck beside mediasoup's own tests,
#                              then every tier
#   scripts/test.sh unit api   only those tiers (npm run test:unit is `scripts/test.sh unit`)
# Tiers, cheapest first; a tier runs its files `jobs` at a time. Pages in Chromium (media),
# several nodes (cluster), measured links and starved CPUs (measure) run one file at a time: on
# 2 cores, media files two at a time failed a different timing assertion in 3 of 4 clean-clone
# runs (a check's bandwidth, a recording's length, a banner within 2 s).
set -uo pipefail
cd "$(dirname "$0")/.."

declare -A jobs=([unit]=4 [api]=3 [media]=1 [cluster]=1 [measure]=1)
all_tiers=(unit api media cluster measure)

run_tier() {
  local tier=$1
  local files=(test/"$tier"/*.test.ts)
  [ -e "${files[0]}" ] || return 0
  local started=$SECONDS
  printf '\n\033[1m==> tier %s: %d files, %d at a time\033[0m\n' "$tier" "${#files[@]}" "${jobs[$tier]}"
  npx tap --jobs="${jobs[$tier]}" "${files[@]}"
  local rc=$?
  printf '==> tier %s: rc %d in %d s\n' "$tier" "$rc" $((SECONDS - started))
  return $rc
}

failed=()
if [ $# -eq 0 ]; then
  set -e
  npm run --silent lint
  npm run --silent typecheck &
  typecheck=$!
  npm run --silent test:mediasoup
  wait "$typecheck"
  set +e
  tiers=("${all_tiers[@]}")
else
  tiers=("$@")
fi

for tier in "${tiers[@]}"; do
  if [ -z "${jobs[$tier]:-}" ]; then
    echo "unknown tier: $tier (tiers: ${all_tiers[*]})" >&2
    exit 2
  fi
  run_tier "$tier" || failed+=("$tier")
done

# Every test file belongs to a tier: a file left in test/ itself would never run.
stray=$(find test -maxdepth 1 -name '*.test.ts')
if [ -n "$stray" ]; then
  echo "test files outside a tier folder (move them to test/<tier>/): $stray" >&2
  failed+=(layout)
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
