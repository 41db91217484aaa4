import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, type ReadStream } from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/database.js';

export interface StoredMedia {
  id: string;
  sha256: string;
  mimetype: string;
  filename: string;
  size: number;
}

/**
 * Customers' media files under DATA_DIR/media (0700, files 0600), named by
 * an unguessable id; what they are is in the `media` table.
 */
export class MediaStore {
  private readonly folder: string;
  private readonly statements;

  constructor(private readonly db: Db, dataDir: string) {
    this.folder = path.join(dataDir, 'media');
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    this.statements = {
      insert: db.prepare('INSERT INTO media (id, sha256, mimetype, filename, size, created_at) VALUES (@id, @sha256, @mimetype, @filename, @size, @now)'),
      get: db.prepare('SELECT id, sha256, mimetype, filename, size FROM media WHERE id = ?'),
      old: db.prepare('SELECT id FROM media WHERE created_at < ?'),
      delete: db.prepare('DELETE FROM media WHERE id = ?'),
    };
  }

  /** Writes the file (whole or not at all) and records it. */
  save(data: Buffer, mimetype: string, filename: string, now: number): StoredMedia {
    const media = { id: randomBytes(16).toString('hex'), sha256: createHash('sha256').update(data).digest('hex'), mimetype, filename, size: data.length };
    const file = this.file(media.id);
    writeFileSync(`${file}.part`, data, { mode: 0o600 });
    renameSync(`${file}.part`, file);
    this.statements.insert.run({ ...media, now });
    return media;
  }

  get(id: string): StoredMedia | undefined {
    return /^[0-9a-f]{32}$/.test(id) ? (this.statements.get.get(id) as StoredMedia | undefined) : undefined;
  }

  read(id: string): Buffer | undefined {
    try {
      return readFileSync(this.file(id));
    } catch {
      return undefined;
    }
  }

  open(id: string): ReadStream {
    return createReadStream(this.file(id));
  }

  /** Forgets media older than `before`, files included. */
  purge(before: number): number {
    return this.forget((this.statements.old.all(before) as Array<{ id: string }>).map((row) => row.id));
  }

  /** Forgets these files; returns how many there were. */
  forget(ids: string[]): number {
    let count = 0;
    for (const id of ids.filter((id) => this.get(id))) {
      rmSync(this.file(id), { force: true });
      this.statements.delete.run(id);
      count++;
    }
    return count;
  }

  private file(id: string): string {
    return path.join(this.folder, id);
  }
}
