import path from 'node:path';
import { fileURLToPath } from 'node:url';
import dotenv from 'dotenv';

/** The whatsapp-service folder, against which relative paths in .env are resolved. */
export const serviceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The .env file in use: ENV_FILE, or whatsapp-service/.env. */
export function envFilePath(): string {
  return process.env.ENV_FILE ?? path.join(serviceDir, '.env');
}

/** Reads the .env file into process.env; variables already set win. */
export function loadEnvFile(): void {
  dotenv.config({ path: envFilePath(), quiet: true });
}
