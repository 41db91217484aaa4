import { pipeline } from 'node:stream/promises';
import type { MediaStore } from '../../media/media-store.js';
import { HttpError } from '../respond.js';
import type { Route } from '../route.js';

/**
 * GET /media/<id>: a customer's file, streamed, with the API key only
 * (docs/contract.md 3). The plugin fetches what a `message` event describes.
 */
export function mediaRoute(media: MediaStore): Route {
  return {
    method: 'GET',
    path: '/media',
    prefix: true,
    access: 'api-key-required',
    async handle({ res, url }) {
      const id = url.pathname.slice('/media/'.length);
      const file = media.get(id);
      if (!file) throw new HttpError(404, 'not_found', 'no such media file (it may have been purged after RETENTION_DAYS)');
      const stream = media.open(file.id);
      // Opened first: a file missing on disk is a 404, not a half-sent answer.
      await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject)).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'ENOENT' ? new HttpError(404, 'not_found', 'the media file is gone') : error;
      });
      res.writeHead(200, {
        'Content-Type': file.mimetype,
        'Content-Length': file.size,
        'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`,
        'X-Content-SHA256': file.sha256,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      });
      // pipeline closes the file when the client goes away mid-download.
      await pipeline(stream, res).catch(() => undefined);
    },
  };
}
