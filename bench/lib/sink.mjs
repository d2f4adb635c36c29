// A minimal counting sink, run as its own child process (fork) so it never shares an event loop
// with the SDK under test. It accepts each SDK's batch endpoint, gunzips when needed and counts
// unique events by their key, so every end-to-end figure also proves completeness.
//
//   ours     POST /v1/usage/events/batch  {events:[{idempotencyKey,…}]}   → {recordedCount, skippedCount, results}
//   posthog  POST /batch/                 {api_key, batch:[{uuid,…}]}    → {status: 1}
//   segment  POST /v1/batch               {batch:[{messageId,…}]}        → {success: true}
//
// Mode `hold` accepts requests and never answers (events stay held by the SDK, for memory figures).
// The parent talks to it over IPC: {cmd:'stats'} → counters, {cmd:'reset'}, {cmd:'close'}.
import http from 'node:http';
import zlib from 'node:zlib';
import process from 'node:process';

const mode = process.argv[2] ?? 'ack';

/** key → eventId of its first arrival (ours needs the original id for duplicates). */
let seen = new Map();
let counters;
function resetCounters() {
  seen = new Map();
  counters = {
    requests: 0,
    gzipRequests: 0,
    wireBytes: 0,
    bodyBytes: 0,
    events: 0,
    unique: 0,
    duplicates: 0,
    missingKey: 0,
    byRoute: {},
    otherRequests: 0,
    badRequests: 0,
    firstAt: 0,
    lastAt: 0,
  };
}
resetCounters();

/** Records one key; returns [eventId, isNew]. */
function count(key) {
  counters.events++;
  if (typeof key !== 'string' || key.length === 0) {
    counters.missingKey++;
    return ['evt_missing', false];
  }
  const prior = seen.get(key);
  if (prior !== undefined) {
    counters.duplicates++;
    return [prior, false];
  }
  const id = 'evt_' + counters.unique.toString(36);
  counters.unique++;
  seen.set(key, id);
  return [id, true];
}

function routeOf(url) {
  if (url.startsWith('/v1/usage/events/batch')) return 'ours';
  if (url.startsWith('/batch')) return 'posthog';
  if (url.startsWith('/v1/batch')) return 'segment';
  return null;
}

function answer(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function handle(req, res, raw) {
  const route = req.method === 'POST' ? routeOf(req.url ?? '') : null;
  if (route === null) {
    counters.otherRequests++;
    answer(res, 200, '{}');
    return;
  }
  counters.requests++;
  counters.wireBytes += raw.length;
  const now = Date.now();
  if (counters.firstAt === 0) counters.firstAt = now;
  counters.lastAt = now;
  let text;
  try {
    const gz = req.headers['content-encoding'] === 'gzip';
    if (gz) counters.gzipRequests++;
    const body = gz ? zlib.gunzipSync(raw) : raw;
    counters.bodyBytes += body.length;
    text = body.toString('utf8');
  } catch (err) {
    counters.badRequests++;
    answer(res, 400, JSON.stringify({ error: { type: 'invalid_request_error', code: 'bad_gzip', message: String(err) }, requestId: 'req_sink' }));
    return;
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    counters.badRequests++;
    answer(res, 400, JSON.stringify({ error: { type: 'invalid_request_error', code: 'bad_json', message: String(err) }, requestId: 'req_sink' }));
    return;
  }
  counters.byRoute[route] = (counters.byRoute[route] ?? 0) + 1;
  if (route === 'ours') {
    const events = Array.isArray(parsed?.events) ? parsed.events : [];
    let recorded = 0;
    let out = '';
    for (let i = 0; i < events.length; i++) {
      const [id, isNew] = count(events[i]?.idempotencyKey);
      if (isNew) recorded++;
      out += (i === 0 ? '' : ',') + '{"eventId":"' + id + '","recorded":' + isNew + '}';
    }
    answer(res, 200, '{"recordedCount":' + recorded + ',"skippedCount":' + (events.length - recorded) + ',"results":[' + out + ']}');
  } else if (route === 'posthog') {
    const batch = Array.isArray(parsed?.batch) ? parsed.batch : [];
    for (const e of batch) count(e?.uuid);
    answer(res, 200, '{"status":1}');
  } else {
    const batch = Array.isArray(parsed?.batch) ? parsed.batch : [];
    for (const e of batch) count(e?.messageId);
    answer(res, 200, '{"success":true}');
  }
}

const server = http.createServer({ keepAliveTimeout: 60_000, requestTimeout: 0 }, (req, res) => {
  if (mode === 'hold') {
    // Read and discard, never answer: the SDK keeps its events as unacknowledged.
    req.resume();
    counters.requests++;
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => handle(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
});
server.headersTimeout = 0;
server.maxRequestsPerSocket = 0;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}` });
});

process.on('message', (msg) => {
  if (msg?.cmd === 'stats') process.send?.({ type: 'stats', id: msg.id, stats: { ...counters, byRoute: { ...counters.byRoute } } });
  else if (msg?.cmd === 'reset') {
    resetCounters();
    process.send?.({ type: 'reset', id: msg.id });
  } else if (msg?.cmd === 'close') {
    server.closeAllConnections?.();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  }
});
process.on('disconnect', () => process.exit(0));
