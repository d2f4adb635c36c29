// Microbenchmark behind the batch body encoding (src/pipeline/batch-body.ts, docs/benchmarks.md
// "Batch body encoding"): one batch of 1,000 wire events, shaped as record() builds them, encoded to the
// UTF-8 bytes gzip needs, as
//   whole  — Buffer.from(JSON.stringify({ events })) (one call, one ~280 KB string),
//   each   — JSON.stringify per event, joined, then Buffer.from,
//   pieces — JSON.stringify per run of ~32 KB of events, each piece to a Buffer, Buffer.concat (ours).
// The variants alternate in one process, warm; prints ns per event (median of 7 rounds of 300 batches).
//   node bench/micro/batch-encode.mjs      (and npx -y node@22 / node@24 … for the other majors)
import process from 'node:process';

const BATCH = 1000;
const ROUNDS = 7;
const BATCHES_PER_ROUND = 300;

function MetadataObject() {}
MetadataObject.prototype = Object.prototype;

function wireEvent(i) {
  const metadata = new MetadataObject();
  metadata.customer_id = `cus_${i % 97}`;
  metadata.request_id = `req_${i}`;
  metadata.agent_id = 'support-agent';
  metadata.workflow_id = 'ticket-triage';
  return {
    eventType: 'llm.completion',
    metricName: 'input_tokens',
    quantity: 1000 + (i % 500),
    idempotencyKey: `01JBENCH${String(i).padStart(18, '0')}`,
    timestamp: new Date(1_764_000_000_000 + i).toISOString(),
    metadata,
  };
}

const events = Array.from({ length: BATCH }, (_, i) => wireEvent(i));
const PIECE = 120; // events per ~32 KB piece at this event's ~270 bytes
const OPEN = Buffer.from('{"events":[');
const CLOSE = Buffer.from(']}');
const COMMA = Buffer.from(',');
const VARIANTS = {
  whole: (batch) => Buffer.from(JSON.stringify({ events: batch })),
  each: (batch) => {
    const parts = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) parts[i] = JSON.stringify(batch[i]);
    return Buffer.from(`{"events":[${parts.join(',')}]}`);
  },
  pieces: (batch) => {
    const chunks = [OPEN];
    for (let i = 0; i < batch.length; i += PIECE) {
      if (i > 0) chunks.push(COMMA);
      chunks.push(Buffer.from(JSON.stringify(batch.slice(i, i + PIECE)).slice(1, -1)));
    }
    chunks.push(CLOSE);
    return Buffer.concat(chunks);
  },
};
const reference = VARIANTS.whole(events);
for (const [name, encode] of Object.entries(VARIANTS)) if (!encode(events).equals(reference)) throw new Error(`${name} differs`);

let sink = 0;
const samples = Object.fromEntries(Object.keys(VARIANTS).map((name) => [name, []]));
for (let round = 0; round < ROUNDS + 1; round++) {
  for (const [name, encode] of Object.entries(VARIANTS)) {
    const t0 = process.hrtime.bigint();
    for (let b = 0; b < BATCHES_PER_ROUND; b++) sink += encode(events).length;
    const ns = Number(process.hrtime.bigint() - t0) / (BATCHES_PER_ROUND * BATCH);
    if (round > 0) samples[name].push(ns); // round 0 warms both up
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const figures = Object.entries(samples).map(([name, xs]) => `${name} ${median(xs).toFixed(0)}`);
console.log(`node ${process.version}, ns per event: ${figures.join(' | ')} (checksum ${sink % 1000})`);
