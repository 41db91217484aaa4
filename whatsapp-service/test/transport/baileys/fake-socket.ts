import { makeEventBuffer, proto, type UserFacingSocketConfig, type WAMessage } from 'baileys';
import { pino } from 'pino';
import type { WhatsAppSocket } from '../../../src/transport/baileys/index.js';

/**
 * A Baileys socket without the network: a real Baileys event emitter
 * (makeEventBuffer) plus recording stand-ins for what the adapter calls.
 */
export class FakeSocket implements WhatsAppSocket {
  readonly ev = makeEventBuffer(pino({ level: 'silent' }));
  user: { id: string } | undefined;
  readonly sent: Array<{ jid: string; text: string; id: string }> = [];
  ended = false;
  loggedOut = false;
  notOnWhatsApp = new Set<string>();
  lidToPhone = new Map<string, string>();
  sendFailure: Error | null = null;

  constructor(readonly config: UserFacingSocketConfig) {}

  async sendMessage(jid: string, content: { text: string }) {
    if (this.sendFailure) throw this.sendFailure;
    const id = `3EB0FAKE${String(this.sent.length + 1).padStart(4, '0')}`;
    this.sent.push({ jid, text: content.text, id });
    return { key: { id, remoteJid: jid, fromMe: true } };
  }
  async requestPairingCode(phone: string) {
    return `PAIR${phone.slice(-4)}`;
  }
  async onWhatsApp(...jids: string[]) {
    return jids.map((jid) => ({ jid, exists: !this.notOnWhatsApp.has(jid) }));
  }
  readonly signalRepository = { lidMapping: { getPNForLID: async (lid: string) => this.lidToPhone.get(lid) ?? null } };
  async logout() {
    this.loggedOut = true;
  }
  end() {
    this.ended = true;
  }

  // --- what WhatsApp would do ---
  showQr(qr = 'QR-REF-1') {
    this.ev.emit('connection.update', { qr });
  }
  open(phone = '4930123456') {
    this.user = { id: `${phone}:7@s.whatsapp.net` };
    this.ev.emit('connection.update', { connection: 'open' });
  }
  close(statusCode: number, message = 'closed') {
    const error = Object.assign(new Error(message), { output: { statusCode } });
    this.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error, date: new Date() } });
  }
  deliver(messages: WAMessage[], type: 'notify' | 'append' = 'notify') {
    this.ev.emit('messages.upsert', { messages, type });
  }
  receipt(id: string, status: number) {
    this.ev.emit('messages.update', [{ key: { id, fromMe: true, remoteJid: 'x@s.whatsapp.net' }, update: { status } }]);
  }
}

/** A WAMessage as Baileys hands it over, built from the real protobuf shapes. */
export function waMessage(fields: {
  id: string;
  from: string;
  alt?: string;
  fromMe?: boolean;
  name?: string;
  timestamp?: number;
  message?: proto.IMessage | null;
}): WAMessage {
  const info = proto.WebMessageInfo.fromObject({
    key: { id: fields.id, remoteJid: fields.from, fromMe: fields.fromMe ?? false },
    messageTimestamp: fields.timestamp ?? 1732400000,
    pushName: fields.name ?? 'Max Mustermann',
    ...(fields.message === null ? {} : { message: fields.message ?? { conversation: 'Hallo' } }),
  }) as WAMessage;
  if (fields.alt) info.key.remoteJidAlt = fields.alt;
  return info;
}

/** Collects the sockets an adapter builds, newest last. */
export function socketFactory(): { sockets: FakeSocket[]; factory: (config: UserFacingSocketConfig) => FakeSocket } {
  const sockets: FakeSocket[] = [];
  return {
    sockets,
    factory: (config) => {
      const socket = new FakeSocket(config);
      sockets.push(socket);
      return socket;
    },
  };
}
