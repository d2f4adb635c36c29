/**
 * `bearlumen keys create|revoke`. A key is printed once, by `create`, on stdout; everything else
 * names a key by its key id (`key_` + 12 hex digits of its digest), which reveals nothing of it.
 */
import { parseArgs } from 'node:util';
import { loadServer, storeChoice, type ServerModule } from './load-server';
import { KEYS_CREATE_USAGE, KEYS_REVOKE_USAGE, KEYS_USAGE, printHelp, UsageError, wantsHelp } from './usage';

async function openStore(server: ServerModule, dbFlag: string | undefined): Promise<Awaited<ReturnType<ServerModule['createStore']>>> {
  return server.createStore(storeChoice(dbFlag, dbFlag ?? process.env['BEARLUMEN_DB'] ?? server.DEFAULT_SQLITE_PATH));
}

/** `keys revoke`: delete a key's digest; a running server stops accepting it within its 1 s key cache. */
async function revokeKey(rest: string[]): Promise<void> {
  if (wantsHelp(rest)) return printHelp(KEYS_REVOKE_USAGE);
  const { values } = parseArgs({ args: rest, options: { db: { type: 'string' }, key: { type: 'string' } }, strict: true });
  const key = values.key?.trim();
  if (key === undefined || key === '') throw new UsageError('--key KEY is required', KEYS_REVOKE_USAGE);
  const server = await loadServer();
  const store = await openStore(server, values.db);
  try {
    const revoked = await store.revokeApiKey(server.hashApiKey(key));
    // Never echo the key itself: only its key id.
    process.stdout.write(revoked ? `revoked: ${server.apiKeyId(key)}\n` : 'no such key\n');
    if (!revoked) process.exitCode = 1;
  } finally {
    await store.close();
  }
}

/** `keys create`: the key alone on stdout (for `KEY=$(…)`), its key id on stderr. */
async function createKey(rest: string[]): Promise<void> {
  if (wantsHelp(rest)) return printHelp(KEYS_CREATE_USAGE);
  const { values } = parseArgs({ args: rest, options: { db: { type: 'string' }, tenant: { type: 'string' } }, strict: true });
  const tenant = values.tenant?.trim();
  if (tenant === undefined || tenant === '') throw new UsageError('--tenant NAME is required', KEYS_CREATE_USAGE);
  const server = await loadServer();
  const store = await openStore(server, values.db);
  try {
    const key = await server.createApiKey(store, tenant);
    process.stdout.write(`${key}\n`);
    process.stderr.write(`created ${server.apiKeyId(key)} for tenant ${JSON.stringify(tenant)}\n`);
  } finally {
    await store.close();
  }
}

/** `bearlumen keys …`; `argv` are the arguments after `keys`. */
export async function keys(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  if (action === 'revoke') return revokeKey(rest);
  if (action === 'create') return createKey(rest);
  if (action === '--help' || action === '-h' || action === 'help') return printHelp(KEYS_USAGE);
  throw new UsageError(`unknown keys action ${JSON.stringify(action ?? '')}; expected "keys create" or "keys revoke"`, KEYS_USAGE);
}
