import { baseMimeType, mediaFileName } from '../media/file-name.js';
import { wellFormed } from '../outbound/text-limits.js';
import type { PendingMedia } from '../media/media-worker.js';
import type { DeliveryState, InboundMessage } from '../transport/transport.js';

/**
 * Body of a `message` webhook event (docs/contract.md 2.1). A file is
 * `media: {pending: true, ...}` here; the media worker puts the descriptor
 * in its place before the event is delivered.
 */
export function messageEvent(message: InboundMessage): string {
  const { id, chat, phone, name, timestamp, type, text, edited } = message;
  const about = message.ref ? { ref: message.ref, ref_key: message.refKey ?? null } : {};
  const media: PendingMedia | null = message.media
    ? {
        pending: true,
        mimetype: baseMimeType(message.media.mimetype),
        filename: mediaFileName(type, message.media.mimetype, message.media.filename, timestamp),
        size: message.media.size,
      }
    : null;
  return JSON.stringify({ event: 'message', message: { id, chat, phone, name, timestamp, type, text, edited, ...about, media } }, repairStrings);
}

export interface StatusFacts {
  outboxId: number;
  key: string;
  chat: string;
  state: DeliveryState | 'held';
  whatsappId: string | null;
  error: string | null;
  timestamp: number;
}

/** Body of a `status` webhook event (docs/contract.md 2.2). */
export function statusEvent(facts: StatusFacts): string {
  const { outboxId, key, chat, state, whatsappId, error, timestamp } = facts;
  return JSON.stringify({
    event: 'status',
    status: { id: outboxId, key, chat, state, whatsapp_id: whatsappId, error, timestamp },
  }, repairStrings);
}

/** Every string the plugin gets is well-formed: its json_decode refuses lone surrogates. */
function repairStrings(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? wellFormed(value) : value;
}

/** Body of a `hello` (docs/contract.md 2.5): who is calling, and how long it waits for the answer, in which the plugin hands over waiting replies. */
export function helloEvent(facts: { transport: string; connection: string; timestamp: number; timeout_ms: number }): string {
  return JSON.stringify({ event: 'hello', hello: { service: 'osticket-whatsapp-service', ...facts } });
}
