/**
 * One metered provider call, shared by the provider wrappers: who records it, with which defaults and
 * scope, and how a plain response or a finished stream becomes records (or a counted reason for none).
 */
import type { BearLumen } from '../client';
import type { Attribution } from '../internal/attribution';
import { captureUsage, noteUnmetered, type CaptureInput } from './capture';
import type { TokenKind, UsageApi } from './usage-mapping';
import { isWatchableStream, mapApiPromise, type ResolvedDefaults, type StreamOutcome } from './wrap';

/** One instrumented client's settings. */
export interface ClientSettings {
  bearLumen: BearLumen;
  defaults: ResolvedDefaults;
  provider: string;
}

/** One provider call: the client's settings and the attribution scope in effect when it was made. */
export interface Call extends ClientSettings {
  scope: Attribution | undefined;
}

/** Start a call: take the `withAttribution` scope now (SDK promises parse lazily, maybe outside it). */
export function beginCall(settings: ClientSettings): Call {
  return { ...settings, scope: settings.bearLumen.currentAttribution() };
}

/** The fields of a response the wrappers read. */
export interface Reported {
  id?: unknown;
  model?: unknown;
  usage?: unknown;
}

/** What to hand to captureUsage for `reported`. `model` falls back to `requestedModel` when the provider names none. */
export function captureInput(call: Call, api: UsageApi, operation: string, reported: Reported, stream: boolean, requestedModel?: unknown): CaptureInput {
  const model = typeof reported.model === 'string' ? reported.model : typeof requestedModel === 'string' ? requestedModel : undefined;
  return {
    api,
    provider: call.provider,
    operation,
    model,
    responseId: typeof reported.id === 'string' ? reported.id : undefined,
    usage: reported.usage,
    stream,
    defaults: call.defaults.attribution,
    scope: call.scope,
  };
}

/** `promise` (a plain response) with its usage recorded when the caller reads it. */
export function meterResponse(promise: unknown, call: Call, api: UsageApi, operation: string, read: (data: object) => Reported = (data) => data): unknown {
  return mapApiPromise(promise, (data) => {
    // A raw-response or unexpected body (e.g. a stream asked for some other way) is passed through untouched.
    if (typeof data === 'object' && data !== null && !isWatchableStream(data)) captureUsage(call.bearLumen, captureInput(call, api, operation, read(data), false));
    return data;
  });
}

/** What a stream had reported when it ended. */
export interface StreamReport {
  /** The final usage, when the provider sent it. */
  final: CaptureInput | undefined;
  /** Usage the provider had reported before the stream was cut (e.g. Anthropic's input in message_start), and which kinds of it are facts. */
  partial?: { input: CaptureInput; kinds: readonly TokenKind[] } | undefined;
  /** The response id, when seen (for the logs). */
  id: string | undefined;
}

/** Record a stream's usage at its end: the final usage, else the part already reported, else the counted reason for nothing. */
export function settleStream(call: Call, report: StreamReport, outcome: StreamOutcome, operation: string): void {
  if (report.final !== undefined) {
    captureUsage(call.bearLumen, report.final);
    return;
  }
  const reason = outcome === 'abandoned' ? 'stream_abandoned' : 'stream_ended_without_usage';
  if (report.partial !== undefined) {
    call.bearLumen.logger.warn({ provider: call.provider, operation, responseId: report.id, reason }, 'bearlumen: stream ended before its final usage; recording only the usage the provider had reported');
    captureUsage(call.bearLumen, { ...report.partial.input, onlyKinds: report.partial.kinds });
    return;
  }
  noteUnmetered(call.bearLumen, reason, { provider: call.provider, operation, responseId: report.id });
}
