// The floor under figure (8j) (docs/benchmarks.md "The spool's cost per event-loop turn"): with one
// event per turn, what must any spool that keeps the crash contract do per turn? Encode the event
// (JSON.stringify), frame it (UTF-8 into a reused buffer, length, CRC-32) and write(2) it before the
// turn ends. One process, rounds alternating, one event per setImmediate turn, against a sink that
// never answers:
//   build  — the turn builds the gateway event only (the baseline subtracted from the others);
//   off    — record() on a client without a spool;
//   on     — record() on a client with the spool (its group write in a process.nextTick);
//   floor  — the hand-made minimum above, in a process.nextTick, keeping the JSON as the spool does.
// Prints µs per turn over `build`, medians of 5 rounds.
//   npm run build && node bench/micro/spool-turn-floor.mjs
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { setImmediate as nextTurn } from 'node:timers/promises';
import zlib from 'node:zlib';
import { startSink } from '../lib/start-sink.mjs';
import { createSdk, gatewayEvent, holdSettingsFor } from '../lib/sdks.mjs';

const N = 20_000;
const ROUNDS = 5;
const dir = mkdtempSync(join(tmpdir(), 'bearlumen-turn-floor-'));
const sink = await startSink('hold');
const cap = 4 * (ROUNDS + 2) * N;
const batching = { ...holdSettingsFor('ours', cap), maxBufferedBytes: 4096 * cap };
const off = await createSdk('ours', sink.url, batching, undefined, 'gateway');
const on = await createSdk('ours', sink.url, { ...batching, spoolDir: join(dir, 'spool') }, undefined, 'gateway');
const fd = openSync(join(dir, 'floor.seg'), 'wx');
const scratch = Buffer.allocUnsafe(1 << 20);
const kept = [];
const ring = new Array(1024);

function floorWrite(event) {
  const json = JSON.stringify([event]);
  kept.push(json);
  const length = scratch.write(json, 8, 'utf8');
  scratch.writeUInt32LE(length, 0);
  scratch.writeUInt32LE(zlib.crc32(scratch.subarray(8, 8 + length)), 4);
  writeSync(fd, scratch, 0, length + 8);
}

const modes = {
  build: (i) => (ring[i & 1023] = gatewayEvent(i)),
  off: (i) => off.record(i),
  on: (i) => on.record(i),
  floor: (i) => {
    const event = gatewayEvent(i);
    kept.push(event);
    process.nextTick(floorWrite, event);
  },
};
let next = 0;
async function turns(mode) {
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < N; k++) {
    modes[mode](next++);
    await nextTurn();
  }
  return Number(process.hrtime.bigint() - t0) / N;
}
const samples = { off: [], on: [], floor: [] };
for (let round = 0; round <= ROUNDS; round++) {
  const base = await turns('build');
  for (const mode of ['off', 'on', 'floor']) {
    const ns = (await turns(mode)) - base;
    if (round > 0) samples[mode].push(ns);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(process.version, Object.entries(samples).map(([mode, xs]) => `${mode} +${(median(xs) / 1000).toFixed(2)} µs`).join('  '));
closeSync(fd);
rmSync(dir, { recursive: true, force: true });
process.exit(0);
