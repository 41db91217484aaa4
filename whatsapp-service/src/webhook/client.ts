import http from 'node:http';
import https from 'node:https';
import { signedHeaders } from './signature.js';
import { NOT_CONFIGURED, outcomeOf, outcomeOfError, type Outcome } from './outcome.js';

export interface WebhookTarget {
  /** null: not configured yet. */
  url: string | null;
  secret: string;
  timeoutMs: number;
}

export interface WebhookEvent {
  id: number;
  kind: string;
  payload: string;
}

/** Largest answer we read from the webhook; replies are small. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

// Kept-alive connections: one TCP (and TLS) handshake for many deliveries.
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

/** POSTs one signed event and classifies the result; never throws. */
export function postEvent(target: WebhookTarget, event: WebhookEvent, now: () => number = Date.now): Promise<Outcome> {
  if (target.url === null) return Promise.resolve(NOT_CONFIGURED);
  const address = target.url;
  return new Promise((resolve) => {
    const url = new URL(address);
    const body = Buffer.from(event.payload, 'utf8');
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(
      url,
      {
        method: 'POST',
        agent: agents[url.protocol as keyof typeof agents],
        timeout: target.timeoutMs,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': body.length,
          'User-Agent': 'osticket-whatsapp-service/1',
          'X-Event': event.kind,
          'X-Delivery-Id': String(event.id),
          ...signedHeaders(target.secret, event.payload, now()),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) return req.destroy(new Error('answer is too large'));
          chunks.push(chunk);
        });
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'] ?? null;
          resolve(outcomeOf(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), retryAfter, now(), res.headers.location ?? null));
        });
        res.on('error', (error) => resolve(outcomeOfError(error)));
      },
    );
    // A redirect is answered like any other non-2xx status: we never follow it with a signed body.
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (error) => resolve(outcomeOfError(error)));
    req.end(body);
  });
}

