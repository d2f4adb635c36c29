#!/usr/bin/env node
// `node bench/profile.mjs` (after `npm run build`): CPU profiles (node --cpu-prof) of
//   record  — the record path alone (client.usage.record × N, nothing sent),
//   send    — record + batch encoding + sending to the counting sink (producer yielding every 1000),
//   ingest  — our server process while it ingests batches of 1000 (new, then duplicates;
//             `ingest-new`: new only),
// summarized by function with src/ locations into bench/results/profiles/SUMMARY.md.
//   node bench/profile.mjs [--only record,send,ingest] [--n 200000]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summarizeProfile } from './lib/summarize-profile.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const { values: opts } = parseArgs({ options: { only: { type: 'string' }, n: { type: 'string', default: '200000' } } });
const n = Number(opts.n);
const OUT = HERE + 'results/profiles/';

const TARGETS = {
  record: { script: 'record-only.mjs', args: { sdk: 'ours', n }, profile: 'main' },
  send: { script: 'e2e.mjs', args: { sdk: 'ours', config: 'tuned', n, yieldEvery: 1000 }, profile: 'main' },
  ingest: { script: 'server-ingest.mjs', args: { n }, profile: 'server' },
  'ingest-new': { script: 'server-ingest.mjs', args: { n, replay: false }, profile: 'server' },
};
const chosen = opts.only ? opts.only.split(',') : ['record', 'send', 'ingest'];
const sections = [];
for (const name of chosen) {
  const target = TARGETS[name];
  if (!target) throw new Error(`unknown profile target ${name}; known: ${Object.keys(TARGETS).join(', ')}`);
  const dir = `${OUT}${name}/`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const mainFlags = ['--max-old-space-size=4096', '--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', 'main.cpuprofile'];
  const env = { ...process.env, BEARLUMEN_LOG_LEVEL: 'error' };
  if (target.profile === 'server') env.BENCH_SERVER_FLAGS = `--cpu-prof --cpu-prof-dir ${dir} --cpu-prof-name server.cpuprofile`;
  const res = spawnSync(process.execPath, [...mainFlags, HERE + 'cases/' + target.script, JSON.stringify(target.args)], {
    env,
    encoding: 'utf8',
    timeout: 180_000,
  });
  const line = (res.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT ')) ?? '';
  console.log(`profile ${name}: exit ${res.status} ${line.slice(0, 300)}`);
  if (res.status !== 0) console.log(res.stderr);
  const file = readdirSync(dir).find((f) => f === `${target.profile}.cpuprofile`);
  if (!file) {
    sections.push(`### ${name}\n\nNo profile written (exit ${res.status}).\n`);
    continue;
  }
  sections.push(summarizeProfile(dir + file, { title: `${name} — ${target.script} ${JSON.stringify(target.args)} (${target.profile} process)` }));
}
const md = `# CPU profiles\n\nGenerated ${new Date().toISOString()} by \`node bench/profile.mjs\`. Raw profiles (open in Chrome DevTools → Performance) next to this file.\n\n${sections.join('\n')}`;
writeFileSync(OUT + 'SUMMARY.md', md);
console.log(md);
