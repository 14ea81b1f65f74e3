#!/usr/bin/env bash
# The test suite in tiers (README, Development). Usage:
#   scripts/test.sh            everything (npm test): lint, then the unit and API tiers beside the
#                              typecheck and mediasoup's own tests, then the other tiers
#   scripts/test.sh unit api   only those tiers (npm run test:unit is `scripts/test.sh unit`)
# Tiers, cheapest first; a tier runs its files `jobs` at a time, then the files whose first line
# is "// runs alone: <why>" one at a time. Several nodes (cluster), measured links and starved
# CPUs (measure) run one at a time; pages in Chromium (media) two at a time, but those that
# judge timing run alone: on 2 cores, media files two at a time failed a different timing
# assertion in 3 of 4 clean-clone runs (a check's bandwidth, a recording's length, a banner
# within 2 s).
set -uo pipefail
cd "$(dirname "$0")/.."

declare -A jobs=([unit]=4 [api]=3 [media]=2 [cluster]=1 [measure]=1)
all_tiers=(unit api media cluster measure)

run_tier() {
  local tier=$1
  local files=(test/"$tier"/*.test.ts)
  [ -e "${files[0]}" ] || return 0
  local started=$SECONDS rc=0
  # A file whose first line says "// runs alone:" runs by itself after the others.
  local alone=() paired=()
  for f in "${files[@]}"; do
    if head -n 1 "$f" | grep -q '^// runs alone:'; then alone+=("$f"); else paired+=("$f"); fi
  done
  printf '\n\033[1m==> tier %s: %d files, %d at a time, then %d alone\033[0m\n' \
    "$tier" "${#paired[@]}" "${jobs[$tier]}" "${#alone[@]}"
  if [ ${#paired[@]} -gt 0 ]; then npx tap --jobs="${jobs[$tier]}" "${paired[@]}" || rc=1; fi
  if [ ${#alone[@]} -gt 0 ]; then npx tap --jobs=1 "${alone[@]}" || rc=1; fi
  printf '==> tier %s: rc %d in %d s\n' "$tier" "$rc" $((SECONDS - started))
  return $rc
}

failed=()
for tier in "$@"; do
  if [ -z "${jobs[$tier]:-}" ]; then
    echo "unknown tier: $tier (tiers: ${all_tiers[*]})" >&2
    exit 2
  fi
done
if [ $# -eq 0 ]; then
  set -e
  npm run --silent lint
  set +e
  # The typecheck (CPU) and mediasoup's own tests (mostly waiting: ~6 s of CPU in ~50 s) run
  # beside the unit and API tiers; both must be done before the tiers that start pages.
  log=$(mktemp -d)
  npm run --silent typecheck >"$log/typecheck" 2>&1 &
  typecheck=$!
  npm run --silent test:mediasoup >"$log/mediasoup" 2>&1 &
  mediasoup=$!
  run_tier unit || failed+=(unit)
  run_tier api || failed+=(api)
  for part in typecheck mediasoup; do
    pid=${!part}
    if wait "$pid"; then
      printf '==> %s: ok\n' "$part"
      tail -n 6 "$log/$part"
    else
      cat "$log/$part"
      printf '==> %s: FAILED\n' "$part"
      failed+=("$part")
    fi
  done
  tiers=(media cluster measure)
else
  tiers=("$@")
fi

for tier in "${tiers[@]}"; do
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
