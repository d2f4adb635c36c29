/** What is closed when the process exits. */
interface Closable {
  close(): void;
}

const open = new Set<Closable>();

function closeAll(): void {
  for (const spool of [...open]) spool.close();
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
  open.add(spool);
  return () => {
    open.delete(spool);
    if (open.size === 0) process.off('exit', closeAll);
  };
}
