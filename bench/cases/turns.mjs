// Figure (8j): one record() per event-loop turn, as an app serving requests records, against a sink
// that never answers (nothing comes back to process; the first batches leave, the rest wait). Rounds of
// `n` turns with record() alternate with rounds of the same turns that only build the event, in one
// process; record()'s own cost per turn = the difference. With the spool on, each turn pays the
// spool's group write for its one event (encoding, framing, one write(2)); `spool: 'sync'` adds an
// fdatasync per turn. Medians of `rounds` pairs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { caseArgs, emit, nowNs } from '../lib/case.mjs';
import { startSink } from '../lib/start-sink.mjs';
import { benchEvent, createSdk, gatewayEvent, holdSettingsFor } from '../lib/sdks.mjs';
import { summarize } from '../lib/stats.mjs';

const { n = 20_000, rounds = 3, spool = 'off', event = 'bench' } = caseArgs();
const sink = await startSink('hold');
const spoolDir = spool === 'off' ? undefined : mkdtempSync(join(tmpdir(), 'bearlumen-bench-turns-'));
const cap = (rounds + 2) * n;
// Room for every event in memory (with the spool on a held event counts twice): nothing spills.
const batching = { ...holdSettingsFor('ours', cap), maxBufferedBytes: 4096 * cap, ...(spoolDir === undefined ? {} : { spoolDir, spoolSync: spool === 'sync' }) };
const client = await createSdk('ours', sink.url, batching, undefined, event);
const build = event === 'gateway' ? gatewayEvent : benchEvent;
const median = (values) => summarize(values).median;
const ring = new Array(1024);

/** `count` turns, each building event i and (withRecord) recording it; CPU and wall ns per turn. */
async function turns(withRecord, from, count) {
  const c0 = process.cpuUsage();
  const t0 = nowNs();
  for (let i = from; i < from + count; i++) {
    if (withRecord) client.record(i);
    else ring[i & 1023] = build(i);
    await nextTurn();
  }
  const cpu = process.cpuUsage(c0);
  return { cpu: ((cpu.user + cpu.system) * 1000) / count, wall: (nowNs() - t0) / count };
}

// Warm-up: the record path, the spool's first segment and the first batches leave here.
await turns(true, 0, Math.min(n, 5000));
await turns(false, 0, Math.min(n, 5000));
const own = { cpu: [], wall: [] };
const base = { cpu: [], wall: [] };
for (let round = 0; round < rounds; round++) {
  const without = await turns(false, 0, n);
  const withRecord = await turns(true, (round + 1) * n, n);
  base.cpu.push(without.cpu);
  base.wall.push(without.wall);
  own.cpu.push(withRecord.cpu - without.cpu);
  own.wall.push(withRecord.wall - without.wall);
}
const stats = client.stats();
if (spoolDir !== undefined) rmSync(spoolDir, { recursive: true, force: true });
emit({
  event,
  spool,
  n,
  rounds,
  turnCpuNs: median(base.cpu),
  turnWallNs: median(base.wall),
  ownCpuNsPerTurn: median(own.cpu),
  ownWallNsPerTurn: median(own.wall),
  spoolMode: stats?.spool?.mode ?? null,
});
