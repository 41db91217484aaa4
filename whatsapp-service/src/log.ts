import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * Structured logs: JSON lines for machines (journald, PM2, log shippers),
 * readable lines when a person watches a terminal (`readable`). Secrets are
 * redacted wherever they might appear; message bodies are only ever logged
 * at debug level or below, by the caller.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream, readable = false): Logger {
  return pino(
    {
      level,
      base: { service: 'whatsapp-service' },
      // ISO times in JSON lines: readable in journald and log files without converting epoch milliseconds.
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['apiKey', 'webhookSecret', 'secret', 'headers["x-api-key"]', 'headers.authorization', 'headers["x-signature"]'],
        censor: '[redacted]',
      },
    },
    readable ? pretty({ destination: destination ?? process.stdout, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service', sync: true }) : (destination ?? process.stdout),
  );
}

export type { Logger };
