/** Reading back what an integration recorded: the stored events whose idempotency key starts with a prefix. */
import type { BearLumen, UsageEvent } from '@bearlumen/node-sdk';

/** Stored events with keys starting `prefix`, as `{ metricName → quantity }` plus the events themselves (after a flush). */
export async function storedFor(client: BearLumen, prefix: string): Promise<{ quantities: Record<string, number>; events: UsageEvent[] }> {
  await client.flush();
  const events: UsageEvent[] = [];
  for await (const event of client.usage.iterate({ limit: 500 })) if (event.idempotencyKey.startsWith(prefix)) events.push(event);
  const quantities: Record<string, number> = {};
  for (const e of events) {
    const name = e.metadata?.['cache_ttl'] === '1h' ? `${e.metricName}:1h` : e.metricName;
    quantities[name] = (quantities[name] ?? 0) + e.quantity;
  }
  return { quantities, events };
}
