/**
 * Chat ids (docs/contract.md section 1): phone digits, E.164 without "+",
 * or "lid:<digits>" for a contact whose number WhatsApp did not reveal.
 */
export type ChatIdResult = { ok: true; chat: string } | { ok: false; reason: string };

const LID = /^lid:\d{5,25}$/;
const DECORATION = /[\s\-./()]/g;

export function parseChatId(input: unknown): ChatIdResult {
  if (typeof input !== 'string' && typeof input !== 'number') return { ok: false, reason: 'phone must be a string of digits' };
  const raw = String(input).trim();
  if (LID.test(raw)) return { ok: true, chat: raw };
  let digits = raw.replace(DECORATION, '');
  if (digits.startsWith('+')) digits = digits.slice(1);
  else if (digits.startsWith('00')) digits = digits.slice(2);
  if (!/^\d+$/.test(digits)) return { ok: false, reason: 'phone may contain only digits, "+", spaces and dashes' };
  if (digits.startsWith('0')) return { ok: false, reason: 'phone must start with the country code (e.g. 49 for Germany), not 0' };
  if (digits.length < 6 || digits.length > 15) return { ok: false, reason: 'phone must have 6 to 15 digits including the country code' };
  return { ok: true, chat: digits };
}
