// Renders bench/RESULTS.md from the raw results of every run.
import { spoolSection } from './report-spool.mjs';
import { cell, fmt, summarize } from './stats.mjs';

/** null (not measured) when any input is missing, else the boolean. */
const verdict = (values, cond) => (values.every((v) => Number.isFinite(v)) ? cond() : null);

const COLUMNS = [
  ['ours', 'tuned'],
  ['ours', 'default'],
  ['posthog', 'tuned'],
  ['posthog', 'default'],
  ['segment', 'tuned'],
  ['segment', 'default'],
];

/** "unique (worst run) / duplicates (worst run)" of a list of run results. */
function completeness(rs) {
  if (!rs || rs.length === 0) return '—';
  return `${fmt(Math.min(...rs.map((r) => r.unique)), 0)} / ${fmt(Math.max(...rs.map((r) => r.duplicates)), 0)}`;
}

/** Builds the markdown. `results` maps a plan id to its list of run results. */
export function renderReport({ results, meta }) {
  const get = (id, metric) => summarize((results[id] ?? []).map((r) => (typeof metric === 'function' ? metric(r) : r[metric])));
  const med = (id, metric) => get(id, metric)?.median ?? NaN;
  const allComplete = (id) => (results[id] ?? []).length > 0 && results[id].every((r) => r.complete === true);
  const { N, H, S } = meta.sizes;
  const M = meta.sizes.M ?? H;

  const sdkRow = (figure, prefix, metric, scale, digits) => {
    const cells = COLUMNS.map(([sdk, config]) => cell(get(`${prefix}:${sdk}:${config}`, metric), scale, digits));
    return { figure, cells };
  };

  const rows = [];
  const push = (r) => rows.push(r);

  // 1. synchronous cost
  const syncOurs = med('burst:ours:tuned', 'syncNsPerCall');
  const syncPh = med('burst:posthog:tuned', 'syncNsPerCall');
  push({
    ...sdkRow(`(1) call cost, µs per call, one sync loop of ${fmt(N, 0)} calls`, 'burst', 'syncNsPerCall', 1e-3, 2),
    ceiling: '—',
    ratio: `posthog/ours ${fmt(syncPh / syncOurs)}×; segment/ours ${fmt(med('burst:segment:tuned', 'syncNsPerCall') / syncOurs)}×`,
    target: '≤ 2 µs, ≥ 8× cheaper than posthog',
    pass: verdict([syncOurs, syncPh], () => syncOurs <= 2000 && syncPh / syncOurs >= 8),
  });
  const defOurs = med('burst:ours:tuned', 'withDeferredNsPerCall');
  push({
    ...sdkRow('(1b) same, counting deferred work up to the next setImmediate, µs', 'burst', 'withDeferredNsPerCall', 1e-3, 2),
    ceiling: '—',
    ratio: `posthog/ours ${fmt(med('burst:posthog:tuned', 'withDeferredNsPerCall') / defOurs)}×`,
    target: '—',
    pass: null,
  });

  const cpuOurs = med('burst:ours:tuned', 'cpuNsPerCall');
  push({
    ...sdkRow('(1c) same loop, process CPU time per call (all threads), µs: less sensitive to a busy machine', 'burst', 'cpuNsPerCall', 1e-3, 2),
    ceiling: '—',
    ratio: `posthog/ours ${fmt(med('burst:posthog:tuned', 'cpuNsPerCall') / cpuOurs)}×`,
    target: '—',
    pass: null,
  });

  // 2. end to end
  const e2eOurs = med('burst:ours:tuned', 'eventsPerSec');
  const e2ePh = med('burst:posthog:tuned', 'eventsPerSec');
  const ceilPost = med('ceiling:post', 'eventsPerSec');
  push({
    ...sdkRow(`(2) end to end to the sink, delivered events/s: that burst, then shutdown`, 'burst', 'eventsPerSec', 1, 0),
    ceiling: cell(get('ceiling:post', 'eventsPerSec'), 1, 0),
    ratio: `ours/posthog ${fmt(e2eOurs / e2ePh)}×; ours/segment ${fmt(e2eOurs / med('burst:segment:tuned', 'eventsPerSec'))}×; ours/ceiling ${fmt((100 * e2eOurs) / ceilPost, 0)}%`,
    target: '≥ 150k/s, complete, 0 duplicates, ≥ 12× posthog',
    pass: verdict([e2eOurs, e2ePh], () => e2eOurs >= 150_000 && allComplete('burst:ours:tuned') && e2eOurs / e2ePh >= 12),
  });
  push({
    figure: '(2b) completeness of (2): unique delivered (worst run) / duplicates (worst run)',
    cells: COLUMNS.map(([sdk, config]) => completeness(results[`burst:${sdk}:${config}`])),
    ceiling: '—',
    ratio: '—',
    target: `${fmt(N, 0)} / 0`,
    pass: verdict([e2eOurs], () => allComplete('burst:ours:tuned')),
  });

  const pacedOurs = med('paced:ours:tuned', 'eventsPerSec');
  push({
    ...sdkRow(`(2c) end to end, producer yielding every 1000 calls, delivered events/s`, 'paced', 'eventsPerSec', 1, 0),
    ceiling: cell(get('ceiling:post', 'eventsPerSec'), 1, 0),
    ratio: `ours/posthog ${fmt(pacedOurs / med('paced:posthog:tuned', 'eventsPerSec'))}×; ours/segment ${fmt(pacedOurs / med('paced:segment:tuned', 'eventsPerSec'))}×`,
    target: '≥ 150k/s, complete',
    pass: verdict([pacedOurs], () => pacedOurs >= 150_000 && allComplete('paced:ours:tuned')),
  });
  push({
    figure: '(2d) completeness of (2c): unique delivered (worst run) / duplicates (worst run)',
    cells: COLUMNS.map(([sdk, config]) => completeness(results[`paced:${sdk}:${config}`])),
    ceiling: '—',
    ratio: '—',
    target: `${fmt(N, 0)} / 0`,
    pass: verdict([pacedOurs], () => allComplete('paced:ours:tuned')),
  });

  // 3. memory
  const memOurs = med('memory:ours:tuned', 'bytesPerEvent');
  push({
    ...sdkRow(`(3) bytes per buffered event (heap + external), ${fmt(M, 0)} held`, 'memory', 'bytesPerEvent', 1, 0),
    ceiling: '—',
    ratio: `posthog/ours ${fmt(med('memory:posthog:tuned', 'bytesPerEvent') / memOurs)}×; segment/ours ${fmt(med('memory:segment:tuned', 'bytesPerEvent') / memOurs)}×`,
    target: '≤ 500 B',
    pass: verdict([memOurs], () => memOurs <= 500),
  });

  // 4. shutdown
  const shOurs = med('shutdown:ours:tuned', 'shutdownSeconds');
  push({
    ...sdkRow(`(4) shutdown flush of ${fmt(H, 0)} buffered events, s`, 'shutdown', 'shutdownSeconds', 1, 2),
    ceiling: `${fmt(H / ceilPost, 2)} s at the POST ceiling`,
    ratio: `posthog/ours ${fmt(med('shutdown:posthog:tuned', 'shutdownSeconds') / shOurs)}×`,
    target: '< 1 s, complete',
    pass: verdict([shOurs], () => shOurs < 1 && allComplete('shutdown:ours:tuned')),
  });
  push({
    figure: '(4b) shutdown completeness: unique delivered (worst run) / duplicates',
    cells: COLUMNS.map(([sdk, config]) => completeness(results[`shutdown:${sdk}:${config}`])),
    ceiling: '—',
    ratio: '—',
    target: `${fmt(H, 0)} / 0`,
    pass: verdict([shOurs], () => allComplete('shutdown:ours:tuned')),
  });

  // 5. our server
  const blank = COLUMNS.map(() => '');
  const only = (c) => [c, '', '', '', '', ''];
  const ingNew = med('server:ingest', 'newPerSec');
  const ingDup = med('server:ingest', 'dupPerSec');
  push({
    figure: `(5) our server on SQLite: new events/s, batches of 1000, ${fmt(S, 0)} time-ordered keys`,
    cells: only(cell(get('server:ingest', 'newPerSec'), 1, 0)),
    ceiling: cell(get('ceiling:post', 'eventsPerSec'), 1, 0),
    ratio: `${fmt((100 * ingNew) / ceilPost, 0)}% of the POST ceiling`,
    target: '≥ 120k/s',
    pass: verdict([ingNew], () => ingNew >= 120_000),
  });
  push({
    figure: '(5b) our server: duplicate replay events/s (same batches again)',
    cells: only(cell(get('server:ingest', 'dupPerSec'), 1, 0)),
    ceiling: cell(get('ceiling:post', 'eventsPerSec'), 1, 0),
    ratio: `${fmt((100 * ingDup) / ceilPost, 0)}% of the POST ceiling`,
    target: '≥ 200k/s',
    pass: verdict([ingDup], () => ingDup >= 200_000),
  });
  const srvT = med('server:e2e:burst', 'eventsPerSec');
  push({
    figure: `(6) SDK → our server (SQLite, own process), delivered events/s: burst of ${fmt(S, 0)}, then shutdown`,
    cells: only(cell(get('server:e2e:burst', 'eventsPerSec'), 1, 0)),
    ceiling: cell(get('server:ingest', 'newPerSec'), 1, 0) + ' (server alone)',
    ratio: `${fmt((100 * srvT) / ingNew, 0)}% of the server alone`,
    target: '≥ 60k/s, complete',
    pass: verdict([srvT], () => srvT >= 60_000 && allComplete('server:e2e:burst')),
  });

  push({
    figure: `(6b) batch fill: share of acknowledged batches at maxBatchSize (1000), burst of ${fmt(S, 0)} to our server / of ${fmt(N, 0)} to the sink (ours default)`,
    cells: only(`${cell(get('server:e2e:burst', (r) => r.batchFill?.fullShare), 100, 1)}% / ${cell(get('burst:ours:default', (r) => r.batchFill?.fullShare), 100, 1)}%`),
    ceiling: '—',
    ratio: '—',
    target: '≥ 95%',
    pass: verdict([med('server:e2e:burst', (r) => r.batchFill?.fullShare)], () => med('server:e2e:burst', (r) => r.batchFill?.fullShare) >= 0.95),
  });
  const awaited = med('awaited:ours:default', 'medianMs');
  push({
    figure: '(7) awaited record() one at a time on an idle client → our server, ms per call (median of the calls)',
    cells: only(cell(get('awaited:ours:default', 'medianMs'), 1, 2)),
    ceiling: '—',
    ratio: `p90 ${fmt(med('awaited:ours:default', 'p90Ms'), 2)} ms; 5 in a row ${fmt(med('awaited:ours:default', 'fiveInARowMs'), 1)} ms`,
    target: '≤ 10 ms',
    pass: verdict([awaited], () => awaited <= 10),
  });

  // 9. steady traffic
  const steadyOurs = med('steady:ours:default', 'cpuUsPerEvent');
  const steadyZero = med('steady:ours:linger0', 'cpuUsPerEvent');
  const perRequest = (id) => fmt(med(id, 'eventsPerRequest'), 1);
  const steadyArgs = results['steady:ours:default']?.[0];
  push({
    figure: `(9) steady traffic: ${steadyArgs?.perMs ?? 5} events per ms, each in a turn of its own, process CPU µs per event after ${steadyArgs?.warmup ?? 6} s of warm-up (default settings; ours: lingerMs 5)`,
    cells: COLUMNS.map(([sdk, config]) => (config === 'default' ? cell(get(`steady:${sdk}:default`, 'cpuUsPerEvent'), 1, 1) : '')),
    ceiling: '—',
    ratio: `lingerMs 0: ${fmt(steadyZero, 1)} µs, ${perRequest('steady:ours:linger0')} events per request → ours ${fmt(steadyOurs / steadyZero)}× of it, ${perRequest('steady:ours:default')} per request; posthog/ours ${fmt(med('steady:posthog:default', 'cpuUsPerEvent') / steadyOurs)}× (${perRequest('steady:posthog:default')} per request)`,
    target: '≤ 0.5× lingerMs 0, complete',
    pass: verdict([steadyOurs, steadyZero], () => steadyOurs <= 0.5 * steadyZero && allComplete('steady:ours:default') && allComplete('steady:ours:linger0')),
  });

  // Ceilings
  push({
    figure: '(C1) ceiling: JSON.stringify of 1000-event batches, events/s',
    cells: blank,
    ceiling: cell(get('ceiling:encode', 'encodeEventsPerSec'), 1, 0),
    ratio: `ours e2e = ${fmt((100 * e2eOurs) / med('ceiling:encode', 'encodeEventsPerSec'), 0)}% of it`,
    target: '—',
    pass: null,
  });
  push({
    figure: '(C1b) ceiling: gzip at zlib level 1 (as the SDK does above 16 KB) of those bodies, events/s; default level 6 in the ratio column',
    cells: blank,
    ceiling: cell(get('ceiling:encode', 'gzipLevel1EventsPerSec'), 1, 0),
    ratio: `${fmt(med('ceiling:encode', 'bytesPerEvent'), 0)} → ${fmt(med('ceiling:encode', 'gzipLevel1BytesPerEvent'), 1)} bytes per event; level 6: ${fmt(med('ceiling:encode', 'gzipDefaultEventsPerSec'), 0)} events/s, ${fmt(med('ceiling:encode', 'gzipDefaultBytesPerEvent'), 1)} bytes per event`,
    target: '—',
    pass: null,
  });
  push({
    figure: '(C2) ceiling: encode + undici POST (4 in flight) to the sink, events/s',
    cells: blank,
    ceiling: cell(get('ceiling:post', 'eventsPerSec'), 1, 0),
    ratio: `ours e2e = ${fmt((100 * e2eOurs) / ceilPost, 0)}% of it`,
    target: '—',
    pass: verdict([ceilPost], () => allComplete('ceiling:post')),
  });

  const head = ['Figure', 'ours tuned', 'ours default', 'posthog tuned', 'posthog default', 'segment tuned', 'segment default', 'ceiling', 'ratio', 'target', 'pass'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const pass = r.pass === null ? '—' : r.pass ? 'PASS' : 'FAIL';
    lines.push(`| ${[r.figure, ...r.cells, r.ceiling, r.ratio, r.target, pass].join(' | ')} |`);
  }
  return renderDocument({ table: lines.join('\n'), meta, results });
}

/**
 * How much to trust wall-clock figures. Judged from the cores busy with other work, sampled before the
 * first and after the last measurement while no benchmark process runs: the load average at the end
 * counts the benchmark's own sink, server and SDK processes. Older raw files have only the load average.
 */
function loadNote(meta) {
  const cores = meta.machine.cores;
  if (typeof meta.busyStart === 'number' && typeof meta.busyEnd === 'number') {
    const worst = Math.max(meta.busyStart, meta.busyEnd);
    const measured = `${fmt(meta.busyStart, 2)} cores busy with other work before the first measurement, ${fmt(meta.busyEnd, 2)} after the last (/proc/stat over 2 s each, no benchmark process running)`;
    if (worst > cores / 2) return `**Taken while other work ran**: ${measured}. Wall-clock figures and events/s are pessimistic and vary run to run; the CPU-time row (1c), the byte counts (3) and the completeness rows are the robust ones.`;
    if (worst > 0.2) return `The machine was moderately busy: ${measured}. Wall-clock figures carry some noise.`;
    return `The machine was otherwise idle: ${measured}. The load average at the end is the benchmark's own processes (sink, server and SDK under test share the ${cores} cores).`;
  }
  const worst = Math.max(meta.loadStart[0], meta.loadEnd[0]);
  if (worst > cores) {
    return `**Taken under heavy load** (load above ${cores} on this ${cores}-core machine, which may include the benchmark's own processes): wall-clock figures and events/s are pessimistic and vary run to run; the CPU-time row (1c), the byte counts (3) and the completeness rows are the robust ones.`;
  }
  if (worst > 0.5) return 'The machine was moderately busy (load above 0.5): wall-clock figures carry some noise.';
  return 'The machine was quiet (load at most 0.5).';
}

/**
 * Ratios to the peers per round: ours and the peer measured minutes apart at most, in the same round,
 * so a host that slows down or speeds up during the run moves both. The table's ratio column divides
 * medians taken over all rounds; these show how much the ratio itself varies.
 */
function pairedRatios(results) {
  const figures = [
    ['(1) call cost', 'syncNsPerCall', (ours, peer) => peer / ours, (peer) => `${peer} tuned / ours tuned`],
    ['(1c) CPU time per call', 'cpuNsPerCall', (ours, peer) => peer / ours, (peer) => `${peer} tuned / ours tuned`],
    ['(2) end to end events/s', 'eventsPerSec', (ours, peer) => ours / peer, (peer) => `ours tuned / ${peer} tuned`],
  ];
  const lines = [];
  for (const peer of ['posthog', 'segment']) {
    const ours = results['burst:ours:tuned'] ?? [];
    const theirs = results[`burst:${peer}:tuned`] ?? [];
    // A failed run shifts the rounds of one array: pair only when both have every round.
    if (ours.length < 2 || ours.length !== theirs.length) continue;
    for (const [label, key, ratio, name] of figures) {
      const values = [];
      for (let r = 0; r < ours.length; r++) {
        const a = ours[r]?.[key];
        const b = theirs[r]?.[key];
        if (typeof a === 'number' && typeof b === 'number' && a > 0 && b > 0) values.push(ratio(a, b));
      }
      const stats = summarize(values);
      if (stats === null) continue;
      lines.push(`| ${label} | ${name(peer)} | ${values.map((v) => `${fmt(v, 1)}×`).join(', ')} | **${fmt(stats.median, 1)}×** |`);
    }
  }
  if (lines.length === 0) return '';
  return `
### Ratios to the peers, round by round

Each round runs ours and each peer within a minute or two of each other, so these pair measurements
taken under the same conditions. Above 1× means ours is cheaper (µs) or faster (events/s).

| Figure | Ratio | Per round | Median |
|---|---|---|---|
${lines.join('\n')}
`;
}

/**
 * The `server:scale` case: per engine, median over runs of each of its figures (each query figure
 * is itself the median of its warm runs inside a run). Empty when the case did not run.
 */
function scaleSection(results) {
  const runs = results['server:scale'] ?? [];
  if (runs.length === 0) return '';
  const engines = runs[0].results.map((r) => r.engine);
  const med = (engine, pick) => summarize(runs.map((run) => pick(run.results.find((r) => r.engine === engine) ?? {})).filter((x) => Number.isFinite(x)));
  const row = (label, pick, scale = 1, digits = 1) => `| ${label} | ${engines.map((e) => cell(med(e, pick), scale, digits)).join(' | ')} |`;
  const queries = Object.keys(runs[0].results[0]?.queries ?? {});
  return `
## Store at scale (\`server:scale\`): ${fmt(runs[0].n, 0)} events over ${runs[0].days} days

Loaded in time order through \`Store.insertUsageEvents\` (batches of 1000, no HTTP). Query figures are
the median of ${runs[0].runs} warm runs of the store call, in ms; ranges end mid-hour. Targets (issue 13):
30-day reads ≤ 50 ms, 1-day reads ≤ 20 ms, filtered first page ≤ 20 ms.

| Figure | ${engines.join(' | ')} |
|---|${engines.map(() => '---|').join('')}
${[
  row('load, s', (r) => r.loadSeconds),
  row('load, events/s', (r) => r.loadPerSec, 1, 0),
  row('database bytes per event', (r) => r.bytesPerEvent, 1, 0),
  ...queries.map((q) => row(`${q}, ms`, (r) => r.queries?.[q])),
  row(`new events/s after the load (${fmt(runs[0].fresh, 0)})`, (r) => r.freshPerSec, 1, 0),
  row('new events/s, one replica process', (r) => r.oneReplicaPerSec, 1, 0),
  row('new events/s, two replica processes', (r) => r.twoReplicasPerSec, 1, 0),
].join('\n')}
`;
}

function renderDocument({ table, meta, results }) {
  const settings = [];
  for (const id of Object.keys(results).sort()) {
    const r = results[id][0];
    if (r?.settings) settings.push(`- \`${id}\`: \`${JSON.stringify(r.settings)}\``);
  }
  const failures = Object.entries(meta.errors ?? {}).map(([id, errs]) => `- \`${id}\`: ${errs.join('; ')}`);
  const m = meta.machine;
  return `# Benchmark results

Generated by \`npm run bench${meta.quick ? ' -- --quick' : meta.runs !== 3 ? ` -- --runs ${meta.runs}` : ''}\` on ${meta.startedAt} (took ${fmt(meta.seconds, 0)} s)${meta.revision ? `, code at ${meta.revision}` : ''}.
Every figure is the **median (min–max) of ${meta.runs} run${meta.runs === 1 ? '' : 's'}**, each in a fresh \`node\` process;
runs are interleaved round by round. Lower is better for µs, bytes and seconds; higher for events/s.

${table}
${pairedRatios(results)}${scaleSection(results)}${spoolSection(results)}
## Machine and load

- CPU: ${m.cpu}, ${m.cores} cores; memory ${m.memoryGiB} GiB; ${m.os}
- Load average (1/5/15 min) at start: ${meta.loadStart.join(' / ')}; at end: ${meta.loadEnd.join(' / ')}
- ${loadNote(meta)}

## Versions

${Object.entries(meta.versions)
  .map(([k, v]) => `- ${k} ${v}`)
  .join('\n')}

## Method

- The counting sink (\`bench/lib/sink.mjs\`) runs in its own process on 127.0.0.1. It accepts
  \`POST /v1/usage/events/batch\` (ours, answering per event), posthog's \`/batch/\` and Segment's
  \`/v1/batch\`, gunzips when needed and counts unique events by idempotencyKey / uuid / messageId.
- The event is the same for all three SDKs and is built inside the measured call: model, provider,
  agent_id, workflow_id, input and output token counts. Ours is imported from the built \`dist/\`.
- (1), (1b), (2) come from the same run: one synchronous loop of N calls (1: its time per call;
  1b: up to the next \`setImmediate\`, so the microtasks the calls queued are counted), then
  \`shutdown()\` / \`closeAndFlush()\`; (2) = unique events at the sink / (first call → shutdown
  resolved or the sink counted the last event, whichever is later). A burst larger than a default
  buffer loses events by design (ours rejects past \`maxBufferedEvents\` = 100,000; posthog drops
  the oldest past \`maxQueueSize\` = 10,000): events/s then counts only what arrived, and (2b) shows it.
- (2c) the same N events, the producer yielding to the event loop every 1000 calls (like an app
  serving requests), so the SDK sends while events are produced.
- (3) \`--expose-gc\`: heap + external after two full GCs, before and after N more calls, against a
  sink that accepts and never answers, flush timers out of reach; deferred work runs before measuring.
  Segment still sends every full batch (1000 events / 480 KB) at once: its in-flight bodies count.
- (4) N calls in one synchronous loop with timers out of reach, then shutdown timed to completion.
- (5) our server (\`createServer\`, SQLite file in a temp dir, own process) driven directly by undici
  with pre-encoded batches of 1000, time-ordered keys, 4 in flight; then the same batches replayed
  (all duplicates). (6) our SDK → that server, complete per the SDK's report and the server's summary.
- (C1) \`JSON.stringify\` of pre-built 1000-event batches of our wire event; (C2) building, encoding
  and POSTing them (undici Pool, 4 in flight, no gzip) to the same sink: the physical limit of the path.
- "default" = the SDK's own batch defaults; "tuned" = the settings below.
- \`unhandledRejections\` is counted in every run (a fire-and-forget \`record()\` must never cause one);
  see the raw JSON in \`bench/results/\`.

## Settings

${settings.join('\n')}
${failures.length ? `\n## Runs that failed\n\n${failures.join('\n')}\n` : ''}`;
}
