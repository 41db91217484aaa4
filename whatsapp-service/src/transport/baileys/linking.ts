import type { Logger } from 'pino';
import qrcodeTerminal from 'qrcode-terminal';
import { SendError } from '../transport.js';
import type { WhatsAppSocket } from './socket.js';

/** The longest a POST /pair waits for WhatsApp's code (documented in docs/contract.md). */
export const PAIRING_TIMEOUT_MS = 30_000;

interface Waiter {
  resolve(code: string): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Linking a phone: QR codes on the terminal, or a pairing code for a phone
 * number. Every request for a code gets an answer within PAIRING_TIMEOUT_MS;
 * a request while a code is shown gets that code.
 */
export class Linking {
  private waiters: Waiter[] = [];
  private requesting = false;
  code: string | null = null;

  constructor(
    private readonly log: Logger,
    public phone: string | null,
    private readonly printQr: boolean,
  ) {}

  /** A new QR code: a pairing code is asked for instead when a phone is set. */
  onQr(socket: WhatsAppSocket, qr: string, onCode: (code: string) => void): void {
    if (this.phone) return void this.pair(socket, onCode);
    this.log.info('scan the QR code with WhatsApp (Settings > Linked devices); also at GET /qr');
    if (this.printQr) qrcodeTerminal.generate(qr, { small: true }, (art) => process.stdout.write(`${art}\n`));
  }

  /** Waits for the next pairing code, bounded. */
  waitForCode(): Promise<string> {
    if (this.code) return Promise.resolve(this.code);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new SendError(`WhatsApp gave no pairing code within ${PAIRING_TIMEOUT_MS / 1000} s; try again`, 'pairing_timeout', true));
        }, PAIRING_TIMEOUT_MS),
      };
      this.waiters.push(waiter);
    });
  }

  async pair(socket: WhatsAppSocket, onCode: (code: string) => void): Promise<void> {
    const phone = this.phone;
    if (!phone || this.code || this.requesting) return;
    this.requesting = true;
    try {
      const code = await socket.requestPairingCode(phone);
      this.code = code;
      this.log.info({ code }, 'enter this pairing code in WhatsApp: Linked devices > Link with phone number');
      onCode(code);
      this.settle((waiter) => waiter.resolve(code));
    } catch (error) {
      this.log.error({ err: error }, 'could not get a pairing code');
      this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.requesting = false;
    }
  }

  /** The codes ran out or linking ended: forget the code, tell whoever waits. */
  fail(error: Error): void {
    this.code = null;
    this.settle((waiter) => waiter.reject(error));
  }

  /** A new socket: its codes are new too. */
  reset(): void {
    this.code = null;
  }

  private settle(action: (waiter: Waiter) => void): void {
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      action(waiter);
    }
  }
}
