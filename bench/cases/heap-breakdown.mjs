// For the memory figure's explanation: what one buffered event is made of. Takes a heap snapshot
// before and after N more record() calls (sink never answers, timers far away), and diffs the
// snapshots' self sizes by node type and constructor name, per event. Run with --expose-gc.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { caseArgs, emit, memoryAfterGc, settle } from '../lib/case.mjs';
import { startSink } from '../lib/start-sink.mjs';
import { createSdk, holdSettingsFor } from '../lib/sdks.mjs';
import { setTimeout as delay } from 'node:timers/promises';

const { sdk = 'ours', n = 20_000, warmup = 1000, top = 20 } = caseArgs();
const sink = await startSink('hold');
const client = await createSdk(sdk, sink.url, holdSettingsFor(sdk, n + warmup));

/** Self size by "type:name" of a snapshot file. */
function histogram(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const stride = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map();
  const { nodes, strings } = snap;
  for (let i = 0; i < nodes.length; i += stride) {
    const type = types[nodes[i + iType]];
    let name = strings[nodes[i + iName]];
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(strings)';
    else if (type === 'number') name = '(heap numbers)';
    else if (type === 'closure') name = `(closure) ${name}`;
    else if (type === 'array') name = `(array) ${name}`;
    else if (type === 'code' || type === 'hidden') name = `(${type}) ${name.slice(0, 40)}`;
    const key = `${type}:${name}`;
    const cur = out.get(key) ?? { count: 0, size: 0 };
    cur.count++;
    cur.size += nodes[i + iSize];
    out.set(key, cur);
  }
  return out;
}

function snapshot(tag) {
  memoryAfterGc();
  const file = writeHeapSnapshot(join(tmpdir(), `bench-heap-${process.pid}-${tag}.heapsnapshot`));
  const h = histogram(file);
  rmSync(file, { force: true });
  return h;
}

for (let i = 0; i < warmup; i++) client.record(i);
await settle();
await delay(100);
const before = snapshot('before');
const m0 = memoryAfterGc();
for (let i = warmup; i < warmup + n; i++) client.record(i);
await settle();
await delay(200);
const m1 = memoryAfterGc();
const after = snapshot('after');

const rows = [];
for (const [key, a] of after) {
  const b = before.get(key) ?? { count: 0, size: 0 };
  const dSize = a.size - b.size;
  if (dSize <= 0) continue;
  rows.push({ what: key, objectsPerEvent: (a.count - b.count) / n, bytesPerEvent: dSize / n });
}
rows.sort((x, y) => y.bytesPerEvent - x.bytesPerEvent);
emit({
  sdk,
  n,
  bytesPerEvent: (m1.total - m0.total) / n,
  snapshotBytesPerEvent: rows.reduce((s, r) => s + r.bytesPerEvent, 0),
  top: rows.slice(0, top).map((r) => ({ ...r, objectsPerEvent: Math.round(r.objectsPerEvent * 100) / 100, bytesPerEvent: Math.round(r.bytesPerEvent) })),
});
