// The "Durable spool" section of bench/RESULTS.md: figure (8), spool off / on / on with fdatasync in
// the same run, and record()'s own cost on the bench event and on a gateway event.
import { cell, fmt, summarize } from './stats.mjs';

const MODES = ['off', 'on', 'sync'];

/** Markdown for the spool figures, or '' when they were not measured. */
export function spoolSection(results) {
  if (!Object.keys(results).some((id) => id.startsWith('spool'))) return '';
  const get = (id, metric) => summarize((results[id] ?? []).map((r) => (typeof metric === 'function' ? metric(r) : r[metric])));
  const med = (id, metric) => get(id, metric)?.median ?? NaN;
  const build = (event, kept = '') => med(`build:${event}${kept}`, 'buildNsPerCall');
  // Own cost per round would pair build and call from one round; medians of each are close enough and simpler.
  const own = (event, mode, metric, kept = '') => med(`spool:${event}:${mode}`, metric) - build(event, kept);
  const rows = [];
  const row = (figure, cells, ratio, target, pass) => rows.push(`| ${[figure, ...cells, ratio, target, pass === null ? '—' : pass ? 'PASS' : 'FAIL'].join(' | ')} |`);
  const ok = (values, cond) => (values.every((v) => Number.isFinite(v)) ? cond() : null);

  // The burst rows (8a–8i″, 8g) need the burst cases; (8j) its own (the CI smoke runs only (8j)).
  const hasBurst = Object.keys(results).some((id) => id.startsWith('spool:'));
  if (hasBurst) {
    for (const event of ['bench', 'gateway']) {
      const cells = (metric, scale, digits) => MODES.map((mode) => cell(get(`spool:${event}:${mode}`, metric), scale, digits));
      const off = med(`spool:${event}:off`, 'withDeferredNsPerCall');
      const on = med(`spool:${event}:on`, 'withDeferredNsPerCall');
      row(`(8${event === 'bench' ? 'a' : 'd'}) ${event} event: record() call, µs (sync loop)`, cells('syncNsPerCall', 1e-3, 2), `on/off ${fmt(med(`spool:${event}:on`, 'syncNsPerCall') / med(`spool:${event}:off`, 'syncNsPerCall'), 2)}×`, '—', null);
      row(
        `(8${event === 'bench' ? 'b' : 'e'}) ${event} event: same, counting the deferred work (the spool's group write) up to the next setImmediate, µs`,
        cells('withDeferredNsPerCall', 1e-3, 2),
        `on/off ${fmt(on / off, 2)}×`,
        '≤ 1.25× (spool on vs off)',
        ok([on, off], () => on / off <= 1.25),
      );
      const ownOff = own(event, 'off', 'withDeferredNsPerCall');
      const ownOn = own(event, 'on', 'withDeferredNsPerCall');
      row(
        `(8${event === 'bench' ? 'c' : 'f'}) ${event} event: record()'s own cost = (8${event === 'bench' ? 'b' : 'e'}) − building the same event in the same loop (${fmt(build(event) / 1000, 2)} µs), µs`,
        MODES.map((mode) => fmt(own(event, mode, 'withDeferredNsPerCall') / 1000, 2)),
        `sync-loop only: off ${fmt(own(event, 'off', 'syncNsPerCall') / 1000, 2)}, on ${fmt(own(event, 'on', 'syncNsPerCall') / 1000, 2)}`,
        '≤ 1 µs off, ≤ 1.25 µs on',
        ok([ownOff, ownOn], () => ownOff <= 1000 && ownOn <= 1250),
      );
      const letter = event === 'bench' ? 'c' : 'f';
      const keptOff = own(event, 'off', 'withDeferredNsPerCall', ':keep');
      const keptOn = own(event, 'on', 'withDeferredNsPerCall', ':keep');
      row(
        `(8${letter}′) ${event} event: the same against building **and keeping** every event, as any batcher must until it sends (${fmt(build(event, ':keep') / 1000, 2)} µs), µs`,
        MODES.map((mode) => fmt(own(event, mode, 'withDeferredNsPerCall', ':keep') / 1000, 2)),
        `sync-loop only: off ${fmt(own(event, 'off', 'syncNsPerCall', ':keep') / 1000, 2)}, on ${fmt(own(event, 'on', 'syncNsPerCall', ':keep') / 1000, 2)}`,
        '≤ 1 µs off, ≤ 1.25 µs on',
        ok([keptOff, keptOn], () => keptOff <= 1000 && keptOn <= 1250),
      );
    }
    for (const event of ['bench', 'gateway']) {
      const cpuCells = (metric) => MODES.map((mode) => cell(get(`spool:${event}:${mode}`, metric), 1e-3, 2));
      const ratio = (metric) => med(`spool:${event}:on`, metric) / med(`spool:${event}:off`, metric);
      row(`(8${event === 'bench' ? 'h' : 'i'}) ${event} event: process CPU time per call, µs: sync loop`, cpuCells('cpuNsPerCall'), `on/off ${fmt(ratio('cpuNsPerCall'), 2)}×`, '—', null);
      row(`(8${event === 'bench' ? 'h' : 'i'}′) ${event} event: CPU time per call with the deferred work (group write), µs`, cpuCells('withDeferredCpuNsPerCall'), `on/off ${fmt(ratio('withDeferredCpuNsPerCall'), 2)}×`, '—', null);
      const total = ratio('totalCpuNsPerEvent');
      row(
        `(8${event === 'bench' ? 'h' : 'i'}″) ${event} event: CPU time per event end to end (record, spool, encode, gzip, HTTP, shutdown), µs`,
        cpuCells('totalCpuNsPerEvent'),
        `on/off ${fmt(total, 2)}×`,
        '≤ 1.25× (spool on vs off)',
        ok([total], () => total <= 1.25),
      );
    }
  }
  for (const event of ['bench', 'gateway']) {
    const id = (mode) => `spool-turns:${event}:${mode}`;
    if (!results[id('off')]) continue;
    const off = med(id('off'), 'ownWallNsPerTurn');
    const on = med(id('on'), 'ownWallNsPerTurn');
    row(
      `(8j${event === 'bench' ? '' : '′'}) ${event} event, one record() per event-loop turn (an app serving requests): record()'s own wall time per turn, its group write included, µs (turns with record() − the same turns building the event only, ${fmt(med(id('off'), 'turnWallNs') / 1000, 2)} µs)`,
      MODES.map((mode) => cell(get(id(mode), 'ownWallNsPerTurn'), 1e-3, 2)),
      `on/off ${fmt(on / off, 2)}×; CPU on/off ${fmt(med(id('on'), 'ownCpuNsPerTurn') / med(id('off'), 'ownCpuNsPerTurn'), 2)}×`,
      '≤ 1.25× (spool on vs off)',
      ok([on, off], () => on / off <= 1.25),
    );
  }
  if (hasBurst) {
    const e2eOn = med('spool:bench:on', 'eventsPerSec');
    const complete = (id) => (results[id] ?? []).length > 0 && results[id].every((r) => r.complete === true);
    row(
      '(8g) bench event: end to end to the sink, delivered events/s (burst, then shutdown)',
      MODES.map((mode) => cell(get(`spool:bench:${mode}`, 'eventsPerSec'), 1, 0)),
      `on/off ${fmt(e2eOn / med('spool:bench:off', 'eventsPerSec'), 2)}×`,
      '≥ 150k/s with the spool on, complete',
      ok([e2eOn], () => e2eOn >= 150_000 && complete('spool:bench:on')),
    );
  }
  const replay = (metric) => med('spool-replay', metric);
  if ((results['spool-replay'] ?? []).length > 0) {
    const first = results['spool-replay'][0];
    row(
      `(8k) replay: ${fmt(first.n, 0)} gateway events a SIGKILLed process left (${first.segments} segments, ${fmt(first.spoolBytes / 1048576, 1)} MiB), read back and delivered by a new client: the longest gap between 1 ms timer ticks meanwhile, ms`,
      ['—', cell(get('spool-replay', 'longestGapMs'), 1, 1), '—'],
      `event-loop delay p99 ${fmt(replay('delayP99Ms'), 1)} ms; replay took ${fmt(replay('seconds'), 2)} s`,
      '≤ 30 ms, complete',
      ok([replay('longestGapMs')], () => replay('longestGapMs') <= 30 && results['spool-replay'].every((r) => r.complete === true)),
    );
  }
  return `
### Durable spool (8)

The same burst as (1)/(2) with \`batching.spoolDir\` off, on, and on with \`spoolSync: true\`
(\`fdatasync\` per group write), in a fresh temp directory on the machine's disk. The spool's work
(encoding each event once, one framed write per event-loop turn) runs in a \`process.nextTick\` after
the calls of a turn, so the sync-loop rows do not see it and the "deferred" rows do; with the spool
off, encoding happens later, at send time, so only the end-to-end CPU row (8h″) compares the same
work. CPU-time rows are less sensitive to a busy machine than wall-clock ones. The gateway
event builds its strings per call (user id, request id, templated agent and workflow names).
(8j) records one event per event-loop turn instead (\`bench/cases/turns.mjs\`, a sink that never
answers): each turn then pays a whole group write (one event's JSON, its frame and checksum, one
\`write(2)\`; with \`spoolSync\` an \`fdatasync\` too). (8k) measures how long the app's event loop is held
while a new client replays a dead process's spool (\`bench/cases/replay-stall.mjs\`).

| Figure | spool off | spool on | spool on + fdatasync | ratio | target | pass |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`;
}
