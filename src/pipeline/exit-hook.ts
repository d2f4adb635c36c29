/**
 * The exit hook (`handleExit`; docs/design-decisions.md, "Exit hook"): one shared set of process listeners for every client, so
 * that on `beforeExit`, SIGTERM and SIGINT each client drains within its deadline, and then the process
 * ends exactly as it would have without the SDK.
 *
 * - Adding a SIGTERM/SIGINT listener disables Node's default "terminate". After draining, if ours is the
 *   only listener, we remove it and re-raise the signal, so the exit status is the signal's. If the app
 *   has its own listeners, they ran as usual and decide what happens; ours stays for the next signal.
 * - A second signal while draining re-raises at once (an impatient Ctrl-C still works).
 * - `beforeExit` fires again after our drain ends the loop's work; we act only when events are pending,
 *   so it never loops. `process.exit()` and SIGKILL cannot be caught (documented in docs/pipeline.md).
 * - Signal listeners hold no reference on the loop (Node unrefs its signal handles), and the listeners
 *   are removed when the last client shuts down: an idle client never keeps the process alive.
 */

/** What the hook needs from a client's pipeline. */
export interface ExitParticipant {
  /** Whether any accepted event is still unacknowledged. */
  hasPending(): boolean;
  /** Drains within the exit deadline (keeping the process alive meanwhile); never rejects. */
  drainForExit(trigger: ExitTrigger): Promise<void>;
}

export type ExitTrigger = 'beforeExit' | ExitSignal;
type ExitSignal = 'SIGTERM' | 'SIGINT';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
// Weak, so a client the app dropped without shutdown() is not kept forever by the hook (a client
// created per request would otherwise leak). A client with work pending is still reachable from its
// timers, sockets and promises, so it stays here until it has drained.
const participants = new Set<WeakRef<ExitParticipant>>();
const signalDrains = new Map<ExitSignal, Promise<void>>();
let beforeExitDrain: Promise<void> | undefined;
let isInstalled = false;

function live(): ExitParticipant[] {
  const found: ExitParticipant[] = [];
  for (const ref of participants) {
    const participant = ref.deref();
    if (participant === undefined) participants.delete(ref);
    else found.push(participant);
  }
  return found;
}

function drainAll(trigger: ExitTrigger, onlyPending: boolean): Promise<void> {
  const targets = live().filter((participant) => !onlyPending || participant.hasPending());
  return Promise.all(targets.map((participant) => participant.drainForExit(trigger))).then(() => undefined);
}

function onBeforeExit(): void {
  if (beforeExitDrain !== undefined || signalDrains.size > 0) return;
  if (!live().some((participant) => participant.hasPending())) return;
  beforeExitDrain = drainAll('beforeExit', true).finally(() => {
    beforeExitDrain = undefined;
  });
}

function reraise(signal: ExitSignal): void {
  process.removeListener(signal, onSignal);
  const isHandledByApp = process.listenerCount(signal) > 0;
  if (live().length === 0) uninstall();
  // The app handles this signal itself: keep draining on the next one.
  else if (isHandledByApp) process.on(signal, onSignal);
  if (!isHandledByApp) process.kill(process.pid, signal);
}

function onSignal(signal: ExitSignal): void {
  if (signalDrains.has(signal)) {
    signalDrains.delete(signal);
    reraise(signal);
    return;
  }
  const drain = drainAll(signal, false).then(() => {
    if (signalDrains.get(signal) !== drain) return;
    signalDrains.delete(signal);
    reraise(signal);
  });
  signalDrains.set(signal, drain);
}

function install(): void {
  if (isInstalled) return;
  isInstalled = true;
  process.on('beforeExit', onBeforeExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  if (!isInstalled) return;
  isInstalled = false;
  process.removeListener('beforeExit', onBeforeExit);
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
}

/**
 * Adds a client to the exit hook (installing the process listeners with the first one).
 * @returns the function that removes it again (uninstalling the listeners with the last one).
 */
export function registerExitHook(participant: ExitParticipant): () => void {
  const ref = new WeakRef(participant);
  participants.add(ref);
  install();
  return () => {
    participants.delete(ref);
    if (participants.size === 0 && signalDrains.size === 0) uninstall();
  };
}
