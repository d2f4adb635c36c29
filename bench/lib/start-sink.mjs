// Forks the counting sink (bench/lib/sink.mjs) in its own process and talks to it over IPC.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

const SINK = fileURLToPath(new URL('./sink.mjs', import.meta.url));

/**
 * Starts a sink process. `mode` is 'ack' (count and answer) or 'hold' (never answer).
 * Returns { url, stats(), reset(), close() }.
 */
export async function startSink(mode = 'ack') {
  const child = fork(SINK, [mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  let seq = 0;
  const waiting = new Map();
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sink did not start within 10 s')), 10_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`sink exited early (${code})`)));
    child.on('message', (msg) => {
      if (msg?.type === 'ready') {
        clearTimeout(timer);
        resolve(msg.url);
      } else if (msg?.id !== undefined && waiting.has(msg.id)) {
        waiting.get(msg.id)(msg);
        waiting.delete(msg.id);
      }
    });
  });
  const ask = (cmd) =>
    new Promise((resolve) => {
      const id = ++seq;
      waiting.set(id, resolve);
      child.send({ cmd, id });
    });
  return {
    url,
    pid: child.pid,
    /** Counters: events, unique, duplicates, requests, gzipRequests, wireBytes, bodyBytes, … */
    stats: async () => (await ask('stats')).stats,
    reset: () => ask('reset'),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ cmd: 'close' });
      await Promise.race([exited, delay(2000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * Polls the sink until it has seen `expected` events (unique + duplicates + missing) or `timeoutMs`
 * passes, for SDKs whose shutdown can resolve before the last response is read.
 */
export async function waitForEvents(sink, expected, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let stats = await sink.stats();
  while (stats.unique < expected && Date.now() < deadline) {
    await delay(20);
    stats = await sink.stats();
  }
  return stats;
}
