import type { SessionStore } from './session-store.js';

/** The user part of a JID: "49123:12@s.whatsapp.net" -> "49123". */
export function jidUser(jid: string): string {
  return jid.split('@')[0]!.split(':')[0]!;
}

export const isPhoneJid = (jid: string | null | undefined): jid is string => !!jid && jid.endsWith('@s.whatsapp.net');
export const isLidJid = (jid: string | null | undefined): jid is string => !!jid && jid.endsWith('@lid');

/** A chat id (docs/contract.md section 1) as a JID to send to. */
export function chatToJid(chat: string): string {
  return chat.startsWith('lid:') ? `${chat.slice(4)}@lid` : `${chat}@s.whatsapp.net`;
}

/**
 * Who wrote: the chat id and phone the gateway forwards. One person, one
 * chat, whichever address they write from: a phone with a known LID takes
 * that contact's chat, and a contact first seen without a phone keeps its
 * "lid:" chat id for good, so all its messages reach the same ticket, even
 * after its number becomes known.
 */
export async function resolveSender(
  senderJid: string,
  altJid: string | null,
  store: SessionStore,
  lookupPhone: (lidJid: string) => Promise<string | null>,
): Promise<{ chat: string; phone: string | null }> {
  if (isPhoneJid(senderJid)) {
    const phone = jidUser(senderJid);
    // The same person may have written under their LID before: their chat is that one.
    const lid = isLidJid(altJid) ? jidUser(altJid) : store.lidForPhone(phone);
    if (!lid) return { chat: phone, phone };
    const known = store.contact(lid);
    store.rememberContact(lid, phone, known?.chat ?? phone);
    return { chat: known?.chat ?? phone, phone };
  }

  const lid = jidUser(senderJid);
  const known = store.contact(lid);
  let phone = known?.phone ?? (isPhoneJid(altJid) ? jidUser(altJid) : null);
  if (phone === null) {
    const pnJid = await lookupPhone(senderJid).catch(() => null);
    phone = isPhoneJid(pnJid) ? jidUser(pnJid) : null;
  }
  const chat = known?.chat ?? phone ?? `lid:${lid}`;
  store.rememberContact(lid, phone, chat);
  return { chat, phone };
}

/** Who wrote, from what is stored alone (when asking WhatsApp failed): the known chat, else the LID or phone itself. */
export function fallbackSender(senderJid: string, store: SessionStore): { chat: string; phone: string | null } {
  const user = jidUser(senderJid);
  if (isPhoneJid(senderJid)) {
    const lid = store.lidForPhone(user);
    return { chat: (lid && store.contact(lid)?.chat) || user, phone: user };
  }
  const known = store.contact(user);
  return { chat: known?.chat ?? `lid:${user}`, phone: known?.phone ?? null };
}

/**
 * A `lid-mapping.update` pair checked the way Baileys' own store checks it
 * (Signal/lid-mapping.js storeLIDPNMappings): one side a LID, the other a
 * phone JID, in either order. Anything else is not a mapping.
 */
export function validMapping(pair: { lid?: unknown; pn?: unknown }): { lid: string; phone: string } | null {
  const { lid, pn } = pair;
  if (typeof lid !== 'string' || typeof pn !== 'string') return null;
  if (isLidJid(lid) && isPhoneJid(pn)) return { lid: jidUser(lid), phone: jidUser(pn) };
  if (isPhoneJid(lid) && isLidJid(pn)) return { lid: jidUser(pn), phone: jidUser(lid) };
  return null;
}
