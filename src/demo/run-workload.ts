/**
 * The demo workload through the public SDK: set up customers and subscriptions, record N token events
 * with `usage.record()` (batched by the pipeline), shut down, then print cost by agent and by workflow.
 */
import { BearLumen, BearLumenConflictError, type CostBreakdownResponse, type ShutdownReport, type UsageSummaryResponse } from '../index';
import { ProgressBar, formatInt, type ProgressStream } from './progress';
import { breakdownTable, usd } from './tables';
import { createCallGenerator } from './workload';

/** Customers of the demo company, one subscription each. */
const CUSTOMERS = [
  { externalId: 'demo-acme-corp', name: 'Acme Corp' },
  { externalId: 'demo-globex', name: 'Globex' },
  { externalId: 'demo-initech', name: 'Initech' },
  { externalId: 'demo-umbrella-health', name: 'Umbrella Health' },
] as const;

/** Unacknowledged events the loop allows before it waits (the pipeline holds at most 100 000). */
const HIGH_WATER = 20_000;
const LOW_WATER = 10_000;

/** What to run and where to print. */
export interface WorkloadOptions {
  url: string;
  apiKey: string;
  /** Events to record. */
  events: number;
  /** PRNG seed of the workload. */
  seed: number;
  /** Where tables go. @default process.stdout */
  out?: ProgressStream;
  /** Where progress and status go (a bar redrawn in place when it is a TTY). @default process.stderr */
  err?: ProgressStream;
}

/** What the demo measured and printed. */
export interface WorkloadResult {
  events: number;
  failed: number;
  durationMs: number;
  eventsPerSecond: number;
  report: ShutdownReport;
  byAgent: CostBreakdownResponse;
  byWorkflow: CostBreakdownResponse;
  summary: UsageSummaryResponse;
}

async function ensureSubscriptions(client: BearLumen): Promise<string[]> {
  const ids: string[] = [];
  const now = Date.now();
  for (const customer of CUSTOMERS) {
    let userId: string | undefined;
    try {
      userId = (await client.endUsers.create({ ...customer, metadata: { source: 'bearlumen-demo' } })).endUser.id;
    } catch (error) {
      // A previous demo run on the same database created this customer: find and reuse it.
      if (!(error instanceof BearLumenConflictError)) throw error;
      for await (const user of client.endUsers.iterate()) {
        if (user.externalId === customer.externalId) {
          userId = user.id;
          break;
        }
      }
      if (userId === undefined) throw error;
    }
    let subscriptionId: string | undefined;
    for await (const sub of client.subscriptions.iterate({ userId, status: 'ACTIVE' })) {
      if (Date.parse(sub.currentPeriodStart) <= now && now < Date.parse(sub.currentPeriodEnd)) {
        subscriptionId = sub.id;
        break;
      }
    }
    subscriptionId ??= (
      await client.subscriptions.create({
        userId,
        pricingPlanId: 'plan_pro_monthly',
        currentPeriodStart: new Date(now - 86_400_000).toISOString(),
        currentPeriodEnd: new Date(now + 29 * 86_400_000).toISOString(),
      })
    ).id;
    ids.push(subscriptionId);
  }
  return ids;
}

/** Records `events` usage events through `usage.record()` and reports what the server made of them. */
export async function runWorkload(options: WorkloadOptions): Promise<WorkloadResult> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const client = new BearLumen({ apiKey: options.apiKey, baseUrl: options.url });
  const subscriptionIds = await ensureSubscriptions(client);
  const nextCall = createCallGenerator(subscriptionIds, options.seed);

  err.write(`Recording ${formatInt(options.events)} LLM token events through usage.record() (batched)...\n`);
  const progress = new ProgressBar(options.events, err);
  const runStart = new Date();
  const started = performance.now();
  let issued = 0;
  let settled = 0;
  let failed = 0;
  let firstError: unknown;
  let wake: (() => void) | undefined;
  const onSettled = (): void => {
    settled++;
    progress.update(settled);
    if (wake !== undefined && issued - settled <= LOW_WATER) {
      wake();
      wake = undefined;
    }
  };
  const onFailed = (error: unknown): void => {
    failed++;
    firstError ??= error;
    onSettled();
  };

  while (issued < options.events) {
    for (const event of nextCall()) {
      if (issued >= options.events) break;
      issued++;
      client.usage.record(event).then(onSettled, onFailed);
    }
    // Backpressure: wait for acknowledgements instead of filling the pipeline's buffer to its limit.
    if (issued - settled >= HIGH_WATER) await new Promise<void>((resolve) => (wake = resolve));
  }
  const report = await client.shutdown({ timeoutMs: 60_000 });
  const durationMs = performance.now() - started;
  progress.finish(settled);
  if (firstError !== undefined) err.write(`${formatInt(failed)} events failed; first error: ${String(firstError)}\n`);

  const reader = new BearLumen({ apiKey: options.apiKey, baseUrl: options.url, batching: false, handleExit: false });
  try {
    const range = { startDate: runStart.toISOString(), endDate: new Date(Date.now() + 60_000).toISOString() };
    const [byAgent, byWorkflow, summary] = await Promise.all([
      reader.costAttribution.byAgent(range),
      reader.costAttribution.byWorkflow(range),
      reader.usage.summary(range),
    ]);
    const eventsPerSecond = options.events / (durationMs / 1000);
    out.write(`\n${breakdownTable('Cost by agent', byAgent)}\n\n${breakdownTable('Cost by workflow', byWorkflow)}\n\n`);
    out.write(
      `Delivered ${formatInt(report.delivered)} events (${formatInt(report.duplicates)} duplicates, ${formatInt(report.failed)} failed, ` +
        `${formatInt(report.dropped)} dropped) in ${(durationMs / 1000).toFixed(2)} s: ${formatInt(eventsPerSecond)} events/s ` +
        `(${formatInt(client.stats().batches)} batches, ${formatInt(client.stats().retries)} retries).\n`,
    );
    out.write(
      `Server summary for this run: ${formatInt(summary.totalEvents)} events, ${formatInt(summary.inputTokens)} input / ` +
        `${formatInt(summary.outputTokens)} output tokens, total ${usd(summary.totalCost)}` +
        `${summary.unpricedEventCount > 0 ? `, ${formatInt(summary.unpricedEventCount)} unpriced` : ''}.\n`,
    );
    return { events: options.events, failed, durationMs, eventsPerSecond, report, byAgent, byWorkflow, summary };
  } finally {
    await reader.shutdown();
  }
}
