import { parseChatId } from './chat-id.js';
import { MAX_KEY_CHARS } from './outbound/text-limits.js';

/** What POST /forget asks the gateway to forget (docs/contract.md 3.6); `before` in ms. */
export interface ForgetRequest {
  chat?: string;
  messages?: string[];
  keys?: string[];
  before?: number;
}

export type ForgetRequestResult = { ok: true; request: ForgetRequest } | { ok: false; message: string };

const MAX_ITEMS = 10_000;

/** Validates the body of POST /forget. Pure. */
export function parseForgetRequest(body: unknown, defaultCountryCode: string | null = null): ForgetRequestResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, message: 'body must be a JSON object' };
  const { phone, messages, keys, before } = body as Record<string, unknown>;
  const request: ForgetRequest = {};
  if (phone !== undefined) {
    const chat = parseChatId(phone, defaultCountryCode);
    if (!chat.ok) return { ok: false, message: chat.reason };
    request.chat = chat.chat;
  }
  const strings = (value: unknown, name: string, max: number): string[] | string => {
    if (!Array.isArray(value) || value.length > MAX_ITEMS || !value.every((item) => typeof item === 'string' && item !== '' && item.length <= max)) {
      return `${name} must be a list of at most ${MAX_ITEMS} non-empty strings`;
    }
    return value as string[];
  };
  for (const [name, value, max] of [['messages', messages, 256], ['keys', keys, MAX_KEY_CHARS]] as const) {
    if (value === undefined) continue;
    const list = strings(value, name, max);
    if (typeof list === 'string') return { ok: false, message: list };
    request[name] = list;
  }
  if (before !== undefined) {
    if (typeof before !== 'number' || !Number.isInteger(before) || before <= 0) return { ok: false, message: 'before must be a time in unix seconds' };
    request.before = before * 1000;
  }
  if (Object.keys(request).length === 0) return { ok: false, message: 'say what to forget: "phone", "messages", "keys" or "before"' };
  return { ok: true, request };
}
