import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import { verifySignature } from '../../src/webhook/signature.js';

export interface ReceivedEvent {
  headers: IncomingHttpHeaders;
  body: string;
  event: any;
  signatureOk: boolean;
}

/** `raw`: the answer's body as it is (an HTML page, say) instead of `body` as JSON, and without the plugin's header. */
export interface Answer {
  status: number;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  /** Without the plugin's header (a plugin older than it). */
  unmarked?: boolean;
}
export type Responder = (event: ReceivedEvent) => Answer | Promise<Answer>;

/** A real HTTP webhook receiver playing the plugin: checks signatures, records every request, answers as `respond` says. */
export class Receiver {
  readonly received: ReceivedEvent[] = [];
  respond: Responder = () => ({ status: 200, body: { ok: true, replies: [] } });
  private server: Server | null = null;
  /** Where it listens, once started. */
  url = '';

  /** Public so a test can "fix" the plugin's secret while the service runs. */
  constructor(public secret: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const signatureOk = verifySignature(
          this.secret,
          { timestamp: req.headers['x-timestamp'] as string, signature: req.headers['x-signature'] as string },
          body,
          Date.now(),
        ).ok;
        const received: ReceivedEvent = { headers: req.headers, body, event: JSON.parse(body), signatureOk };
        this.received.push(received);
        const answer: Answer = signatureOk ? await this.respond(received) : { status: 401, body: { error: { code: 'bad_signature' } } };
        const plugin = answer.raw !== undefined ? { 'Content-Type': 'text/html' }
          : answer.unmarked ? { 'Content-Type': 'application/json' } : { 'Content-Type': 'application/json', 'X-WhatsApp-Plugin': '1' };
        res.writeHead(answer.status, { ...plugin, ...answer.headers });
        res.end(answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body)));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhook`;
    return this.url;
  }

  messages(): any[] {
    return this.received.filter((r) => r.event.event === 'message').map((r) => r.event.message);
  }

  statuses(): any[] {
    return this.received.filter((r) => r.event.event === 'status').map((r) => r.event.status);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Polls until `check` is true or `timeoutMs` passes; the test then fails with `what`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A receiver for a whole test file: listening before its first test, closed after its last (`url` from then on). */
export function fileReceiver(secret: string): Receiver {
  const receiver = new Receiver(secret);
  before(() => receiver.start());
  after(() => receiver.stop());
  return receiver;
}
