import { signedHeaders } from './signature.js';
import { outcomeOf, type Outcome } from './outcome.js';

export interface WebhookTarget {
  url: string;
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

/** POSTs one signed event and classifies the result; never throws. */
export async function postEvent(target: WebhookTarget, event: WebhookEvent, now: () => number = Date.now): Promise<Outcome> {
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'User-Agent': 'osticket-whatsapp-service/1',
        'X-Event': event.kind,
        'X-Delivery-Id': String(event.id),
        ...signedHeaders(target.secret, event.payload, now()),
      },
      body: event.payload,
      redirect: 'error',
      signal: AbortSignal.timeout(target.timeoutMs),
    });
    const body = await readLimited(response);
    return outcomeOf(response.status, body, response.headers.get('retry-after'), now());
  } catch (error) {
    return { kind: 'retry', reason: describe(error), retryAfterMs: null };
  }
}

async function readLimited(response: Response): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_ANSWER_BYTES) {
    await response.body?.cancel();
    throw new Error(`answer of ${length} bytes is too large`);
  }
  const text = await response.text();
  if (Buffer.byteLength(text) > MAX_ANSWER_BYTES) throw new Error('answer is too large');
  return text;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'timeout';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
