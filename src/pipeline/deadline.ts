/**
 * Deadlines the pipeline waits on (docs/pipeline.md "Deadlines"). Their timers are ref'd on purpose:
 * someone awaits `flush()` / `shutdown()` / the exit drain, so the process must stay alive until the
 * work settles or its deadline passes, even when nothing else holds the event loop open.
 */

/** Resolves true if `work` settles within `timeoutMs`, false when the deadline passes first. */
export async function settlesWithin(timeoutMs: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([work.then(() => true), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Keeps the process alive for at most `maxMs` while an awaited call is pending (the SDK's own timers
 * are unref'd, so during an outage nothing else would). Returns the function that lets go.
 */
export function holdProcessOpen(maxMs: number): () => void {
  const timer = setTimeout(holdTick, maxMs);
  return () => clearTimeout(timer);
}

function holdTick(): void {
  // Only there to hold a ref on the event loop.
}
