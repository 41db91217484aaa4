import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs. Secrets are redacted wherever they might appear;
 * message bodies are only ever logged at debug level or below, by the caller.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'whatsapp-service' },
      redact: {
        paths: ['apiKey', 'webhookSecret', 'secret', 'headers["x-api-key"]', 'headers.authorization', 'headers["x-signature"]'],
        censor: '[redacted]',
      },
    },
    destination ?? process.stdout,
  );
}

export type { Logger };
