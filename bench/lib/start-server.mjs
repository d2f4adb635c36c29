// Forks our reference server (bench/lib/server-child.mjs) in its own process.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { request } from 'undici';

const CHILD = fileURLToPath(new URL('./server-child.mjs', import.meta.url));

/**
 * Starts the server. `execArgv` lets the profiler pass `--cpu-prof` to the server process
 * (also read from BENCH_SERVER_FLAGS, space-separated). Returns { url, apiKey, totalEvents(), close() }.
 */
export async function startOurServer(execArgv = (process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean)) {
  const child = fork(CHILD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  const { url, apiKey } = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within 20 s')), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
    child.on('message', (msg) => {
      if (msg?.type === 'ready') {
        clearTimeout(timer);
        resolve(msg);
      }
    });
  });
  let seq = 0;
  return {
    url,
    apiKey,
    /** The server process's CPU time so far (user + system, all threads), µs. */
    cpuMicros() {
      const id = ++seq;
      return new Promise((resolve) => {
        const onMessage = (msg) => {
          if (msg?.type !== 'cpu' || msg.id !== id) return;
          child.off('message', onMessage);
          resolve(msg.cpu.user + msg.cpu.system);
        };
        child.on('message', onMessage);
        child.send({ cmd: 'cpu', id });
      });
    },
    /** Events stored, from the public summary endpoint. */
    async totalEvents() {
      const res = await request(`${url}/v1/usage/summary`, { headers: { authorization: `Bearer ${apiKey}` } });
      const body = await res.body.json();
      if (res.statusCode !== 200) throw new Error(`summary answered ${res.statusCode}: ${JSON.stringify(body)}`);
      return body.totalEvents;
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ cmd: 'close' });
      await Promise.race([exited, delay(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
