import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearLumen, BearLumenConflictError, BearLumenNotFoundError, type EndUser } from '@bearlumen/node-sdk';
import { startServer, type StartedServer } from '../helpers/start-server';

let server: StartedServer;
let client: BearLumen;
let other: BearLumen;

beforeAll(async () => {
  server = await startServer();
  client = new BearLumen({ apiKey: server.apiKey, baseUrl: server.url, handleExit: false });
  other = new BearLumen({ apiKey: await server.createKey('other-tenant'), baseUrl: server.url, handleExit: false });
});

afterAll(async () => {
  await client?.shutdown();
  await other?.shutdown();
  await server?.close();
});

describe('endUsers', () => {
  it('create: only required params', async () => {
    const { endUser } = await client.endUsers.create({ externalId: 'eu-min' });
    expect(endUser).toMatchObject({ externalId: 'eu-min', name: null, email: null, metadata: {}, status: 'ACTIVE', deactivatedAt: null });
    expect(endUser.id).toMatch(/^eu_/);
  });

  it('create: required and optional params', async () => {
    const { endUser } = await client.endUsers.create({ externalId: 'eu-full', name: 'Acme', email: 'ops@acme.example', metadata: { plan: 'pro', seats: 5 } });
    expect(endUser).toMatchObject({ name: 'Acme', email: 'ops@acme.example', metadata: { plan: 'pro', seats: 5 } });
  });

  it('create: a taken externalId is a BearLumenConflictError', async () => {
    await expect(client.endUsers.create({ externalId: 'eu-min' })).rejects.toBeInstanceOf(BearLumenConflictError);
  });

  it('create: the same idempotencyKey replays the first response instead of creating twice', async () => {
    const first = await client.endUsers.create({ externalId: 'eu-idem' }, { idempotencyKey: 'create-eu-idem-1' });
    const second = await client.endUsers.create({ externalId: 'eu-idem' }, { idempotencyKey: 'create-eu-idem-1' });
    expect(second.endUser.id).toBe(first.endUser.id);
  });

  it('update: null clears name and email; metadata is replaced', async () => {
    const { endUser } = await client.endUsers.create({ externalId: 'eu-upd', name: 'N', email: 'n@x.example', metadata: { a: 1 } });
    const { endUser: updated } = await client.endUsers.update(endUser.id, { name: null, email: null, metadata: { b: 2 } });
    expect(updated).toMatchObject({ id: endUser.id, name: null, email: null, metadata: { b: 2 } });
  });

  it("another tenant's ids are 404 for every method, with a request id", async () => {
    const { endUser } = await client.endUsers.create({ externalId: 'eu-private' });
    for (const call of [
      () => other.endUsers.update(endUser.id, { name: 'stolen' }),
      () => other.endUsers.deactivate(endUser.id),
      () => other.endUsers.reactivate(endUser.id),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BearLumenNotFoundError);
      expect((error as BearLumenNotFoundError).status).toBe(404);
      expect((error as BearLumenNotFoundError).requestId).toMatch(/^req_/);
    }
    expect((await other.endUsers.list()).total).toBe(0);
    expect((await client.endUsers.list()).endUsers.find((u) => u.id === endUser.id)?.name).toBeNull();
  });

  it('deactivate and reactivate move the counts', async () => {
    const before = await client.endUsers.list();
    const { endUser } = await client.endUsers.create({ externalId: 'eu-cycle' });
    const { endUser: off } = await client.endUsers.deactivate(endUser.id);
    expect(off.status).toBe('DEACTIVATED');
    expect(off.deactivatedAt).not.toBeNull();
    const during = await client.endUsers.list();
    expect(during.deactivatedCount).toBe(before.deactivatedCount + 1);
    expect(during.activeCount).toBe(before.activeCount);
    const { endUser: on } = await client.endUsers.reactivate(endUser.id);
    expect(on).toMatchObject({ status: 'ACTIVE', deactivatedAt: null });
  });
});

describe('endUsers pagination', () => {
  let server2: StartedServer;
  let paged: BearLumen;
  const ids: string[] = [];

  beforeAll(async () => {
    server2 = await startServer();
    paged = new BearLumen({ apiKey: server2.apiKey, baseUrl: server2.url, handleExit: false });
    for (let i = 0; i < 7; i++) ids.push((await paged.endUsers.create({ externalId: `page-${i}` })).endUser.id);
    await paged.endUsers.deactivate(ids[2] as string);
    await paged.endUsers.deactivate(ids[5] as string);
  });

  afterAll(async () => {
    await paged?.shutdown();
    await server2?.close();
  });

  it('pages with limit and offset, echoing both, to an empty page past the end', async () => {
    const sizes: number[] = [];
    const seen: string[] = [];
    for (const offset of [0, 3, 6, 7, 100]) {
      const page = await paged.endUsers.list({ limit: 3, offset });
      expect(page).toMatchObject({ total: 7, limit: 3, offset, activeCount: 5, deactivatedCount: 2 });
      sizes.push(page.endUsers.length);
      seen.push(...page.endUsers.map((u) => u.id));
    }
    expect(sizes).toEqual([3, 3, 1, 0, 0]);
    expect(new Set(seen)).toEqual(new Set(ids));
  });

  it('defaults to limit 100 and accepts the maximum of 1000', async () => {
    expect((await paged.endUsers.list()).limit).toBe(100);
    expect((await paged.endUsers.list({ limit: 1000 })).endUsers).toHaveLength(7);
  });

  it('iterate() yields every user exactly once in list order, across page boundaries', async () => {
    const all = (await paged.endUsers.list({ limit: 1000 })).endUsers.map((u) => u.id);
    for (const limit of [1, 2, 3, 7, 100]) {
      const got: string[] = [];
      for await (const user of paged.endUsers.iterate({ limit })) got.push(user.id);
      expect(got).toEqual(all);
    }
  });

  it('iterate() filters by status and starts at offset', async () => {
    const deactivated: EndUser[] = [];
    for await (const user of paged.endUsers.iterate({ status: 'DEACTIVATED', limit: 1 })) deactivated.push(user);
    expect(deactivated.map((u) => u.id).sort()).toEqual([ids[2], ids[5]].sort());
    const all = (await paged.endUsers.list()).endUsers.map((u) => u.id);
    const tail: string[] = [];
    for await (const user of paged.endUsers.iterate({ offset: 5, limit: 2 })) tail.push(user.id);
    expect(tail).toEqual(all.slice(5));
  });

  it('iterate() on an empty tenant yields nothing, and stops fetching when the caller breaks', async () => {
    const empty = new BearLumen({ apiKey: await server2.createKey('empty'), baseUrl: server2.url, handleExit: false });
    let count = 0;
    for await (const _user of empty.endUsers.iterate()) count++;
    expect(count).toBe(0);
    await empty.shutdown();
    const first: string[] = [];
    for await (const user of paged.endUsers.iterate({ limit: 2 })) {
      first.push(user.id);
      if (first.length === 3) break;
    }
    expect(first).toHaveLength(3);
  });
});
