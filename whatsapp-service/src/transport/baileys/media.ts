import { downloadMediaMessage, proto, type WAMessage } from 'baileys';
import type { Transform } from 'node:stream';
import { MediaError } from '../transport.js';
import { statusCodeOf, type WhatsAppSocket } from './socket.js';
import { unwrap, type BaileysMessage } from './normalize.js';
import { within } from './timeout.js';

const DOWNLOAD_TIMEOUT_MS = 120_000;
/** How long the phone is given to send an expired file again (rc14 waits for its answer without a limit). */
export const REUPLOAD_TIMEOUT_MS = 30_000;

/** What the gateway stores to download a message's file later: the key and content, as JSON (bytes in base64). */
export function mediaSource(raw: BaileysMessage): string {
  const message = proto.WebMessageInfo.fromObject({ key: raw.key, message: raw.message ?? undefined });
  return JSON.stringify(proto.WebMessageInfo.toObject(message, { bytes: String, longs: Number }));
}

/**
 * Downloads and decrypts a customer's file with Baileys. An expired file
 * (404/410) is asked for again from the phone with updateMediaMessage: rc14's
 * downloadMediaMessage would only do that for errors with `status`, which its
 * own Boom errors do not have (Utils/messages.js:829-838). The phone's refusal
 * (rc14 throws "Media re-upload failed by device", Socket/messages-send.js:1028-1033)
 * is final; no answer (our phone offline) is asked again later, with backoff.
 * Never more than `maxBytes` are read.
 */
export async function downloadMedia(socket: WhatsAppSocket | null, source: string, maxBytes: number, reuploadTimeoutMs = REUPLOAD_TIMEOUT_MS): Promise<Buffer> {
  const stored = proto.WebMessageInfo.fromObject(JSON.parse(source) as object) as WAMessage;
  const content = stored.message ? unwrap(stored.message) : null;
  // Baileys' helpers take the file from the message's first content: an animated sticker's is wrapped.
  const message = { ...stored, key: stored.key, message: content } as WAMessage;
  const file = content?.imageMessage ?? content?.videoMessage ?? content?.ptvMessage ?? content?.audioMessage ?? content?.documentMessage ?? content?.stickerMessage;
  if (!file?.mediaKey?.length || !(file.url || file.directPath)) {
    throw new MediaError('WhatsApp sent no key or address for the file', 'download_failed', false);
  }
  try {
    return await bytesOf(message, maxBytes);
  } catch (error) {
    if (error instanceof MediaError) throw error;
    const status = statusCodeOf(error);
    // 404/410: expired, ask again below. Another 4xx will not change; no status: the network, try again later.
    if (status !== 404 && status !== 410) throw new MediaError(`download failed: ${describe(error)}`, 'download_failed', status === null || status >= 500);
    if (!socket) throw new MediaError('the file expired and WhatsApp is not connected to send it again', 'download_failed', true);
    const renewed = await within(socket.updateMediaMessage(message), reuploadTimeoutMs, () => new Error('no answer')).catch((reason: unknown) => {
      if (statusCodeOf(reason) !== null) throw new MediaError(`the file expired and the phone did not send it again: ${describe(reason)}`, 'expired', false);
      throw new MediaError('the file expired and the phone has not sent it again yet (is it offline?); asking again later', 'download_failed', true);
    });
    return bytesOf(renewed, maxBytes);
  }
}

async function bytesOf(message: WAMessage, maxBytes: number): Promise<Buffer> {
  const read = async (): Promise<Buffer> => {
    const stream = (await downloadMediaMessage(message, 'stream', {})) as Transform;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        stream.destroy();
        throw new MediaError('the file is larger than MEDIA_MAX_MB', 'too_large', false);
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  };
  return within(read(), DOWNLOAD_TIMEOUT_MS, () => new MediaError('the download did not finish in time', 'download_failed', true));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
