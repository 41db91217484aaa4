/**
 * What one delivery attempt to the webhook came to (docs/contract.md 2.3):
 * - delivered: 2xx with the plugin's answer (a 2xx with anything else is configuration);
 * - retry: the plugin is in trouble (its 5xx, 408, 425, 429), timeouts, connection errors;
 * - configuration: the target is set up wrong (401, 403, 404, 405, 3xx, TLS errors,
 *   no WEBHOOK_URL, and any error that is not the plugin's — a mistyped path answers
 *   osTicket's "400 URL not supported"): every message is kept and retried, none is given up for it;
 * - final: the plugin itself refused this one event (its other 4xx).
 */
export type Outcome =
  /** `oversized`: the plugin's answer was larger than we read; its replies are dropped. */
  | { kind: 'delivered'; body: string; oversized?: boolean }
  | { kind: 'retry'; reason: string; retryAfterMs: number | null }
  | { kind: 'configuration'; reason: string }
  | { kind: 'final'; reason: string };

const RETRYABLE_STATUS = new Set([408, 425, 429]);
const CONFIGURATION_STATUS: Record<number, string> = {
  401: 'the webhook refused our signature: WEBHOOK_SECRET differs from the plugin\'s "Webhook Secret"',
  403: 'the webhook forbids access (web server or firewall rule)',
  404: 'WEBHOOK_URL points nowhere (is the plugin enabled, the URL complete?)',
  405: 'WEBHOOK_URL does not take POST requests (is it the plugin\'s webhook?)',
};

/** The header every answer of the plugin carries (docs/contract.md 2.3): an error without it is not the plugin's. */
export const PLUGIN_HEADER = 'x-whatsapp-plugin';

/** The plugin's error body (3.5); a plugin older than the header answers with it too. */
const PLUGIN_ERROR = /^\s*\{\s*"error"\s*:\s*\{\s*"code"\s*:/;

/**
 * The start of the plugin's answer (docs/contract.md 2.4): a JSON object whose first
 * member is "ok": true. An HTML page, a login or maintenance page answering 200 is not it.
 */
const PLUGIN_ANSWER = /^\s*\{\s*"ok"\s*:\s*true\b/;

/**
 * Classifies an HTTP answer; `fromPlugin`: it carries the plugin's header; `truncated`:
 * only the start of the body was kept. Pure.
 */
export function outcomeOf(status: number, body: string, retryAfter: string | null, nowMs: number, location: string | null = null, truncated = false, fromPlugin = true): Outcome {
  if (status >= 200 && status < 300) {
    if (!PLUGIN_ANSWER.test(body)) {
      return { kind: 'configuration', reason: `HTTP ${status}: the webhook URL answered with something that is not the plugin (${describe(body)}); is WEBHOOK_URL the plugin's webhook?` };
    }
    if (truncated) return { kind: 'delivered', body: '{"ok":true}', oversized: true };
    try {
      JSON.parse(body);
    } catch {
      return { kind: 'configuration', reason: `HTTP ${status}: the webhook's answer is not valid JSON (${describe(body)}); is WEBHOOK_URL the plugin's webhook?` };
    }
    return { kind: 'delivered', body };
  }
  const reason = `HTTP ${status}${summary(body)}`;
  if (status >= 300 && status < 400) {
    return { kind: 'configuration', reason: `${reason}: the webhook redirects${location ? ` to ${location}` : ''}; set WEBHOOK_URL to the final address` };
  }
  if (CONFIGURATION_STATUS[status]) return { kind: 'configuration', reason: `${reason}: ${CONFIGURATION_STATUS[status]}` };
  if (!fromPlugin && !PLUGIN_ERROR.test(body)) {
    const hint = status >= 500
      ? 'the web server or PHP failed before the plugin answered (see their error logs)'
      : 'is the path …/api/whatsapp/webhook.php?instance=<id> (shown on the plugin\'s settings page), and is the plugin enabled?';
    return { kind: 'configuration', reason: `WEBHOOK_URL answers ${status}${quote(body)}, not the plugin: ${hint}` };
  }
  if (status >= 500 || RETRYABLE_STATUS.has(status)) return { kind: 'retry', reason, retryAfterMs: retryAfterMs(retryAfter, nowMs) };
  return { kind: 'final', reason };
}

/** A request that got no HTTP answer: a certificate problem is configuration, anything else may pass. */
export function outcomeOfError(error: Error & { code?: string }): Outcome {
  const code = error.code ?? error.message;
  if (/CERT|SSL|TLS|EPROTO|ALTNAME/i.test(code)) {
    return { kind: 'configuration', reason: `TLS error ${code}: the webhook's certificate is not trusted, or WEBHOOK_URL uses https on a plain http port` };
  }
  return { kind: 'retry', reason: code, retryAfterMs: null };
}

export const NOT_CONFIGURED: Outcome = {
  kind: 'configuration',
  reason: 'WEBHOOK_URL is not set: messages are kept; set it in .env and restart the service',
};

/** `Retry-After` as seconds or an HTTP date, capped at an hour. */
export function retryAfterMs(header: string | null, nowMs: number): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - nowMs;
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 3_600_000) : null;
}

/** What an unexpected answer looked like, without echoing it. */
function describe(body: string): string {
  const start = body.trimStart().slice(0, 200).toLowerCase();
  if (start === '') return 'an empty body';
  if (start.startsWith('<!doctype html') || start.startsWith('<html') || start.includes('<head')) return 'an HTML page';
  if (start.startsWith('{') || start.startsWith('[')) return 'other JSON';
  return 'text';
}

/** A short plain-text answer as it reads (osTicket's "URL not supported"); a page or JSON only by its kind. */
function quote(body: string): string {
  const text = body.trim();
  if (text === '' || text.length > 120 || /[<{[]/.test(text[0]!)) return ` (${describe(body)})`;
  return ` '${text.replace(/[^\p{L}\p{N} .,:;!?'"()/_-]/gu, ' ')}'`;
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
