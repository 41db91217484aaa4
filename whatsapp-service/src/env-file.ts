import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * First start without a .env: copy .env.example with a fresh webhook secret
 * and API key, so no installation ever runs with a guessable one.
 * Returns true when it created the file.
 */
export function createEnvFileIfMissing(envPath: string, examplePath: string): boolean {
  if (existsSync(envPath) || !existsSync(examplePath)) return false;
  const text = readFileSync(examplePath, 'utf8')
    .replace(/^WEBHOOK_SECRET=.*$/m, `WEBHOOK_SECRET=${randomBytes(32).toString('hex')}`)
    .replace(/^API_KEY=.*$/m, `API_KEY=${randomBytes(32).toString('hex')}`);
  writeFileSync(envPath, text, { mode: 0o600, flag: 'wx' });
  return true;
}
