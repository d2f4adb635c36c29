// Ceiling A: JSON encoding of 1000-event batches of our wire event (JSON.stringify of
// { events: [...] }), and for reference gzip of the same bodies — the physical limit of any
// SDK that must encode each event once on this machine.
import { caseArgs, emit, nowNs } from '../lib/case.mjs';
import { wireEvent } from '../lib/sdks.mjs';
import zlib from 'node:zlib';

const { n = 200_000, batchSize = 1000 } = caseArgs();
const ts = new Date().toISOString();
const batches = [];
for (let b = 0; b < n / batchSize; b++) {
  const events = new Array(batchSize);
  for (let j = 0; j < batchSize; j++) events[j] = wireEvent(b * batchSize + j, 'bench-enc-', ts);
  batches.push({ events });
}
// Warm the encoder on one batch, then time all of them.
JSON.stringify(batches[0]);
let bytes = 0;
const bodies = [];
const t0 = nowNs();
for (const batch of batches) {
  const body = JSON.stringify(batch);
  bytes += body.length;
  bodies.push(body);
}
const t1 = nowNs();
// gzip at level 1 (as our transport does for batches > 16 KB) and at zlib's default level 6.
function gzipRate(level) {
  const sample = bodies.slice(0, 50);
  let out = 0;
  const g0 = nowNs();
  for (const body of sample) out += zlib.gzipSync(body, { level }).length;
  const g1 = nowNs();
  const events = sample.length * batchSize;
  return { eventsPerSec: events / ((g1 - g0) / 1e9), bytesPerEvent: out / events };
}
const gzDefault = gzipRate(zlib.constants.Z_DEFAULT_COMPRESSION);
const gzFast = gzipRate(1);
emit({
  n,
  batchSize,
  encodeEventsPerSec: n / ((t1 - t0) / 1e9),
  bytesPerEvent: bytes / n,
  gzipDefaultEventsPerSec: gzDefault.eventsPerSec,
  gzipDefaultBytesPerEvent: gzDefault.bytesPerEvent,
  gzipLevel1EventsPerSec: gzFast.eventsPerSec,
  gzipLevel1BytesPerEvent: gzFast.bytesPerEvent,
});
