// Microbenchmark behind the spool's runs (src/pipeline/spool/runs.ts, docs/benchmarks.md "Spool
// records"): 1,200 wire events, shaped as record() builds them, encoded and framed as the spool's group
// write does (`length · CRC-32 · JSON` into a reused scratch buffer), with one JSON.stringify per run of
// `size` events (size 1 = one record per event, the previous format). `v8:size` frames runs serialised
// with v8.serialize instead (V8's structured-clone format: no escaping, integers as varints, bytes
// straight out; tried as a cheaper encoding and not faster). Prints ns per event, median of 7 warm
// rounds of 200 groups each.
//   node bench/micro/spool-runs.mjs      (Node 20.15+ / 22.2+: zlib.crc32)
import process from 'node:process';
import v8 from 'node:v8';
import zlib from 'node:zlib';
function MetadataObject() {}
MetadataObject.prototype = Object.prototype;
function wireEvent(i) {
  const metadata = new MetadataObject();
  metadata.customer_id = `cus_${i % 97}`; metadata.request_id = `req_${i}`; metadata.agent_id = 'support-agent'; metadata.workflow_id = 'ticket-triage';
  return { eventType: 'llm.completion', metricName: 'input_tokens', quantity: 1000 + (i % 500), idempotencyKey: `01JBENCH${String(i).padStart(18, '0')}`, timestamp: new Date(1_764_000_000_000 + i).toISOString(), metadata };
}
const N = 1200;
const events = Array.from({ length: N }, (_, i) => wireEvent(i));
const scratch = Buffer.allocUnsafe(4 << 20);
function run(size) {
  let off = 0;
  for (let i = 0; i < N; i += size) {
    const json = JSON.stringify(size === 1 ? events[i] : events.slice(i, i + size));
    const len = scratch.write(json, off + 8, 'utf8');
    scratch.writeUInt32LE(len, off); scratch.writeUInt32LE(zlib.crc32(scratch.subarray(off + 8, off + 8 + len)), off + 4);
    off += 8 + len;
  }
  return off;
}
function runV8(size) {
  let off = 0;
  for (let i = 0; i < N; i += size) {
    const bytes = v8.serialize(events.slice(i, i + size));
    bytes.copy(scratch, off + 8);
    scratch.writeUInt32LE(bytes.length, off); scratch.writeUInt32LE(zlib.crc32(bytes), off + 4);
    off += 8 + bytes.length;
  }
  return off;
}
const sizes = [1, 8, 16, 32, 60, 120, 'v8:32', 'v8:120'];
const samples = Object.fromEntries(sizes.map((s) => [s, []]));
let sink = 0;
const measure = (s) => (typeof s === 'number' ? run(s) : runV8(Number(s.slice(3))));
for (let r = 0; r < 8; r++) for (const s of sizes) { const t0 = process.hrtime.bigint(); for (let k = 0; k < 200; k++) sink += measure(s); const ns = Number(process.hrtime.bigint() - t0) / (200 * N); if (r > 0) samples[s].push(ns); }
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(process.version, sizes.map((s) => `${s}:${med(samples[s]).toFixed(0)}`).join(' '), sink % 10);
