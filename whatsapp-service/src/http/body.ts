import type { IncomingMessage } from 'node:http';
import { HttpError } from './respond.js';

/**
 * Reads a JSON body of at most `limitBytes`. A message of 65,536 characters
 * can take 786,432 bytes when every character is JSON-escaped, hence 1 MiB.
 */
/**
 * The limit for a body that may carry a file of `fileBytes` in base64
 * (4/3 of it) and a little more, so that an oversized file is answered as
 * "file too large" by whoever checks files, not as "body too large" here.
 */
export function bodyLimitWithFile(fileBytes: number): number {
  return Math.ceil(fileBytes * 1.5) + 1024 * 1024;
}

export async function readJsonBody(req: IncomingMessage, limitBytes = 1024 * 1024): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limitBytes) throw new HttpError(413, 'payload_too_large', `body is larger than ${limitBytes} bytes`);

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new HttpError(413, 'payload_too_large', `body is larger than ${limitBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_json', 'body is not valid JSON');
  }
}
