/** What ties a spool to the process's lifetime without extending it: the close on exit, and its heartbeat timer. */

/** What is closed when the process exits. */
interface Closable {
  close(): void;
}

// Weak, like the exit hook's participants: a client the app dropped without shutdown() can still be
// collected (its segments are then replayed by the next process on the directory, as after a crash).
const open = new Set<WeakRef<Closable>>();

function closeAll(): void {
  for (const ref of [...open]) ref.deref()?.close();
}

/**
 * Closes the spool on the process's `exit` event (a normal end, `process.exit()`, an uncaught
 * exception): settled segments are deleted and the lock released at once, so the next client does not
 * replay what was already delivered, and unsettled ones are left for it. Everything in close() is
 * synchronous, as an `exit` listener must be. An `exit` listener keeps nothing alive.
 * Returns the function that forgets the spool (called by close()).
 */
export function closeOnExit(spool: Closable): () => void {
  if (open.size === 0) process.on('exit', closeAll);
  const ref = new WeakRef(spool);
  open.add(ref);
  return () => {
    open.delete(ref);
    if (open.size === 0) process.off('exit', closeAll);
  };
}

/**
 * An unref'd interval calling `tick(target)` through a WeakRef, so it keeps neither the process nor a
 * client the app dropped without shutdown() alive; it clears itself once the target is collected.
 */
export function weakInterval<T extends object>(target: T, ms: number, tick: (target: T) => void): NodeJS.Timeout {
  const ref = new WeakRef(target);
  const timer = setInterval(() => {
    const live = ref.deref();
    if (live === undefined) clearInterval(timer);
    else tick(live);
  }, ms);
  timer.unref();
  return timer;
}
