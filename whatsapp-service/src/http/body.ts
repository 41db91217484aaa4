import type { IncomingMessage } from 'node:http';
import { HttpError } from './respond.js';

/**
 * The limit for a body that may carry a file of `fileBytes` in base64
 * (4/3 of it) and a little more, so that an oversized file is answered as
 * "file too large" by whoever checks files, not as "body too large" here.
 */
export function bodyLimitWithFile(fileBytes: number): number {
  return Math.ceil(fileBytes * 1.5) + 1024 * 1024;
}

/** What a JSON body without a file may take: a message of 65,536 characters, each JSON-escaped. */
export const TEXT_BODY_BYTES = 1024 * 1024;

/** Reads a body as the exact bytes sent (a signature covers them), at most `limitBytes`. */
export async function readRawBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limitBytes) throw new HttpError(413, 'payload_too_large', `body is larger than ${limitBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new HttpError(413, 'payload_too_large', `body is larger than ${limitBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a JSON body of at most `limitBytes`. With a file limit above the text
 * limit, the body must say `"media"` within its first TEXT_BODY_BYTES (the
 * other fields are small and come first): a text-only body is never buffered
 * beyond what a text can take.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes = TEXT_BODY_BYTES): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limitBytes) throw new HttpError(413, 'payload_too_large', `body is larger than ${limitBytes} bytes`);

  const chunks: Buffer[] = [];
  let size = 0;
  let hasFile = limitBytes <= TEXT_BODY_BYTES;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new HttpError(413, 'payload_too_large', `body is larger than ${limitBytes} bytes`);
    chunks.push(chunk as Buffer);
    if (!hasFile && size > TEXT_BODY_BYTES) {
      hasFile = Buffer.concat(chunks).subarray(0, TEXT_BODY_BYTES).includes('"media"');
      if (!hasFile) throw new HttpError(413, 'payload_too_large', `a body without a file is at most ${TEXT_BODY_BYTES} bytes`);
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_json', 'body is not valid JSON');
  }
}
