// One line per run of the steady-traffic case (bench/cases/steady.mjs, figure (9); docs/benchmarks.md
// "Steady traffic: the linger"), for trying settings by hand.
//   npm run build && node bench/micro/steady-rate.mjs ours 5 8 8      (SDK, events per ms, seconds, warmup seconds)
//   node bench/micro/steady-rate.mjs posthog 5 8      (none | ours | ours-spool | posthog | segment)
//   SETTINGS='{"lingerMs":0}' node bench/micro/steady-rate.mjs ours 5 8   (batch settings over the defaults)
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const [sdk = 'ours', perMs = '5', seconds = '8', warmup = '8'] = process.argv.slice(2);
const args = {
  sdk: sdk === 'ours-spool' ? 'ours' : sdk,
  spool: sdk === 'ours-spool',
  perMs: Number(perMs),
  seconds: Number(seconds),
  warmup: Number(warmup),
  settings: JSON.parse(process.env.SETTINGS ?? '{}'),
};
const run = spawnSync(process.execPath, [fileURLToPath(new URL('../cases/steady.mjs', import.meta.url)), JSON.stringify(args)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
if (line === undefined) throw new Error(`steady.mjs printed no result (exit ${run.status})`);
const r = JSON.parse(line.slice('RESULT '.length));
const f = (x) => x.toFixed(1);
console.log(
  `${sdk} ${perMs}/ms: measured ${r.measuredEvents} events, ${r.requests} requests (${f(r.eventsPerRequest)} events each); ${r.recorded} in all, ${r.unique} unique; ` +
    `CPU µs per event: ${f(r.cpuUsPerEvent)} (user ${f(r.userUsPerEvent)}, system ${f(r.systemUsPerEvent)}), main thread ${f(r.mainThreadUsPerEvent)}` +
    (r.dropped > 0 ? `; dropped ${r.dropped}` : ''),
);
