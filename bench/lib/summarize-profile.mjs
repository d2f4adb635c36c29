// Reads a V8 .cpuprofile (node --cpu-prof) and ranks functions by self and inclusive time, mapping
// frames of the built dist/ back to src/ through the source maps (node:module SourceMap, no deps).
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const maps = new Map();

function sourceMapFor(url) {
  if (!maps.has(url)) {
    let map = null;
    try {
      const file = url.startsWith('file://') ? fileURLToPath(url) : url;
      if (existsSync(file + '.map')) map = new SourceMap(JSON.parse(readFileSync(file + '.map', 'utf8')));
    } catch {
      map = null; // An unreadable map only costs the src/ location, never the summary.
    }
    maps.set(url, map);
  }
  return maps.get(url);
}

/** "src/pipeline/ledger.ts:41" for our dist frames, "undici/lib/…:12" for packages, "node:…" for internals. */
function locate({ url, lineNumber, columnNumber }) {
  if (!url) return '';
  if (url.includes('/dist/')) {
    const entry = sourceMapFor(url)?.findEntry(lineNumber, columnNumber);
    if (entry?.originalSource) {
      const src = entry.originalSource.replace(/^.*?\/(src\/)/, '$1').replace(/^(\.\.\/)+/, '');
      return `${src}:${entry.originalLine + 1}`;
    }
  }
  const rel = url.replace(/^file:\/\//, '');
  const nm = rel.lastIndexOf('node_modules/');
  if (nm >= 0) return `${rel.slice(nm + 13)}:${lineNumber + 1}`;
  if (rel.startsWith(ROOT)) return `${path.relative(ROOT, rel)}:${lineNumber + 1}`;
  return `${rel}:${lineNumber + 1}`;
}

function categoryOf(frame, where) {
  const name = frame.functionName;
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'V8/native (program)';
  if (where.startsWith('src/')) return 'our code (src/)';
  if (where.startsWith('bench/')) return 'bench harness';
  if (where.startsWith('node:') || frame.url.startsWith('node:')) return 'node internals';
  if (frame.url === '') return 'native (JSON, builtins)';
  const pkg = where.match(/^(@[^/]+\/[^/]+|[^/]+)\//)?.[1];
  return pkg ? `package ${pkg}` : 'other';
}

/**
 * Summarizes one profile: total ms, ms by category, top `top` functions by self and by inclusive time
 * (each sample counted once per function on its stack). Returns markdown.
 */
export function summarizeProfile(file, { top = 15, title = path.basename(file) } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = new Map();
  const catOf = new Map();
  for (const n of profile.nodes) {
    const where = locate(n.callFrame);
    keyOf.set(n.id, `${n.callFrame.functionName || '(anonymous)'} ${where}`.trim());
    catOf.set(n.id, categoryOf(n.callFrame, where));
  }
  const self = new Map();
  const incl = new Map();
  // Line-level ticks (positionTicks) per function, mapped to src/ lines, for the hottest functions.
  const lines = new Map();
  for (const n of profile.nodes) {
    if (!n.positionTicks) continue;
    const k = keyOf.get(n.id);
    const perLine = lines.get(k) ?? new Map();
    for (const { line, ticks } of n.positionTicks) {
      const where = locate({ ...n.callFrame, lineNumber: line - 1, columnNumber: 0 }).replace(/^.*\//, '');
      perLine.set(where, (perLine.get(where) ?? 0) + ticks);
    }
    lines.set(k, perLine);
  }
  const cats = new Map();
  let total = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = (timeDeltas[i + 1] ?? timeDeltas[i] ?? 0) / 1000; // ms attributed to sample i
    const id = samples[i];
    total += dt;
    const k = keyOf.get(id);
    self.set(k, (self.get(k) ?? 0) + dt);
    cats.set(catOf.get(id), (cats.get(catOf.get(id)) ?? 0) + dt);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const key = keyOf.get(cur);
      if (seen.has(key) || byId.get(cur).callFrame.functionName === '(root)') continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + dt);
    }
  }
  const busy = total - (cats.get('idle') ?? 0);
  const pct = (ms) => `${((100 * ms) / busy).toFixed(1)}%`;
  const rank = (m, filter = () => true) =>
    [...m.entries()]
      .filter(([k]) => filter(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => `| ${k.replace(/\|/g, '\\|')} | ${ms.toFixed(0)} | ${pct(ms)} |`)
      .join('\n');
  const catLines = [...cats.entries()]
    .filter(([c]) => c !== 'idle')
    .sort((a, b) => b[1] - a[1])
    .map(([c, ms]) => `| ${c} | ${ms.toFixed(0)} | ${pct(ms)} |`)
    .join('\n');
  const hotLines = [...self.entries()]
    .filter(([k]) => / src\//.test(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k]) => {
      const perLine = [...(lines.get(k) ?? new Map()).entries()].sort((a, b) => b[1] - a[1]);
      const sum = perLine.reduce((acc, [, t]) => acc + t, 0) || 1;
      return `- ${k}: ${perLine
        .slice(0, 5)
        .map(([where, t]) => `${where} ${Math.round((100 * t) / sum)}%`)
        .join(', ')}`;
    })
    .join('\n');
  return `### ${title}

Busy (non-idle) time ${busy.toFixed(0)} ms of ${total.toFixed(0)} ms sampled. Percentages are of busy time.

| Where the time went | ms | share |
|---|---|---|
${catLines}

Top functions by self time:

| Function and location | self ms | share |
|---|---|---|
${rank(self, (k) => !k.startsWith('(idle)'))}

Hottest lines of our hottest functions (share of that function's self samples; native calls count on the calling line):

${hotLines}

Our code by inclusive time (the function and everything it called):

| Function and location | incl. ms | share |
|---|---|---|
${rank(incl, (k) => / src\//.test(k))}
`;
}
