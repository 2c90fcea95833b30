#!/usr/bin/env bash
# Soak test (issue 6; not in CI). Run as `npm run test:soak` (or `bash scripts/soak.sh`).
#   1. SIGKILL loop: scripts/soak-kill.mjs kills a child `alertmail serve` mid-delivery
#      SOAK_KILLS times (default 20) and checks that no accepted event's notification is lost.
#   2. The hostile-relay suite (test/hardening/hostile-relay.test.ts) in a loop for
#      SOAK_HOSTILE_SECONDS (default 300), counting scenarios survived and failed.
# Needs the build (`npm run build`); prints one JSON line per part and a summary.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -f dist/src/cli/main.js ]]; then
  echo "soak: building first (dist/ is missing)" >&2
  npm run build --silent
fi

echo "== soak 1/2: SIGKILL loop (${SOAK_KILLS:-20} kills)"
kill_status=0
node scripts/soak-kill.mjs || kill_status=$?

echo "== soak 2/2: hostile relay suite for ${SOAK_HOSTILE_SECONDS:-300} s"
end=$(( $(date +%s) + ${SOAK_HOSTILE_SECONDS:-300} ))
out=$(mktemp -d)
runs=0 passed=0 failed=0
while (( $(date +%s) < end )); do
  runs=$((runs + 1))
  npx vitest run test/hardening/hostile-relay.test.ts --reporter=json --outputFile="$out/run.json" >/dev/null 2>&1 || true
  if [[ -f "$out/run.json" ]]; then
    read -r p f < <(node -e 'const r=require(process.argv[1]);console.log(r.numPassedTests, r.numFailedTests)' "$out/run.json")
    passed=$((passed + p)) failed=$((failed + f))
    rm -f "$out/run.json"
  else
    failed=$((failed + 1))
  fi
done
rm -rf "$out"
echo "{\"hostileRuns\":$runs,\"scenariosPassed\":$passed,\"scenariosFailed\":$failed}"

echo "== soak done: kill loop exit $kill_status"
exit "$kill_status"
