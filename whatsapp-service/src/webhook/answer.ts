import { parseChatId } from '../chat-id.js';
import { isSendableText, wellFormed } from '../outbound/text-limits.js';

export interface Reply {
  chat: string;
  text: string;
  key: string;
}

export interface ParsedAnswer {
  replies: Reply[];
  /** Replies that were not usable, with why; logged, never sent. */
  rejected: string[];
}

/**
 * Reads the plugin's answer to a `message` event (docs/contract.md 2.1).
 * An answer without replies is valid: not every message needs one.
 */
export function parseAnswer(body: string, messageId: string, defaultChat: string): ParsedAnswer {
  const result: ParsedAnswer = { replies: [], rejected: [] };
  if (body.trim() === '') return result;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    result.rejected.push('answer is not JSON');
    return result;
  }
  const replies = (parsed as { replies?: unknown } | null)?.replies;
  if (replies === undefined) return result;
  if (!Array.isArray(replies)) {
    result.rejected.push('"replies" is not a list');
    return result;
  }
  replies.forEach((reply: unknown, index) => {
    const { text, to, key } = (reply ?? {}) as Record<string, unknown>;
    const chat = to === undefined || to === null ? { ok: true as const, chat: defaultChat } : parseChatId(to);
    if (!chat.ok) return result.rejected.push(`reply ${index}: ${chat.reason}`);
    if (!isSendableText(text)) return result.rejected.push(`reply ${index}: text is empty or too long`);
    const usableKey = typeof key === 'string' && key !== '' && key.length <= 200 ? key : `reply:${messageId}:${index}`;
    result.replies.push({ chat: chat.chat, text: wellFormed(text), key: usableKey });
  });
  return result;
}
