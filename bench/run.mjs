#!/usr/bin/env node
// `npm run bench` — builds (via the npm script), then runs every measurement of bench/lib/plan.mjs
// in a fresh node process, `--runs` times (default 3), and writes bench/RESULTS.md.
//
//   node bench/run.mjs [--quick] [--runs N] [--only sync,e2e:ours] [--out FILE] [--raw FILE]
//
// --quick   small N and 1 run each: a CI smoke that the harness works (writes bench/results/RESULTS.quick.md)
// --only    comma-separated prefixes of plan ids (e.g. `e2e:ours,ceiling`); writes bench/results/RESULTS.partial.md
// --render FILE  re-render RESULTS.md (or --out) from a raw results JSON of an earlier run
// CPU profiles: see bench/profile.mjs.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildPlan, planSizes } from './lib/plan.mjs';
import { renderReport } from './lib/report.mjs';
import { busyCores, machine } from './lib/stats.mjs';
import { versions } from './lib/sdks.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string' },
    out: { type: 'string' },
    raw: { type: 'string' },
    render: { type: 'string' },
  },
});
if (opts.render) {
  // Re-render a report from a raw results file (e.g. after changing the report's layout).
  const raw = JSON.parse(readFileSync(opts.render, 'utf8'));
  const target = opts.out ?? HERE + 'RESULTS.md';
  writeFileSync(target, renderReport(raw));
  console.log(`bench: rendered ${opts.render} into ${target}`);
  process.exit(0);
}
const quick = opts.quick;
const runs = Number(opts.runs ?? (quick ? 1 : 3));
if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error(`--runs must be an integer 1–20, got ${opts.runs}`);
const only = opts.only?.split(',').map((s) => s.trim()).filter(Boolean);
let plan = buildPlan({ quick });
if (only) plan = plan.filter((p) => only.some((prefix) => p.id.startsWith(prefix)));
if (plan.length === 0) throw new Error(`--only ${opts.only} matches no measurement`);
const needsDist = plan.some((p) => p.id.includes('ours') || p.id.startsWith('server') || p.id.startsWith('spool'));
if (needsDist && !existsSync(HERE + '../dist/index.js')) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');

const resultsDir = HERE + 'results/';
mkdirSync(resultsDir, { recursive: true });
const out = opts.out ?? (quick ? resultsDir + 'RESULTS.quick.md' : only ? resultsDir + 'RESULTS.partial.md' : HERE + 'RESULTS.md');

/** Runs one measurement in a fresh process; resolves to its RESULT object or throws. */
function runOne(entry) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(entry.flags ?? []), HERE + 'cases/' + entry.script, JSON.stringify(entry.args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BEARLUMEN_LOG_LEVEL: process.env.BEARLUMEN_LOG_LEVEL ?? 'error' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${entry.timeoutMs / 1000} s`));
    }, entry.timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) resolve(JSON.parse(line.slice(7)));
      else reject(new Error(`exited ${code ?? signal} without a result: ${(stderr || stdout).trim().split('\n').slice(-3).join(' | ').slice(0, 400)}`));
    });
  });
}

const started = Date.now();
const loadStart = machine().loadavg;
const busyStart = await busyCores();
const results = {};
const errors = {};
console.log(`bench: ${plan.length} measurements × ${runs} run(s)${quick ? ' (quick)' : ''}; load ${loadStart.join(' ')}; other work ${busyStart ?? '?'} cores`);
for (let round = 1; round <= runs; round++) {
  for (const entry of plan) {
    const t0 = Date.now();
    try {
      const r = await runOne(entry);
      (results[entry.id] ??= []).push(r);
      console.log(`  [${round}/${runs}] ${entry.id.padEnd(26)} ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s  ${brief(r)}`);
    } catch (err) {
      (errors[entry.id] ??= []).push(String(err.message ?? err));
      console.log(`  [${round}/${runs}] ${entry.id.padEnd(26)} FAILED: ${err.message}`);
    }
  }
}
const loadEnd = machine().loadavg;
const busyEnd = await busyCores();

function brief(r) {
  const keys = ['syncNsPerCall', 'eventsPerSec', 'bytesPerEvent', 'shutdownSeconds', 'encodeEventsPerSec', 'newPerSec', 'dupPerSec', 'unique', 'duplicates'];
  return keys
    .filter((k) => typeof r[k] === 'number')
    .map((k) => `${k}=${Math.round(r[k] * 100) / 100}`)
    .join(' ');
}

/** The commit measured, and whether the working tree differed from it (the shared tree may hold others' edits). */
function revision() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: HERE, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '../src'], { cwd: HERE, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} + uncommitted changes in src/` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

const meta = {
  revision: revision(),
  quick,
  runs,
  sizes: planSizes({ quick }),
  startedAt: new Date(started).toISOString(),
  seconds: (Date.now() - started) / 1000,
  machine: machine(),
  loadStart,
  loadEnd,
  busyStart,
  busyEnd,
  versions: versions(),
  errors,
  hostname: os.hostname(),
};
const rawPath = opts.raw ?? resultsDir + `raw-${new Date(started).toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(rawPath, JSON.stringify({ meta, plan, results }, null, 2));
writeFileSync(out, renderReport({ results, meta, plan }));
console.log(`bench: wrote ${out} and ${rawPath} in ${meta.seconds.toFixed(0)} s`);
if (Object.keys(errors).length > 0) process.exitCode = 1;
