// The baseline for record()'s own cost: the same loop as e2e.mjs's burst, building the same event
// for call i but not recording it. Each event escapes into a small ring, as it would into record(),
// so the engine cannot skip building it. record()'s own cost = the burst's time per call − this.
// `keep: true` keeps every event instead (an array of n), as any batcher must until it sends: the
// garbage collector then moves them all out of the young generation, a cost that grows with the
// strings an event holds (the gateway event's are built per call) and that record() pays too.
import { caseArgs, emit, nowNs } from '../lib/case.mjs';
import { benchEvent, gatewayEvent } from '../lib/sdks.mjs';

const { n = 200_000, event = 'bench', keep = false } = caseArgs();
const build = event === 'gateway' ? gatewayEvent : benchEvent;
const ring = new Array(1024);
// Warm up like the burst's first calls do.
for (let i = 0; i < 10_000; i++) ring[i & 1023] = build(i);
const kept = keep ? new Array(n) : ring;
const mask = keep ? -1 : 1023;
const c0 = process.cpuUsage();
const t0 = nowNs();
for (let i = 0; i < n; i++) kept[i & mask] = build(i);
const t1 = nowNs();
const cpu = process.cpuUsage(c0);
emit({ event, n, keep, buildNsPerCall: (t1 - t0) / n, buildCpuNsPerCall: ((cpu.user + cpu.system) * 1000) / n, kept: kept.length });
