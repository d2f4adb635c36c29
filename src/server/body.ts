/**
 * Request bodies: JSON only, optionally gzip-compressed (`Content-Encoding: gzip`, which the SDK
 * uses for large batches). The body limit applies to the decompressed bytes, so a small
 * compressed body cannot expand past it (fastify counts what the preParsing stream yields).
 */
import { createGunzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors';

/** Install the gzip preParsing hook and a JSON parser that treats an empty body as no body. */
export function installBodyHandling(app: FastifyInstance): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding === undefined || encoding === '' || encoding === 'identity') return payload;
    if (encoding !== 'gzip' && encoding !== 'x-gzip') {
      throw new ApiError('unsupported_media_type', `Content-Encoding ${encoding} is not supported; use gzip or identity`);
    }
    const gunzip = createGunzip();
    // fastify compares this with Content-Length (the encoded size) and caps it by the body limit.
    const counted = Object.assign(gunzip, { receivedEncodedLength: 0 });
    payload.on('data', (chunk: Buffer) => {
      counted.receivedEncodedLength += chunk.length;
    });
    payload.on('error', (error) => gunzip.destroy(error));
    payload.pipe(gunzip);
    return counted;
  });

  const defaultJson = app.getDefaultJsonParser('error', 'error');
  // JSON only: every other content type (text/plain included) is answered with 415.
  app.removeAllContentTypeParsers();
  // Read as bytes and decode strictly: decoding as a string would silently turn invalid UTF-8 into U+FFFD
  // and store text the client never sent (found by test/property/server-fuzz.test.ts).
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = typeof body === 'string' ? body : utf8.decode(body);
    } catch (error) {
      done(new ApiError('invalid_json', `Request body is not valid UTF-8 (${error instanceof Error ? error.name : 'decode error'})`), undefined);
      return;
    }
    // POSTs without a body (cancel, deactivate) may still carry Content-Type: application/json.
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    defaultJson(request, text, done);
  });
}
