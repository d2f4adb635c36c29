// Which measurement processes `npm run bench` spawns, with which parameters, and how long each may take.
// Every entry runs in a fresh `node` process, `runs` times, interleaved round by round so a change
// of machine load touches every figure alike.

const PEERS = ['posthog', 'segment'];
const CONFIGS = ['tuned', 'default'];

/** Event counts of each figure. */
export function planSizes({ quick }) {
  return {
    N: quick ? 5_000 : 200_000, // calls / events for figures 1, 2 and the ceilings
    H: quick ? 5_000 : 100_000, // buffered events for figure 4 (shutdown flush)
    M: quick ? 5_000 : 50_000, // buffered events for figure 3 (bytes per event do not depend on it; Segment's 13 KB each make it slow)
    S: quick ? 10_000 : 200_000, // events for the server figures
  };
}

/**
 * @param {{ quick: boolean }} opts
 * @returns {{ id: string, figure: string, script: string, args: object, flags?: string[], timeoutMs: number }[]}
 */
export function buildPlan({ quick }) {
  const { N, H, M, S } = planSizes({ quick });
  const big = ['--max-old-space-size=4096'];
  const plan = [];
  // Figures 1, 1b, 2: a synchronous burst of N calls, then shutdown; tuned and default settings.
  for (const sdk of ['ours', ...PEERS]) {
    for (const config of CONFIGS) {
      plan.push({
        id: `burst:${sdk}:${config}`,
        figure: 'burst',
        script: 'e2e.mjs',
        args: { sdk, config, n: N, yieldEvery: 0, timeoutMs: 60_000 },
        flags: big,
        timeoutMs: 180_000,
      });
    }
  }
  // Figure 2c: the same N events, the producer yielding every 1000 calls (tuned settings).
  for (const sdk of ['ours', ...PEERS]) {
    plan.push({
      id: `paced:${sdk}:tuned`,
      figure: 'paced',
      script: 'e2e.mjs',
      args: { sdk, config: 'tuned', n: N, yieldEvery: 1000, timeoutMs: 60_000 },
      flags: big,
      timeoutMs: 180_000,
    });
  }
  // Figure 3: bytes per buffered event.
  for (const sdk of ['ours', ...PEERS]) {
    plan.push({ id: `memory:${sdk}:tuned`, figure: 'memory', script: 'memory.mjs', args: { sdk, n: M }, flags: ['--expose-gc', ...big], timeoutMs: 120_000 });
  }
  // Figure 4: shutdown flush of H buffered events (settings that hold everything until shutdown).
  for (const sdk of ['ours', ...PEERS]) {
    plan.push({
      id: `shutdown:${sdk}:tuned`,
      figure: 'shutdown',
      script: 'shutdown-flush.mjs',
      args: { sdk, config: 'tuned', n: H, timeoutMs: 60_000 },
      flags: big,
      timeoutMs: 120_000,
    });
  }
  // Figure 7: awaited record() one at a time on an idle client against our server (adaptive sending).
  // Left out of --quick: it forks a server of its own (~10 s on a busy machine) and proves no completeness.
  if (!quick) plan.push({ id: 'awaited:ours:default', figure: 'awaited', script: 'awaited-record.mjs', args: { n: 200 }, timeoutMs: 120_000 });
  plan.push({ id: 'ceiling:encode', figure: 'ceiling-encode', script: 'ceiling-encode.mjs', args: { n: N }, timeoutMs: 60_000 });
  plan.push({ id: 'ceiling:post', figure: 'ceiling-post', script: 'ceiling-post.mjs', args: { n: N }, timeoutMs: 60_000 });
  plan.push({ id: 'server:ingest', figure: 'ingest', script: 'server-ingest.mjs', args: { n: S }, timeoutMs: 120_000 });
  plan.push({ id: 'server:e2e:burst', figure: 'server-e2e', script: 'sdk-to-server.mjs', args: { n: S, config: 'tuned', yieldEvery: 0 }, flags: big, timeoutMs: 120_000 });
  return plan;
}
