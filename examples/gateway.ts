/**
 * A small LLM gateway: every chat request is metered with one line (instrumentOpenAI), attributed to
 * the calling agent and workflow without passing them around (withAttribution), and on SIGTERM /
 * SIGINT the server stops taking requests and the SDK delivers what is buffered before exit.
 *
 *   BEARLUMEN_API_KEY=bl_test_… OPENAI_API_KEY=sk-… npx tsx examples/gateway.ts
 *   curl -X POST localhost:3000/chat -d '{"agent":"support-bot","workflow":"refund","message":"Hi"}'
 *
 * Environment: BEARLUMEN_API_KEY, BEARLUMEN_BASE_URL (e.g. a local `bearlumen serve`), OPENAI_API_KEY,
 * OPENAI_BASE_URL, PORT (default 3000; 0 picks a free port). Run in CI by test/integration/examples.test.ts.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { BearLumen } from '@bearlumen/node-sdk';
import { instrumentOpenAI, integrationStats } from '@bearlumen/node-sdk/openai';

// The SDK's own exit hook is off: this process decides when to shut down (after the HTTP server).
const baseUrl = process.env['BEARLUMEN_BASE_URL'];
const bearLumen = new BearLumen({ handleExit: false, ...(baseUrl ? { baseUrl } : {}) });
const openai = instrumentOpenAI(new OpenAI(), bearLumen, { metadata: { service: 'gateway' } });

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/chat') {
    res.writeHead(404).end();
    return;
  }
  readJson(req)
    .then((body) => {
      const agent = typeof body['agent'] === 'string' ? body['agent'] : 'anonymous';
      const workflow = typeof body['workflow'] === 'string' ? body['workflow'] : 'chat';
      // Everything recorded inside, by the wrapper or by hand, carries this agent and workflow.
      return bearLumen.withAttribution({ agent_id: agent, workflow_id: workflow }, async () => {
        const completion = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: String(body['message'] ?? '') }] });
        return { reply: completion.choices[0]?.message.content ?? '', id: completion.id };
      });
    })
    .then(
      (answer) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer)),
      (error: unknown) => res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) })),
    );
});

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  // 1. No new requests; in-flight ones finish (their usage is recorded as they finish).
  await new Promise<void>((resolve) => server.close(() => resolve()));
  // 2. Deliver every buffered usage event (at most 10 s), then report what happened to each.
  const report = await bearLumen.shutdown({ timeoutMs: 10_000 });
  console.log(JSON.stringify({ stopped: signal, report: { ...report, unsent: report.unsent.length }, integrations: integrationStats(bearLumen) }));
}
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));

server.listen(Number(process.env['PORT'] ?? 3000), '127.0.0.1', () => {
  console.log(`gateway listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
