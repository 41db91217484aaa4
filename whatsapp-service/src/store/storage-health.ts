import type { Logger } from 'pino';

export interface Problem {
  reason: string;
  /** ISO time the problem started. */
  since: string;
}

/**
 * Whether writes to DATA_DIR work, per kind of write ("inbound messages",
 * "delivery results"): one loud log line when a kind starts failing, one
 * when it works again, and the open problems for /health.
 */
export class StorageHealth {
  private readonly problems = new Map<string, Problem>();

  constructor(private readonly log: Logger, private readonly now: () => number = Date.now) {}

  failed(what: string, error: unknown): void {
    if (this.problems.has(what)) return;
    const reason = error instanceof Error ? error.message : String(error);
    this.problems.set(what, { reason: `${what} cannot be stored (${reason})`, since: new Date(this.now()).toISOString() });
    this.log.error({ err: error }, `${what.toUpperCase()} CANNOT BE STORED: check the disk and DATA_DIR`);
  }

  works(what: string): void {
    if (this.problems.delete(what)) this.log.info(`${what} are stored again`);
  }

  get open(): Problem[] {
    return [...this.problems.values()];
  }
}
