/**
 * Counters of the LLM integrations, per client: what was metered, what could not be, and why.
 * Read them with `integrationStats(bearLumen)` (exported by every integration subpath).
 */
import type { BearLumen } from '../client';

/** Why a provider call produced no (or only part of its) usage records. */
export type UnmeteredReason =
  /** The response carried no usage block (e.g. a provider or proxy that leaves it out). */
  | 'usage_missing'
  /** The usage block held a count that is not a non-negative integer, or kinds that do not add up. */
  | 'usage_invalid'
  /** A stream ended (or was cut by the network) before the provider reported its usage. */
  | 'stream_ended_without_usage'
  /** The caller stopped reading a stream (break, return, abort) before the provider reported its usage. */
  | 'stream_abandoned';

/** A snapshot of the integration counters of one client. */
export interface IntegrationStats {
  /** Provider responses whose usage was recorded (fully, or as far as the provider reported it). */
  metered: number;
  /** Usage events handed to `usage.record()`. */
  events: number;
  /** Streams cut or abandoned after the provider had reported part of the usage (e.g. Anthropic's input): that part was recorded, the rest was not. */
  partial: number;
  /** Provider calls that recorded nothing, per reason. */
  unmetered: Partial<Record<UnmeteredReason, number>>;
  /** Records that `usage.record()` refused or could not deliver (invalid, buffer full, client closed, server refusal). */
  recordFailures: number;
}

const COUNTERS = new WeakMap<BearLumen, IntegrationStats>();

/** The live counters of `client` (created on first use). */
export function countersOf(client: BearLumen): IntegrationStats {
  let counters = COUNTERS.get(client);
  if (counters === undefined) {
    counters = { metered: 0, events: 0, partial: 0, unmetered: {}, recordFailures: 0 };
    COUNTERS.set(client, counters);
  }
  return counters;
}

/** Count a provider call that recorded nothing. */
export function countUnmetered(client: BearLumen, reason: UnmeteredReason): void {
  const { unmetered } = countersOf(client);
  unmetered[reason] = (unmetered[reason] ?? 0) + 1;
}

/**
 * A snapshot of what the integrations (`instrumentOpenAI`, `instrumentAnthropic`, …) metered through
 * `client`, and of every provider call they could not meter, by reason.
 */
export function integrationStats(client: BearLumen): IntegrationStats {
  const { metered, events, partial, unmetered, recordFailures } = countersOf(client);
  return { metered, events, partial, unmetered: { ...unmetered }, recordFailures };
}
