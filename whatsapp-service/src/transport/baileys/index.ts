import { BaileysTransport, type BaileysTransportOptions } from './baileys-transport.js';
import { forgetDevice } from './session-store.js';
import type { Transport } from '../transport.js';

export type { BaileysTransportOptions } from './baileys-transport.js';
export type { SocketFactory, WhatsAppSocket } from './socket.js';

export function createBaileysTransport(options: BaileysTransportOptions): Transport {
  return new BaileysTransport(options);
}

/** Forgets the linked device, keeping the contacts (`npm run unlink`); returns false when there was none. */
export function clearSession(authDir: string): boolean {
  return forgetDevice(authDir);
}
