import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Logger } from 'pino';
import { keyMatches, presentedKey } from './auth.js';
import { HttpError, sendError } from './respond.js';
import type { Route } from './route.js';

export interface HttpOptions {
  routes: Route[];
  /** null only on a loopback address (config refuses otherwise). */
  apiKey: string | null;
  log: Logger;
  /** How long a client may take to send its request headers (default 10 s). */
  headersTimeoutMs?: number;
}

/** Host names a browser uses for this machine itself: without an API key nothing else is served (DNS rebinding). */
const LOOPBACK_HOST = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d{1,5})?$/i;

/** What a refused body may still send, and for how long, before the connection is cut. */
const DRAIN_MAX_BYTES = 128 * 1024 * 1024;
const DRAIN_MS = 15_000;

/**
 * A plain node:http server: routing, authentication, JSON errors. No CORS,
 * ever. Whatever arrives on the wire is answered inside one error boundary;
 * nothing a client sends can stop the process.
 */
export function createHttpServer({ routes, apiKey, log, headersTimeoutMs = 10_000 }: HttpOptions): Server {
  const byPath = new Map<string, Route[]>();
  for (const route of routes) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route]);

  // Node checks header and request timeouts every connectionsCheckingInterval (default 30 s): check often enough to honour ours.
  const server = createServer({ connectionsCheckingInterval: Math.max(100, Math.min(1_000, headersTimeoutMs / 4)) }, (req, res) => {
    void handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, 'request failed outside its handler');
      if (!res.headersSent) sendError(res, new HttpError(500, 'internal', 'internal error, see the service log'));
      else res.destroy();
    });
  });

  async function handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    let path = '?';
    try {
      const url = parseTarget(req.url);
      path = url.pathname;
      const pathname = url.pathname.replace(/\/+$/, '') || '/';
      const candidates = byPath.get(pathname) ?? routes.filter((r) => r.prefix && pathname.startsWith(`${r.path}/`));
      // A signed route (Meta's webhook behind a reverse proxy) comes under the public name; it proves itself by its signature.
      if (apiKey === null && !candidates.every((r) => r.access === 'signed') && !LOOPBACK_HOST.test(req.headers.host ?? '')) {
        // Without a key only this machine's own names are served: a web page cannot reach us by rebinding a DNS name.
        throw new HttpError(421, 'wrong_host', 'this service answers only to localhost, 127.0.0.1 and [::1] (set API_KEY to serve other names)');
      }
      if (candidates.length === 0) throw new HttpError(404, 'not_found', `no endpoint ${url.pathname}`);
      // HEAD is GET without the body (node leaves the body out).
      const route = candidates.find((r) => r.method === req.method || (req.method === 'HEAD' && r.method === 'GET'));
      if (!route) {
        res.setHeader('Allow', [...new Set(candidates.flatMap((r) => (r.method === 'GET' ? ['GET', 'HEAD'] : [r.method])))].join(', '));
        throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${url.pathname}`);
      }
      authorize(route, req.headers, apiKey);
      if (route.method === 'POST' && route.access !== 'signed' && apiKey === null && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        // Without a key, a state-changing call must be one a web page cannot send cross-site without asking (a JSON body).
        throw new HttpError(415, 'unsupported_media_type', 'send a JSON body (Content-Type: application/json)');
      }
      await route.handle({ req, res, url });
    } catch (error) {
      if (res.headersSent) return void res.destroy();
      if (!req.complete) drainThenClose(req, res);
      if (error instanceof HttpError) return sendError(res, error);
      log.error({ err: error, path }, 'request failed');
      sendError(res, new HttpError(500, 'internal', 'internal error, see the service log'));
    }
  }

  /**
   * Answered before the body was read (413, 401, ...): the rest is read and dropped, bounded, so
   * that the client, still writing, reads the answer instead of a connection reset; then closed.
   */
  function drainThenClose(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
    res.setHeader('Connection', 'close');
    let dropped = 0;
    const cut = setTimeout(() => req.socket.destroy(), DRAIN_MS);
    cut.unref();
    req.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > DRAIN_MAX_BYTES) req.socket.destroy();
    });
    req.on('end', () => clearTimeout(cut));
    req.on('error', () => clearTimeout(cut));
    req.resume();
  }

  // A client that talks garbage (or too slowly) gets a plain 400 (408) and is disconnected; the server goes on.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    log.debug({ code: error.code }, 'malformed request');
    const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable && !socket.destroyed) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = headersTimeoutMs;
  server.keepAliveTimeout = 5_000;
  return server;
}

/** The request target as a URL; anything that is not an origin-form path is a 400. */
function parseTarget(target: string | undefined): URL {
  if (!target || !target.startsWith('/') || target.startsWith('//')) throw new HttpError(400, 'bad_request', 'the request target must be a path');
  try {
    return new URL(target, 'http://service.local');
  } catch {
    throw new HttpError(400, 'bad_request', 'the request target is not a valid path');
  }
}

function authorize(route: Route, headers: IncomingHttpHeaders, apiKey: string | null): void {
  if (route.access === 'open' || route.access === 'signed') return;
  if (apiKey === null) {
    if (route.access === 'api-key-required') {
      throw new HttpError(403, 'api_key_not_configured', 'set API_KEY in the service\'s .env to use this endpoint');
    }
    return;
  }
  if (!keyMatches(presentedKey(headers), apiKey)) {
    throw new HttpError(401, 'unauthorized', 'missing or wrong API key (X-API-Key or Authorization: Bearer)');
  }
}
