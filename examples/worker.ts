/**
 * A background worker: drains a queue of summarization jobs, each metered and attributed to its
 * customer's subscription and to the `nightly-summary` workflow, then shuts the SDK down and prints
 * what happened to every usage event. Exits 0 when every event was delivered.
 *
 *   BEARLUMEN_API_KEY=bl_test_… OPENAI_API_KEY=sk-… npx tsx examples/worker.ts
 *
 * Environment: as examples/gateway.ts, plus JOBS (how many jobs to run, default 3) and
 * SUBSCRIPTION_ID (optional). Run in CI by test/integration/examples.test.ts.
 */
import OpenAI from 'openai';
import { BearLumen } from '@bearlumen/node-sdk';
import { instrumentOpenAI, integrationStats } from '@bearlumen/node-sdk/openai';

interface Job {
  id: string;
  text: string;
}

const baseUrl = process.env['BEARLUMEN_BASE_URL'];
const bearLumen = new BearLumen({ handleExit: false, ...(baseUrl ? { baseUrl } : {}) });
const openai = instrumentOpenAI(new OpenAI(), bearLumen, { workflow_id: 'nightly-summary' });
const subscriptionId = process.env['SUBSCRIPTION_ID'] || undefined;

const queue: Job[] = Array.from({ length: Number(process.env['JOBS'] ?? 3) }, (_, i) => ({ id: `job-${i + 1}`, text: `Document ${i + 1}` }));

async function run(job: Job): Promise<void> {
  await bearLumen.withAttribution({ agent_id: 'summarizer', metadata: { job_id: job.id }, ...(subscriptionId === undefined ? {} : { subscriptionId }) }, () =>
    openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Summarize: ${job.text}` }] }),
  );
}

let failedJobs = 0;
for (const job of queue) {
  try {
    await run(job);
  } catch (error) {
    failedJobs += 1;
    console.error(`${job.id} failed: ${String(error)}`);
  }
}
const report = await bearLumen.shutdown({ timeoutMs: 10_000 });
console.log(JSON.stringify({ jobs: queue.length, failedJobs, report: { ...report, unsent: report.unsent.length }, integrations: integrationStats(bearLumen) }));
process.exitCode = failedJobs === 0 && report.failed === 0 && report.dropped === 0 ? 0 : 1;
