import { parseChatId } from '../chat-id.js';
import { parseFileUpload, type FileUpload } from '../media/file-upload.js';
import { isSendableText, MAX_KEY_CHARS, MAX_MESSAGE_CHARS, wellFormed } from './text-limits.js';

export interface SendRequest {
  chat: string;
  /** The text, or the caption of a file ("" for none). */
  text: string;
  key: string | null;
  media?: FileUpload;
  /** The ticket number the message belongs to (the Cloud API's template names it), if given. */
  ticket?: string | null;
}

export type SendRequestResult =
  | { ok: true; request: SendRequest }
  | { ok: false; code: 'bad_request' | 'invalid_phone' | 'invalid_message' | 'file_too_large'; message: string };

/** Validates the body of POST /send (docs/contract.md 3.1). */
export function parseSendRequest(body: unknown, headerKey: string | undefined, defaultCountryCode: string | null = null, maxFileBytes = Infinity): SendRequestResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, code: 'bad_request', message: 'body must be a JSON object with "phone" and "message"' };
  }
  const { phone, message, key, media, ticket } = body as Record<string, unknown>;
  const chat = parseChatId(phone, defaultCountryCode);
  if (!chat.ok) return { ok: false, code: 'invalid_phone', message: chat.reason };
  const file = media === undefined || media === null ? undefined : parseFileUpload(media);
  if (file === null) return { ok: false, code: 'bad_request', message: 'media must be {"filename", "mimetype", "data": base64}' };
  if (file && file.data.length > maxFileBytes) {
    return { ok: false, code: 'file_too_large', message: `the file is larger than ${Math.round(maxFileBytes / 1048576)} MB (MEDIA_MAX_MB)` };
  }
  const caption = file && (message === undefined || message === null || message === '') ? '' : message;
  if (!(file && caption === '') && !isSendableText(caption)) {
    return { ok: false, code: 'invalid_message', message: `message must be non-empty text of at most ${MAX_MESSAGE_CHARS} characters` };
  }
  const givenKey = key ?? headerKey ?? null;
  if (givenKey !== null && (typeof givenKey !== 'string' || givenKey === '' || givenKey.length > MAX_KEY_CHARS)) {
    return { ok: false, code: 'bad_request', message: `key must be a non-empty string of at most ${MAX_KEY_CHARS} characters` };
  }
  // osTicket's number formats allow any characters: a number that is not one line of 32 characters is left out, never a refusal.
  const usableTicket = typeof ticket === 'string' && /^[^\p{C}]{1,32}$/u.test(ticket) ? { ticket } : {};
  return {
    ok: true,
    request: { chat: chat.chat, text: wellFormed(caption as string), key: givenKey, ...(file ? { media: file } : {}), ...usableTicket },
  };
}

