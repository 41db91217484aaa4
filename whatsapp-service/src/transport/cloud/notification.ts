import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Meta's webhook calls, read without trusting them (…/whatsapp/webhooks/
 * create-webhook-endpoint, …/webhooks/reference/messages). Pure.
 */

/** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`, over the bytes as sent. */
export function signatureMatches(appSecret: string, body: Buffer, header: string | undefined): boolean {
  const given = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '')?.[1];
  if (!given) return false;
  const expected = createHmac('sha256', appSecret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}

/** The subscription check: `hub.challenge` back as text when the token matches, else 403. */
export function answerSubscription(query: URLSearchParams, verifyToken: string): { status: number; body: string } {
  const token = Buffer.from(query.get('hub.verify_token') ?? '');
  const ours = Buffer.from(verifyToken);
  const matches = query.get('hub.mode') === 'subscribe' && token.length === ours.length && timingSafeEqual(token, ours);
  const challenge = query.get('hub.challenge') ?? '';
  return matches && challenge !== '' ? { status: 200, body: challenge } : { status: 403, body: 'verify token mismatch' };
}

/** Who wrote: the phone (`wa_id`, may be absent since 2026) and the business-scoped user id. */
export interface CloudContact {
  name: string;
  phone: string | null;
  bsuid: string | null;
}

export interface CloudMessageIn {
  message: Record<string, unknown>;
  contact: CloudContact;
}

export interface CloudStatusIn {
  id: string;
  status: string;
  /** When it happened (ms). */
  at: number;
  errors: Array<{ code: number | null; title: string; details: string }>;
  /** What we sent along as `biz_opaque_callback_data`, echoed by Meta; null without. */
  callback: string | null;
}

export interface CloudNotification {
  messages: CloudMessageIn[];
  statuses: CloudStatusIn[];
  /** Changes for a number this gateway does not serve: kept, never dropped. */
  foreign: Array<{ phoneNumberId: string; display: string; value: unknown }>;
  /** Problems Meta reports about the notification itself (`value.errors[]`). */
  errors: Array<{ code: number | null; title: string; details: string }>;
}

/**
 * Every entry, change, message and status of one POST (Meta batches up to
 * 1000), in order. Throws on a body that is not a WhatsApp notification.
 */
export function readNotification(body: unknown, phoneNumberId: string): CloudNotification {
  const envelope = body as { object?: unknown; entry?: unknown };
  if (!envelope || typeof envelope !== 'object' || envelope.object !== 'whatsapp_business_account' || !Array.isArray(envelope.entry)) {
    throw new Error('not a whatsapp_business_account notification');
  }
  const result: CloudNotification = { messages: [], statuses: [], foreign: [], errors: [] };
  for (const entry of envelope.entry as Array<{ changes?: unknown }>) {
    for (const change of Array.isArray(entry?.changes) ? (entry.changes as Array<{ field?: unknown; value?: unknown }>) : []) {
      if (change?.field !== 'messages' || !change.value || typeof change.value !== 'object') continue;
      const value = change.value as { metadata?: { phone_number_id?: unknown; display_phone_number?: unknown }; contacts?: unknown; messages?: unknown; statuses?: unknown };
      const number = String(value.metadata?.phone_number_id ?? '');
      if (number !== phoneNumberId) {
        result.foreign.push({ phoneNumberId: number, display: String(value.metadata?.display_phone_number ?? ''), value });
        continue;
      }
      const contacts = Array.isArray(value.contacts) ? (value.contacts as Array<Record<string, unknown>>) : [];
      const errors = (value as { errors?: unknown }).errors;
      if (Array.isArray(errors)) result.errors.push(...(errors as Array<Record<string, unknown>>).map(errorOf));
      for (const message of Array.isArray(value.messages) ? (value.messages as Array<Record<string, unknown>>) : []) {
        if (!message || typeof message !== 'object' || typeof message.id !== 'string') continue;
        result.messages.push({ message, contact: contactOf(message, contacts) });
      }
      for (const status of Array.isArray(value.statuses) ? (value.statuses as Array<Record<string, unknown>>) : []) {
        if (!status || typeof status.id !== 'string' || typeof status.status !== 'string') continue;
        result.statuses.push({
          id: status.id,
          status: status.status,
          at: Number.parseInt(text(status.timestamp), 10) * 1000 || Date.now(),
          errors: (Array.isArray(status.errors) ? (status.errors as Array<Record<string, unknown>>) : []).map(errorOf),
          callback: text(status.biz_opaque_callback_data) || null,
        });
      }
    }
  }
  return result;
}

/** The sender: its `contacts[]` entry (matched by phone or BSUID, else the only one) and the message's own fields. */
function contactOf(message: Record<string, unknown>, contacts: Array<Record<string, unknown>>): CloudContact {
  const phone = digits(message.from);
  const bsuid = text(message.from_user_id) || null;
  const entry =
    contacts.find((c) => (phone !== null && digits(c.wa_id) === phone) || (bsuid !== null && c.user_id === bsuid)) ?? (contacts.length === 1 ? contacts[0] : undefined);
  const profile = (entry?.profile ?? {}) as { name?: unknown };
  return {
    name: text(profile.name).trim(),
    phone: phone ?? digits(entry?.wa_id),
    bsuid: bsuid ?? (text(entry?.user_id) || null),
  };
}

function errorOf(error: Record<string, unknown>): { code: number | null; title: string; details: string } {
  const data = (error.error_data ?? {}) as { details?: unknown };
  return { code: typeof error.code === 'number' ? error.code : null, title: text(error.title) || text(error.message), details: text(data.details) };
}

function digits(value: unknown): string | null {
  const raw = typeof value === 'string' || typeof value === 'number' ? String(value).replace(/^\+/, '') : '';
  return /^\d{6,15}$/.test(raw) ? raw : null;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
