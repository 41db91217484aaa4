import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { keyMatches, presentedKey } from './auth.js';
import { HttpError, sendError } from './respond.js';
import type { Route } from './route.js';

export interface HttpOptions {
  routes: Route[];
  /** null only on a loopback address (config refuses otherwise). */
  apiKey: string | null;
  log: Logger;
}

/** A plain node:http server: routing, authentication, JSON errors. No CORS, ever. */
export function createHttpServer({ routes, apiKey, log }: HttpOptions): Server {
  const byPath = new Map<string, Route[]>();
  for (const route of routes) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route]);

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://service.local');
    try {
      const pathname = url.pathname.replace(/\/+$/, '') || '/';
      const candidates = byPath.get(pathname) ?? routes.filter((r) => r.prefix && pathname.startsWith(`${r.path}/`));
      if (candidates.length === 0) throw new HttpError(404, 'not_found', `no endpoint ${url.pathname}`);
      const route = candidates.find((r) => r.method === req.method);
      if (!route) {
        res.setHeader('Allow', candidates.map((r) => r.method).join(', '));
        throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${url.pathname}`);
      }
      authorize(route, req.headers, apiKey);
      await route.handle({ req, res, url });
    } catch (error) {
      if (res.headersSent) return void res.destroy();
      if (error instanceof HttpError) return sendError(res, error);
      log.error({ err: error, path: url.pathname }, 'request failed');
      sendError(res, new HttpError(500, 'internal', 'internal error, see the service log'));
    }
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

function authorize(route: Route, headers: import('node:http').IncomingHttpHeaders, apiKey: string | null): void {
  if (route.access === 'open') return;
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
