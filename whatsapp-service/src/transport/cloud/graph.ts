/**
 * The few Graph API calls the Cloud transport makes, with plain fetch.
 * Error bodies are read as Meta documents them (support/error-codes):
 * `{"error": {"message", "type", "code", "error_data": {"details"}, "fbtrace_id"}}`.
 */

/** A refusal by the Graph API (or its absence of an answer: `code` null). */
export class GraphError extends Error {
  constructor(
    message: string,
    /** HTTP status, or null when no answer came (network, timeout). */
    readonly status: number | null,
    /** Meta's error code (e.g. 131047), or null. */
    readonly code: number | null,
    /** `error_data.details`, when given. */
    readonly details: string,
  ) {
    super(message);
    this.name = 'GraphError';
  }

  /** "131047: Re-engagement message (more than 24 hours …)" */
  get reason(): string {
    return `${this.code ?? this.status ?? 'network'}: ${this.message}${this.details && !this.message.includes(this.details) ? ` (${this.details})` : ''}`;
  }
}

/** Anything a Graph call threw, as a GraphError (code and status unknown when it was something else). */
export function asGraphError(error: unknown): GraphError {
  return error instanceof GraphError ? error : new GraphError(error instanceof Error ? error.message : String(error), null, null, '');
}

export interface GraphClientOptions {
  /** Base URL including the Graph version, e.g. https://graph.facebook.com/v26.0 */
  baseUrl: string;
  accessToken: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Where Meta serves media from (lookaside.fbsbx.com, *.fbcdn.net, *.whatsapp.net, graph.facebook.com). */
const META_HOSTS = /(^|\.)(facebook\.com|fbsbx\.com|fbcdn\.net|whatsapp\.net)$/i;

export class GraphClient {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: GraphClientOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  /** A JSON call to `<base>/<path>`; throws GraphError for anything but a 2xx with JSON. */
  async json<T>(method: 'GET' | 'POST', path: string, body?: object | FormData, timeoutMs?: number): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.options.accessToken}` };
    if (body !== undefined && !(body instanceof FormData)) headers['Content-Type'] = 'application/json';
    const response = await this.call(`${this.options.baseUrl.replace(/\/+$/, '')}/${path}`, {
      method, headers, body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
    }, timeoutMs);
    const text = await response.text().catch(() => '');
    let parsed: unknown = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      /* not JSON: described below */
    }
    if (!response.ok) throw this.redacted(refusal(response.status, parsed, text));
    if (parsed === null || typeof parsed !== 'object') throw new GraphError(`the Graph API answered ${response.status} without JSON`, response.status, null, '');
    return parsed as T;
  }

  /**
   * The bytes at a media URL (bearer token), at most `maxBytes`; null when there are more. Redirects are
   * followed (up to 5), with the token only to the same origin or Meta's own hosts over HTTPS.
   */
  async bytes(url: string, maxBytes: number, timeoutMs?: number): Promise<Buffer | null> {
    let response: Response | null = null;
    let at = new URL(url);
    for (let hop = 0; hop <= 5; hop++) {
      const token = at.origin === new URL(url).origin || (at.protocol === 'https:' && META_HOSTS.test(at.hostname));
      response = await this.call(at.href, { method: 'GET', redirect: 'manual', headers: token ? { Authorization: `Bearer ${this.options.accessToken}` } : {} }, timeoutMs);
      const location = response.status >= 300 && response.status < 400 ? response.headers.get('location') : null;
      if (!location) break;
      await response.body?.cancel().catch(() => undefined);
      at = new URL(location, at);
      if (hop === 5) throw new GraphError('the media URL redirected more than 5 times', response.status, null, '');
    }
    if (!response!.ok) throw this.redacted(refusal(response!.status, null, await response!.text().catch(() => '')));
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response!.body ?? []) {
      size += (chunk as Uint8Array).length;
      if (size > maxBytes) {
        await response!.body?.cancel().catch(() => undefined);
        return null;
      }
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
    return Buffer.concat(chunks);
  }

  private async call(url: string, init: RequestInit, timeoutMs = this.options.timeoutMs ?? 30_000): Promise<Response> {
    try {
      return await this.fetch(url, { redirect: 'error', ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw this.redacted(new GraphError(`the Graph API could not be reached: ${cause}`, null, null, ''));
    }
  }

  /** Graph's words without the access token: "Malformed access token EAAG…" would reach logs, /status and the open /health. */
  private redacted(error: GraphError): GraphError {
    const clean = (text: string) => redactToken(text, this.options.accessToken);
    return new GraphError(clean(error.message), error.status, error.code, clean(error.details));
  }
}

/** A text with the token, and anything shaped like a Meta access token, replaced by "[token]". */
export function redactToken(text: string, token: string): string {
  const exact = token.length >= 8 ? text.split(token).join('[token]') : text;
  return exact.replace(/\bEAA[A-Za-z0-9]{20,}/g, '[token]');
}

function refusal(status: number, parsed: unknown, text: string): GraphError {
  const error = (parsed as { error?: { message?: unknown; code?: unknown; error_data?: { details?: unknown } } } | null)?.error;
  if (error && typeof error === 'object') {
    const code = typeof error.code === 'number' ? error.code : null;
    const message = typeof error.message === 'string' ? error.message.replace(/^\(#\d+\)\s*/, '') : `HTTP ${status}`;
    return new GraphError(message, status, code, typeof error.error_data?.details === 'string' ? error.error_data.details : '');
  }
  return new GraphError(`HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`, status, null, '');
}
