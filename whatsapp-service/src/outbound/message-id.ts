import { createHash } from 'node:crypto';

/**
 * The WhatsApp message id of an outbox row: derived, not random, so a send
 * repeated after a crash (between WhatsApp taking it and us recording it)
 * carries the same id and the phone shows it once. Shaped like Baileys' own
 * ids ("3EB0" + 18 upper-case hex digits, Utils/generics.js generateMessageIDV2).
 */
export function outboundMessageId(outboxId: number, idempotencyKey: string): string {
  const hash = createHash('sha256').update(`osticket-whatsapp:${outboxId}:${idempotencyKey}`).digest('hex');
  return `3EB0${hash.slice(0, 18).toUpperCase()}`;
}
