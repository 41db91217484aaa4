import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * Chat ids (docs/contract.md section 1): phone digits, E.164 without "+",
 * or, for a contact whose number WhatsApp did not reveal, "lid:<digits>"
 * (Baileys) or "bsuid:<business-scoped user id>" (Cloud API, e.g.
 * "bsuid:US.13491208655302741918").
 */
export type ChatIdResult = { ok: true; chat: string } | { ok: false; reason: string };

const HIDDEN_NUMBER = /^(lid:\d{5,25}|bsuid:[A-Z]{2}\.[A-Za-z0-9.]{1,55})$/;
/** What people write around the digits of a phone number. */
const PHONE_CHARACTERS = /^[+\d\s\-./()]+$/;

/**
 * Reads a phone number the way people write it, with libphonenumber:
 * "+49 (0) 171-2512623", "0049 171 2512623" and "491712512623" are all
 * 491712512623. A national number ("0171 2512623") needs `defaultCountryCode`
 * (digits, e.g. "49"); without one it is refused, never guessed.
 */
export function parseChatId(input: unknown, defaultCountryCode: string | null = null): ChatIdResult {
  if (typeof input !== 'string' && typeof input !== 'number') return { ok: false, reason: 'phone must be a string of digits' };
  const raw = String(input).trim();
  if (HIDDEN_NUMBER.test(raw)) return { ok: true, chat: raw };
  if (!PHONE_CHARACTERS.test(raw)) return { ok: false, reason: 'phone may contain only digits, "+", spaces, dashes, dots, slashes and parentheses' };

  const compact = raw.replace(/[\s\-./]/g, '');
  let text: string;
  let national = false;
  if (compact.startsWith('+')) text = raw;
  else if (compact.startsWith('00')) text = `+${raw.replace(/^\s*0\s*0/, '')}`;
  else if (compact.replace(/^\(/, '').startsWith('0')) {
    if (defaultCountryCode === null) {
      return { ok: false, reason: 'phone is a national number: write it with the country code (e.g. +49 171 ...) or set DEFAULT_COUNTRY_CODE' };
    }
    text = raw;
    national = true;
  } else text = `+${raw}`;

  const number = national
    ? parsePhoneNumberFromString(text, { defaultCallingCode: defaultCountryCode! })
    : parsePhoneNumberFromString(text);
  // WhatsApp still writes Mexico's mobiles as 52 1 + ten digits (its wa_id), a form Mexico dropped in 2019
  // and libphonenumber refuses: a reply must reach the chat under the id WhatsApp gave it.
  if (!national && /^\+?521\d{10}$/.test(compact)) return { ok: true, chat: compact.replace(/^\+/, '') };
  if (!number || !number.isPossible()) {
    return { ok: false, reason: 'phone is not a possible phone number (country code and number, e.g. +49 171 2512623)' };
  }
  return { ok: true, chat: number.number.slice(1) };
}

/** Whether a chat id is a phone number (not a LID or BSUID). */
export function isPhoneChat(chat: string): boolean {
  return /^\d+$/.test(chat);
}
