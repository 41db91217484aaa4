/** WhatsApp's limit for one text message, in characters (code points). */
export const MAX_MESSAGE_CHARS = 65_536;
/** Longest idempotency key we keep. */
export const MAX_KEY_CHARS = 200;

export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export function isSendableText(text: unknown): text is string {
  return typeof text === 'string' && text.trim() !== '' && characterCount(text) <= MAX_MESSAGE_CHARS;
}

/**
 * Lone UTF-16 surrogates (a broken emoji, cut in half) replaced by U+FFFD:
 * PHP's json_decode refuses them, so one would turn a whole message into a dead letter.
 */
export function wellFormed(text: string): string {
  return text.replace(/\p{Surrogate}/gu, '\uFFFD');
}
