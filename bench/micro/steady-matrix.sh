#!/usr/bin/env bash
# The table of docs/benchmarks.md "Steady traffic: the linger": steady-rate.mjs at 1, 5 and 20 events
# per ms for our SDK at lingerMs 0, 2, 5 and 10, then posthog-node and Segment, two rounds, then the
# harness alone. ~11 minutes; run on a quiet machine (npm run build first).
#   bash bench/micro/steady-matrix.sh | tee /tmp/steady.log
set -euo pipefail
cd "$(dirname "$0")/../.."
for round in 1 2; do
  for rate in 1 5 20; do
    for linger in 0 2 5 10; do
      SETTINGS="{\"lingerMs\":$linger}" node bench/micro/steady-rate.mjs ours "$rate" 8 8 | sed "s/^/round $round, lingerMs $linger: /"
    done
    node bench/micro/steady-rate.mjs posthog "$rate" 8 8 | sed "s/^/round $round: /"
    node bench/micro/steady-rate.mjs segment "$rate" 8 8 | sed "s/^/round $round: /"
  done
done
node bench/micro/steady-rate.mjs none 1 8 8
