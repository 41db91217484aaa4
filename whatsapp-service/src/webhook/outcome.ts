/** What one delivery attempt to the webhook came to. */
export type Outcome =
  | { kind: 'delivered'; body: string }
  | { kind: 'retry'; reason: string; retryAfterMs: number | null }
  | { kind: 'final'; reason: string };

const RETRYABLE_STATUS = new Set([408, 425, 429]);

/** Classifies an HTTP answer (docs/contract.md 2.3). Pure. */
export function outcomeOf(status: number, body: string, retryAfter: string | null, nowMs: number): Outcome {
  if (status >= 200 && status < 300) return { kind: 'delivered', body };
  const reason = `HTTP ${status}${summary(body)}`;
  if (status >= 500 || RETRYABLE_STATUS.has(status)) return { kind: 'retry', reason, retryAfterMs: retryAfterMs(retryAfter, nowMs) };
  return { kind: 'final', reason };
}

/** `Retry-After` as seconds or an HTTP date, capped at an hour. */
export function retryAfterMs(header: string | null, nowMs: number): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - nowMs;
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 3_600_000) : null;
}

function summary(body: string): string {
  // The plugin's error code is useful in the dead-letter list; message bodies are not echoed by it.
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    if (typeof code === 'string') return ` ${code}`;
  } catch {
    /* not JSON */
  }
  return '';
}
