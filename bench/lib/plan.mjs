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
  // Figure 8: the durable spool, off / on / on with fdatasync, same burst as (1)/(2); and record()'s own
  // cost on the bench event and on a gateway event (strings built per call), against a build-only loop.
  // Left out of --quick (seven more processes; the CI smoke has a time budget): `--only spool,build`.
  for (const event of quick ? [] : ['bench', 'gateway']) {
    plan.push({ id: `build:${event}`, figure: 'build', script: 'build-only.mjs', args: { n: N, event }, timeoutMs: 60_000 });
    plan.push({ id: `build:${event}:keep`, figure: 'build', script: 'build-only.mjs', args: { n: N, event, keep: true }, flags: big, timeoutMs: 60_000 });
    for (const spool of ['off', 'on', ...(event === 'bench' ? ['sync'] : [])]) {
      plan.push({
        id: `spool:${event}:${spool}`,
        figure: 'spool',
        script: 'e2e.mjs',
        // Room for the whole burst in memory with the spool on too (it counts a held event's bytes twice,
        // docs/pipeline.md): otherwise the larger gateway event spills its last ~4% to disk with the spool
        // on only, and on/off would compare different work. `spilled` in the result shows 0.
        args: { sdk: 'ours', config: 'tuned', n: N, yieldEvery: 0, timeoutMs: 60_000, spool, event, settings: { maxBufferedBytes: 4096 * (N + 10_000) } },
        flags: big,
        timeoutMs: 180_000,
      });
      // (8j): one record() per event-loop turn, as an app serving requests records (bench/cases/turns.mjs).
      // With fdatasync a turn costs a disk flush: fewer turns.
      plan.push({ id: `spool-turns:${event}:${spool}`, figure: 'spool-turns', script: 'turns.mjs', args: { event, spool, n: spool === 'sync' ? 2000 : 20_000 }, timeoutMs: 120_000 });
    }
  }
  // (8k): the event loop's longest stall while a new client replays what a SIGKILLed process left.
  // The CI smoke runs it small, so the case keeps working.
  plan.push({ id: 'spool-replay', figure: 'spool-replay', script: 'replay-stall.mjs', args: { n: quick ? 5000 : 100_000 }, flags: big, timeoutMs: 120_000 });
  // The CI smoke runs (8j) small (two short processes), so the case keeps working and the spool works
  // from the built package.
  if (quick) {
    for (const spool of ['off', 'on']) {
      plan.push({ id: `spool-turns:bench:${spool}`, figure: 'spool-turns', script: 'turns.mjs', args: { event: 'bench', spool, n: 1000, rounds: 2 }, timeoutMs: 60_000 });
    }
  }
  // Figure 9: steady traffic, 5 events per ms each in a turn of its own, CPU per event after a warm-up;
  // ours with the default linger and with lingerMs 0 (the behaviour before it), and the peers' defaults.
  // The CI smoke runs ours briefly (1 s + 1 s) so the case keeps working.
  const steady = quick ? { perMs: 5, seconds: 1, warmup: 1 } : { perMs: 5, seconds: 6, warmup: 6 };
  const steadyCases = [
    ['ours:default', 'ours', {}],
    ['ours:linger0', 'ours', { lingerMs: 0 }],
    ...(quick ? [] : PEERS.map((sdk) => [`${sdk}:default`, sdk, {}])),
  ];
  for (const [name, sdk, settings] of steadyCases) {
    plan.push({ id: `steady:${name}`, figure: 'steady', script: 'steady.mjs', args: { sdk, settings, ...steady }, timeoutMs: 120_000 });
  }
  plan.push({ id: 'ceiling:encode', figure: 'ceiling-encode', script: 'ceiling-encode.mjs', args: { n: N }, timeoutMs: 60_000 });
  plan.push({ id: 'ceiling:post', figure: 'ceiling-post', script: 'ceiling-post.mjs', args: { n: N }, timeoutMs: 60_000 });
  plan.push({ id: 'server:ingest', figure: 'ingest', script: 'server-ingest.mjs', args: { n: S }, timeoutMs: 120_000 });
  // Issue 13's scale case: 10M events over 30 days into each store engine, then query medians; many
  // minutes per run, so not part of --quick (the CI smoke). PostgreSQL joins when DATABASE_URL is set.
  // A quick look: node bench/cases/server-scale.mjs '{"n":100000}'.
  if (!quick) {
    plan.push({ id: 'server:scale', figure: 'scale', script: 'server-scale.mjs', args: { n: 10_000_000 }, flags: big, timeoutMs: 3_600_000 });
  }
  plan.push({ id: 'server:e2e:burst', figure: 'server-e2e', script: 'sdk-to-server.mjs', args: { n: S, config: 'tuned', yieldEvery: 0 }, flags: big, timeoutMs: 120_000 });
  return plan;
}
