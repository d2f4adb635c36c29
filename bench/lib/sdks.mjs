// The three SDKs under test behind one small adapter, each with the same realistic LLM event
// (model, provider, agent_id, workflow_id, token counts), built inside the call being measured.
// Ours is imported from the BUILT dist, so the figures are what users get.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const API_KEY = 'bl_test_' + 'x'.repeat(24);

const MODELS = [
  ['gpt-4o-mini', 'openai'],
  ['claude-3-5-sonnet-20241022', 'anthropic'],
  ['gemini-1.5-flash', 'google'],
  ['gpt-4o', 'openai'],
];
const AGENTS = Array.from({ length: 16 }, (_, i) => `agent-support-${i}`);
const WORKFLOWS = Array.from({ length: 8 }, (_, i) => `wf-ticket-triage-${i}`);
const USERS = Array.from({ length: 64 }, (_, i) => `user_${1000 + i}`);

/**
 * Batch settings per SDK and config. `tuned` = the fastest reasonable batch settings found for
 * this harness; `default` = the SDK's own defaults (only the endpoint and exit handling set).
 * `n` sizes the queue limits so a tuned run can hold the whole burst.
 */
export function settingsFor(sdk, config, n) {
  const cap = Math.max(n, 100_000) + 10_000;
  if (sdk === 'ours') {
    return config === 'tuned'
      ? { maxBatchSize: 1000, flushIntervalMs: 50, concurrency: 4, maxBufferedEvents: cap, maxBufferedBytes: 1024 * cap }
      : {};
  }
  if (sdk === 'posthog') {
    return config === 'tuned'
      ? { flushAt: 1000, maxBatchSize: 1000, maxQueueSize: cap, flushInterval: 50, disableGeoip: true }
      : {};
  }
  return config === 'tuned' ? { flushAt: 1000, flushInterval: 50, httpRequestTimeout: 60_000 } : {};
}

/** Settings for the memory and shutdown figures: nothing leaves before shutdown (where the SDK allows it). */
export function holdSettingsFor(sdk, n) {
  const cap = n + 10_000;
  if (sdk === 'ours') return { maxBatchSize: 1000, flushIntervalMs: 600_000, concurrency: 4, maxBufferedEvents: cap, maxBufferedBytes: 1024 * cap };
  if (sdk === 'posthog') return { flushAt: cap, maxBatchSize: 1000, maxQueueSize: cap, flushInterval: 3_600_000, disableGeoip: true };
  // Segment caps a batch at 480 KB and sends each full batch at once: it cannot hold more.
  return { flushAt: 1000, flushInterval: 3_600_000, httpRequestTimeout: 60_000 };
}

export function versions() {
  const read = (p) => JSON.parse(readFileSync(ROOT + p, 'utf8')).version;
  return {
    node: process.version,
    '@bearlumen/node-sdk': read('package.json'),
    'posthog-node': read('node_modules/posthog-node/package.json'),
    '@segment/analytics-node': read('node_modules/@segment/analytics-node/package.json'),
    undici: read('node_modules/undici/package.json'),
    fastify: read('node_modules/fastify/package.json'),
    'better-sqlite3': read('node_modules/better-sqlite3/package.json'),
  };
}

/** Our `record()` input for call i: the bench event, every string prebuilt. */
export function benchEvent(i) {
  const m = MODELS[i & 3];
  return {
    eventType: 'llm_call',
    metricName: 'llm_tokens_input',
    quantity: 200 + (i % 1800),
    agent_id: AGENTS[i & 15],
    workflow_id: WORKFLOWS[i & 7],
    metadata: { model: m[0], provider: m[1], output_tokens: 50 + (i % 700) },
  };
}

const TEAMS = ['support', 'billing', 'search', 'sales'];

/**
 * What an LLM gateway records: strings built per call (a user id, a request id, a templated agent and
 * workflow name, a subscription id), as a gateway derives them from each request.
 */
export function gatewayEvent(i) {
  const m = MODELS[i & 3];
  const team = TEAMS[(i >> 2) & 3];
  return {
    eventType: 'llm_call',
    metricName: 'llm_tokens_input',
    quantity: 200 + (i % 1800),
    agent_id: `${team}-agent-${i & 15}`,
    workflow_id: `wf-${team}-${i & 7}`,
    metadata: { model: m[0], provider: m[1], output_tokens: 50 + (i % 700), user_id: `user_${1000 + (i % 5000)}`, request_id: `req_${i.toString(36)}_${(i * 2654435761) >>> 0}` },
  };
}

/**
 * Creates one SDK client against `url` with `batching` settings.
 * Returns { record(i), shutdown(timeoutMs) → report|undefined, name }. `event` (ours only): 'bench'
 * (prebuilt strings) or 'gateway' (strings built per call, see gatewayEvent).
 */
export async function createSdk(sdk, url, batching, apiKey = API_KEY, event = 'bench') {
  if (sdk === 'ours') {
    // BENCH_SDK_ENTRY lets a patched build be measured side by side (e.g. a proposed fix in a scratch copy).
    const { BearLumen } = await import(process.env.BENCH_SDK_ENTRY || ROOT + 'dist/index.js');
    const client = new BearLumen({ apiKey, baseUrl: url, batching, handleExit: false });
    // Sizes of the acknowledged batches, for the batch-fill figure (adaptive sending must keep a burst in full batches).
    const batchSizes = [];
    client.on('flush', (flush) => batchSizes.push(flush.count ?? flush.events));
    const fullSize = batching.maxBatchSize ?? 1000;
    const build = event === 'gateway' ? gatewayEvent : benchEvent;
    return {
      /** { batches, fullShare }: how many batches were acknowledged, and the share of them at maxBatchSize. */
      batchFill: () => ({ batches: batchSizes.length, fullShare: batchSizes.filter((size) => size === fullSize).length / Math.max(1, batchSizes.length) }),
      record(i) {
        return client.usage.record(build(i));
      },
      shutdown: (timeoutMs) => client.shutdown({ timeoutMs }),
      stats: () => client.stats?.(),
    };
  }
  if (sdk === 'posthog') {
    const { PostHog } = await import('posthog-node');
    const client = new PostHog('phc_bench_project_key', { host: url, ...batching });
    client.on?.('error', () => {});
    return {
      record(i) {
        const m = MODELS[i & 3];
        client.capture({
          distinctId: USERS[i & 63],
          event: 'llm_call',
          properties: {
            model: m[0],
            provider: m[1],
            agent_id: AGENTS[i & 15],
            workflow_id: WORKFLOWS[i & 7],
            input_tokens: 200 + (i % 1800),
            output_tokens: 50 + (i % 700),
          },
        });
      },
      shutdown: async (timeoutMs) => {
        await client.shutdown(timeoutMs);
        return undefined;
      },
    };
  }
  const { Analytics } = await import('@segment/analytics-node');
  const client = new Analytics({ writeKey: 'seg_bench_write_key', host: url, path: '/v1/batch', ...batching });
  client.on('error', () => {});
  return {
    record(i) {
      const m = MODELS[i & 3];
      client.track({
        userId: USERS[i & 63],
        event: 'llm_call',
        properties: {
          model: m[0],
          provider: m[1],
          agent_id: AGENTS[i & 15],
          workflow_id: WORKFLOWS[i & 7],
          input_tokens: 200 + (i % 1800),
          output_tokens: 50 + (i % 700),
        },
      });
    },
    shutdown: async (timeoutMs) => {
      await client.closeAndFlush({ timeout: timeoutMs });
      return undefined;
    },
  };
}

/** Our wire event for the ceilings and the ingest driver: the same event as `record()` sends. */
export function wireEvent(i, keyPrefix, ts) {
  const m = MODELS[i & 3];
  return {
    eventType: 'llm_call',
    metricName: 'llm_tokens_input',
    quantity: 200 + (i % 1800),
    idempotencyKey: keyPrefix + i.toString(36).padStart(8, '0'),
    timestamp: ts,
    metadata: { model: m[0], provider: m[1], output_tokens: 50 + (i % 700), agent_id: AGENTS[i & 15], workflow_id: WORKFLOWS[i & 7] },
  };
}
