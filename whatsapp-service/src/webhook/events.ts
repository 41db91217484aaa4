import type { DeliveryState, InboundMessage } from '../transport/transport.js';

/** Body of a `message` webhook event (docs/contract.md 2.1). */
export function messageEvent(message: InboundMessage): string {
  const { id, chat, phone, name, timestamp, type, text, edited } = message;
  return JSON.stringify({ event: 'message', message: { id, chat, phone, name, timestamp, type, text, edited } });
}

export interface StatusFacts {
  outboxId: number;
  key: string;
  chat: string;
  state: DeliveryState;
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
  });
}
