import path from 'node:path';
import { loadEnvFile, serviceDir } from '../environment.js';
import { FolderLockedError, lockFolder } from '../store/folder-lock.js';
import { clearSession } from '../transport/baileys/index.js';

/**
 * npm run unlink: unlink WhatsApp and forget the stored session, so the next
 * start shows a new QR code. Asks the running service to log out properly;
 * when none runs, deletes the session files.
 */
loadEnvFile();
const env = (key: string, fallback: string) => process.env[key]?.trim() || fallback;
const host = env('HOST', '127.0.0.1');
const url = `http://${host.includes(':') ? `[${host}]` : host}:${env('PORT', '3000')}/logout`;
const apiKey = process.env.API_KEY?.trim();

try {
  const response = await fetch(url, {
    method: 'POST', body: '{}', signal: AbortSignal.timeout(15_000),
    headers: { 'Content-Type': 'application/json', ...(apiKey ? { 'X-API-Key': apiKey } : {}) },
  });
  if (!response.ok) throw new Error(`the service answered ${response.status}: ${await response.text()}`);
  console.log('Unlinked: the running service logged out; it now shows a new QR code.');
} catch (error) {
  const refused = (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
  if (!refused) {
    console.error(`Could not unlink through the running service: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  const authDir = path.resolve(serviceDir, env('AUTH_DIR', 'auth_info'));
  let lock;
  try {
    lock = lockFolder(authDir); // a service that runs elsewhere (another HOST or PORT) keeps its session
  } catch (error) {
    console.error(error instanceof FolderLockedError ? `Stop the service first: ${error.message}` : String(error));
    process.exit(1);
  }
  try {
    console.log(clearSession(authDir)
      ? `Forgot the linked device in ${authDir} (known contacts stay). Remove the device on the phone too (Linked devices); the next start shows a new QR code.`
      : `No linked device stored in ${authDir}.`);
  } finally {
    lock.release();
  }
}
