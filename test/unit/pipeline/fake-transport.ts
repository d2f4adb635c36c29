/**
 * A Transport double for pure pipeline units: it stores events by idempotency key like the server does
 * (duplicates answer `recorded: false`), and a test can script failures per request.
 * Integration tests use the real server instead.
 */
import pino from 'pino';
import { BearLumenConnectionError } from '@bearlumen/node-sdk';
import type { UsageBatchResponse, UsageEventInput } from '../../../src/protocol/types';
import type { Transport, TransportRequest } from '../../../src/transport/types';

export type Responder = (events: UsageEventInput[], call: number) => UsageBatchResponse | Error | undefined | Promise<UsageBatchResponse | Error | undefined>;

export class FakeTransport implements Transport {
  /** Every request body, in order. */
  readonly calls: UsageEventInput[][] = [];
  readonly requests: TransportRequest[] = [];
  readonly stored = new Map<string, string>();
  isClosed = false;
  /** Return an error (or response) to override the default storing behaviour for a call; undefined stores. */
  responder: Responder | undefined;

  async request<T>(req: TransportRequest): Promise<T> {
    const body: unknown = req.encodedBody === undefined ? req.body : JSON.parse(req.encodedBody.toString());
    const { events } = body as { events: UsageEventInput[] };
    const call = this.calls.push(events.map((event) => ({ ...event })));
    this.requests.push(req);
    if (this.isClosed) throw new BearLumenConnectionError('closed');
    const scripted = await this.responder?.(events, call);
    if (req.signal?.aborted === true) throw new BearLumenConnectionError('aborted', {}, 'aborted');
    if (scripted instanceof Error) throw scripted;
    if (scripted !== undefined) return scripted as T;
    return this.store(events) as T;
  }

  store(events: UsageEventInput[]): UsageBatchResponse {
    const results = events.map((event) => {
      const key = event.idempotencyKey as string;
      const existing = this.stored.get(key);
      if (existing !== undefined) return { eventId: existing, recorded: false };
      const eventId = `evt_${this.stored.size + 1}`;
      this.stored.set(key, eventId);
      return { eventId, recorded: true };
    });
    const recordedCount = results.filter((result) => result.recorded).length;
    return { recordedCount, skippedCount: results.length - recordedCount, results };
  }

  /** The `timeoutMs` the last close() was given (the rest of the shutdown deadline). */
  closeTimeoutMs: number | undefined;

  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.isClosed = true;
    this.closeTimeoutMs = options.timeoutMs;
  }
}

export const silentLogger = pino({ level: 'silent' });

/** A valid event; `n` makes it distinguishable. */
export function usageEvent(n: number, extra: Partial<UsageEventInput> = {}): UsageEventInput {
  return { eventType: 'token_usage', metricName: 'llm_tokens_input', quantity: n, ...extra };
}

/** Resolves after `ms` of real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
