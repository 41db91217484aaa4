import http from 'node:http';
import https from 'node:https';
import { signedHeaders } from './signature.js';
import { NOT_CONFIGURED, outcomeOf, outcomeOfError, PLUGIN_HEADER, type Outcome } from './outcome.js';

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

/**
 * POSTs one signed event and classifies the result; never throws. The whole
 * call — connecting, sending, and reading the answer — has target.timeoutMs:
 * a receiver that trickles its answer is cut off, not waited for.
 */
export function postEvent(target: WebhookTarget, event: WebhookEvent, now: () => number = Date.now): Promise<Outcome> {
  if (target.url === null) return Promise.resolve(NOT_CONFIGURED);
  const address = target.url;
  return new Promise((resolve) => {
    const url = new URL(address);
    const body = Buffer.from(event.payload, 'utf8');
    const transport = url.protocol === 'https:' ? https : http;
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })), target.timeoutMs);
    const done = (outcome: Outcome) => {
      clearTimeout(deadline);
      resolve(outcome);
    };
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
          // Past the limit the rest is read and dropped: only the start says whether it is the plugin's answer.
          if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
        });
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'] ?? null;
          const answer = Buffer.concat(chunks).toString('utf8');
          done(outcomeOf(res.statusCode ?? 0, answer, retryAfter, now(), res.headers.location ?? null, size > MAX_ANSWER_BYTES, res.headers[PLUGIN_HEADER] !== undefined));
        });
        res.on('error', (error) => done(outcomeOfError(error)));
      },
    );
    // A redirect is answered like any other non-2xx status: we never follow it with a signed body.
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (error) => done(outcomeOfError(error)));
    req.end(body);
  });
}

