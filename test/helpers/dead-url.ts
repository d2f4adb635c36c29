import { createServer, type AddressInfo } from 'node:net';

/** A 127.0.0.1 URL where nothing listens: a port that was free a moment ago (connections are refused). */
export async function deadUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
