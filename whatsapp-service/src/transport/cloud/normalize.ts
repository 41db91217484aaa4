import type { MessageType } from '../transport.js';

/**
 * A Cloud API message (…/whatsapp/webhooks/reference/messages/<type>) as the
 * gateway forwards it, or why it is not forwarded. The same kinds come out as
 * from Baileys: replies to buttons and lists as their title, locations and
 * contacts as text, reactions about the message they react to. Pure.
 */
export type CloudNormalized =
  | {
      kind: 'message';
      id: string;
      timestamp: number;
      type: MessageType;
      text: string;
      ref: string | null;
      /** The customer's file: Meta's media id (valid about 7 days) and what the webhook says of it. */
      media: { mediaId: string; mimetype: string; filename: string; sha256: string } | null;
    }
  | { kind: 'ignore'; reason: string }
  /** The customer changed their number or user id (a `system` message): the same chat from now on. */
  | { kind: 'changed'; phone: string | null; bsuid: string | null; previousBsuid: string | null };

const FILE_TYPES = ['image', 'audio', 'video', 'document', 'sticker'] as const;

export function normalizeCloudMessage(message: Record<string, unknown>, nowSeconds = Math.floor(Date.now() / 1000)): CloudNormalized {
  const id = message.id as string;
  const type = String(message.type ?? '');
  const timestamp = Number.parseInt(String(message.timestamp ?? ''), 10);
  const base = { kind: 'message' as const, id, timestamp: Number.isFinite(timestamp) ? timestamp : nowSeconds, ref: null, media: null };
  const part = (message[type] ?? {}) as Record<string, unknown>;
  // Messages in groups (the Groups API) are kept out, as with Baileys: a ticket is one customer's conversation.
  if (typeof message.group_id === 'string' && message.group_id !== '') return { kind: 'ignore', reason: 'group message' };

  if (type === 'text') return { ...base, type: 'text', text: str(part.body) };
  if ((FILE_TYPES as readonly string[]).includes(type)) {
    const mediaId = str(part.id);
    const mimetype = str(part.mime_type) || 'application/octet-stream';
    return {
      ...base,
      type: type as MessageType,
      text: str(part.caption),
      media: mediaId ? { mediaId, mimetype, filename: type === 'document' ? str(part.filename) : '', sha256: str(part.sha256) } : null,
    };
  }
  if (type === 'location') {
    const where = part.latitude != null && part.longitude != null ? `https://maps.google.com/?q=${Number(part.latitude)},${Number(part.longitude)}` : '';
    return { ...base, type: 'location', text: lines([str(part.name), str(part.address)].filter(Boolean).join(', '), where) };
  }
  if (type === 'contacts') {
    const contacts = Array.isArray(message.contacts) ? (message.contacts as Array<Record<string, unknown>>) : [];
    const text = contacts.map((contact) => {
      const name = str((contact.name as { formatted_name?: unknown } | undefined)?.formatted_name);
      const phones = (Array.isArray(contact.phones) ? (contact.phones as Array<{ phone?: unknown }>) : []).map((p) => str(p.phone));
      return [name, ...phones].filter(Boolean).join(' ');
    });
    return { ...base, type: 'contact', text: text.join('\n') };
  }
  if (type === 'interactive') {
    const reply = (part.button_reply ?? part.list_reply ?? {}) as { title?: unknown };
    const flow = (part.nfm_reply ?? {}) as { body?: unknown };
    return { ...base, type: 'text', text: str(reply.title) || str(flow.body) };
  }
  if (type === 'button') return { ...base, type: 'text', text: str(part.text) || str(part.payload) };
  if (type === 'reaction') {
    const emoji = str(part.emoji);
    const ref = str(part.message_id);
    if (!emoji) return { kind: 'ignore', reason: 'reaction removed' };
    return ref ? { ...base, type: 'reaction', text: emoji, ref } : { kind: 'ignore', reason: 'reaction without a message' };
  }
  if (type === 'system') {
    const phone = /^\d{6,15}$/.test(str(part.wa_id)) ? str(part.wa_id) : null;
    const bsuid = str(part.user_id) || null;
    return phone || bsuid ? { kind: 'changed', phone, bsuid, previousBsuid: str(part.previous_user_id) || null } : { kind: 'ignore', reason: 'system message' };
  }
  // unsupported (131051, 131060), order, referral-only, ...: the ticket hears that something came.
  return { ...base, type: 'other', text: '' };
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function lines(...parts: string[]): string {
  return parts.filter((part) => part.trim() !== '').join('\n');
}
