import { parseChatId } from '../chat-id.js';
import { isSendableText, MAX_KEY_CHARS, MAX_MESSAGE_CHARS } from './text-limits.js';

export interface SendRequest {
  chat: string;
  text: string;
  key: string | null;
}

export type SendRequestResult =
  | { ok: true; request: SendRequest }
  | { ok: false; code: 'bad_request' | 'invalid_phone' | 'invalid_message'; message: string };

/** Validates the body of POST /send (docs/contract.md 3.1). */
export function parseSendRequest(body: unknown, headerKey: string | undefined, defaultCountryCode: string | null = null): SendRequestResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, code: 'bad_request', message: 'body must be a JSON object with "phone" and "message"' };
  }
  const { phone, message, key } = body as Record<string, unknown>;
  const chat = parseChatId(phone, defaultCountryCode);
  if (!chat.ok) return { ok: false, code: 'invalid_phone', message: chat.reason };
  if (!isSendableText(message)) {
    return { ok: false, code: 'invalid_message', message: `message must be non-empty text of at most ${MAX_MESSAGE_CHARS} characters` };
  }
  const givenKey = key ?? headerKey ?? null;
  if (givenKey !== null && (typeof givenKey !== 'string' || givenKey === '' || givenKey.length > MAX_KEY_CHARS)) {
    return { ok: false, code: 'bad_request', message: `key must be a non-empty string of at most ${MAX_KEY_CHARS} characters` };
  }
  return { ok: true, request: { chat: chat.chat, text: message, key: givenKey } };
}
