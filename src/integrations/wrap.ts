/**
 * The mechanics every provider wrapper shares: patching a resource method on the client instance
 * (the client keeps its class and its types), mapping a provider's lazy API promise without losing
 * its extra methods (`withResponse()`, `asResponse()`), and watching a stream's items as they pass
 * through to the caller, unbuffered.
 */
import type { BearLumen } from '../client';
import { BearLumenValidationError } from '../errors';
import { assertAttribution, type Attribution } from '../internal/attribution';
import { assertObject, optionalString } from '../internal/validate';

/** Per-wrapper defaults: the attribution fields of `withAttribution` (which win over these), and the provider label. */
export interface IntegrationDefaults extends Attribution {
  /** `metadata.provider` of the records, lower case. @default detected from the client (e.g. `openai`, `azure`) */
  provider?: string;
}

/** Checked defaults, split into attribution and provider. */
export interface ResolvedDefaults {
  attribution: Attribution | undefined;
  provider: string | undefined;
}

/**
 * Check a wrapper's arguments before anything is patched.
 * @throws {BearLumenValidationError} naming `bearLumen`, `defaults.<key>` and the rule.
 */
export function resolveDefaults(bearLumen: BearLumen, defaults: IntegrationDefaults | undefined): ResolvedDefaults {
  if (typeof bearLumen !== 'object' || bearLumen === null || typeof bearLumen.usage?.record !== 'function' || typeof bearLumen.currentAttribution !== 'function') {
    throw new BearLumenValidationError('bearLumen', 'must be a BearLumen client');
  }
  if (defaults === undefined) return { attribution: undefined, provider: undefined };
  assertObject(defaults, 'defaults');
  const { provider, ...attribution } = defaults as Record<string, unknown>;
  optionalString(provider, 'defaults.provider', { max: 100, pattern: /^[a-z0-9_.-]+$/, patternRule: 'must be lower case letters, digits and _ . -' });
  assertAttribution(attribution, 'defaults');
  return { attribution: Object.keys(attribution).length === 0 ? undefined : attribution, provider: provider as string | undefined };
}

type Method = (...args: unknown[]) => unknown;

/**
 * Replace `resource[name]` on the instance with `wrap(original)`. The original is bound to the
 * resource, so helpers that call it (e.g. `messages.stream()` calling `create`) go through the wrapper.
 * @throws {BearLumenValidationError} when the method does not exist (an SDK version we do not support).
 */
export function patchMethod(resource: unknown, name: string, field: string, wrap: (original: Method) => Method): void {
  const original: unknown = typeof resource === 'object' && resource !== null ? Reflect.get(resource, name) : undefined;
  if (typeof original !== 'function') throw new BearLumenValidationError(field, 'must be a function (is this a supported SDK version?)');
  Reflect.set(resource as object, name, wrap(original.bind(resource) as Method));
}

/** A provider SDK's promise (Stainless `APIPromise`): `_thenUnwrap` maps the parsed body and keeps `withResponse()`. */
interface ApiPromiseLike {
  _thenUnwrap?: (transform: (data: unknown) => unknown) => unknown;
  then?: unknown;
}

/** `promise` with `transform` applied to its parsed body, keeping the SDK's promise type when it has one. */
export function mapApiPromise(promise: unknown, transform: (data: unknown) => unknown): unknown {
  const p = promise as ApiPromiseLike | null;
  if (p !== null && typeof p === 'object' && typeof p._thenUnwrap === 'function') return p._thenUnwrap(transform);
  if (p !== null && typeof p === 'object' && typeof p.then === 'function') return (promise as Promise<unknown>).then(transform);
  return promise;
}

/** How a watched stream ended for the caller. */
export type StreamOutcome = 'completed' | 'errored' | 'abandoned';

/** Hooks of `watchStream`. */
export interface StreamWatcher<T> {
  /** Called with each item before the caller gets it; return false to hide the item from the caller. */
  onItem(item: T): boolean;
  /** Called once, when the caller's iteration ends: the provider finished, the stream failed, or the caller stopped early. */
  onEnd(outcome: StreamOutcome): void;
}

/** A Stainless `Stream` (openai, @anthropic-ai/sdk): iteration, `tee()` and `toReadableStream()` all read `iterator()`. */
interface StainlessStream<T> {
  iterator: () => AsyncIterator<T>;
}

/** True when `value` is a stream whose items `watchStream` can observe. */
export function isWatchableStream(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof Reflect.get(value, 'iterator') === 'function' && Symbol.asyncIterator in value;
}

/**
 * Watch the items of a Stainless stream as the caller reads them: each passes through at once (no
 * buffering), and `onEnd` learns how the iteration ended. The stream object itself is returned,
 * with its class, controller and helpers intact.
 */
export function watchStream<S, T>(stream: S, watcher: StreamWatcher<T>): S {
  const target = stream as unknown as StainlessStream<T>;
  const source = target.iterator;
  target.iterator = () => watched(source.call(stream), watcher);
  return stream;
}

/** A generator that the caller iterates instead of the SDK's own; see watchStream. */
export async function* watched<T>(source: AsyncIterator<T>, watcher: StreamWatcher<T>): AsyncGenerator<T, void, undefined> {
  let outcome: StreamOutcome = 'abandoned';
  try {
    for (;;) {
      let step: IteratorResult<T>;
      try {
        step = await source.next();
      } catch (error) {
        outcome = 'errored';
        throw error;
      }
      if (step.done === true) {
        outcome = 'completed';
        return;
      }
      if (safeOnItem(watcher, step.value)) yield step.value;
    }
  } finally {
    // The caller stopped early: let the SDK release the connection as it would have.
    if (outcome === 'abandoned') {
      try {
        await source.return?.();
      } catch {
        // Releasing failed: the SDK's own problem, and the caller has already stopped reading.
      }
    }
    try {
      watcher.onEnd(outcome);
    } catch {
      // Metering must never break the caller's stream; capture errors are counted where they happen.
    }
  }
}

function safeOnItem<T>(watcher: StreamWatcher<T>, item: T): boolean {
  try {
    return watcher.onItem(item);
  } catch {
    return true;
  }
}
