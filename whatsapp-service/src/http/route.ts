import type { IncomingMessage, ServerResponse } from 'node:http';

export type Access =
  /** Anyone (only /health). */
  | 'open'
  /** Anyone who can sign: the route checks the caller's signature itself (a transport's inbound webhook). */
  | 'signed'
  /** The API key when one is configured (without one, the service listens on loopback only). */
  | 'api-key'
  /** Always the API key; refused when none is configured. */
  | 'api-key-required';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
}

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  /** Also answers `path/<anything>` (e.g. /media/<id>). */
  prefix?: boolean;
  access: Access;
  handle(context: RequestContext): Promise<void> | void;
}
