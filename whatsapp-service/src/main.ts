import path from 'node:path';
import { parseConfig } from './config.js';
import { createEnvFileIfMissing } from './env-file.js';
import { envFilePath, loadEnvFile, serviceDir } from './environment.js';
import { createLogger } from './log.js';
import { createService } from './service.js';
import { FolderLockedError } from './store/folder-lock.js';
import { MixedUseError } from './store/folder-use.js';
import { FolderUnusableError } from './store/usable-folder.js';
import { transportFactory } from './transport/create.js';

/** Composition root: read configuration, wire, start, stop on a signal. */
const envPath = envFilePath();
if (!process.env.ENV_FILE && createEnvFileIfMissing(envPath, path.join(serviceDir, '.env.example'))) {
  console.error(`Created ${envPath} with a new WEBHOOK_SECRET and API_KEY; enter the same values in the osTicket plugin settings.`);
}
loadEnvFile();

const parsed = parseConfig(process.env, serviceDir);
if (!parsed.ok) {
  console.error(`Cannot start: please fix ${envPath}\n${parsed.errors.map((line) => `  - ${line}`).join('\n')}`);
  process.exit(78); // EX_CONFIG: a supervisor should not restart in a loop
}
const config = parsed.config;
const log = createLogger(config.logLevel, undefined, process.stdout.isTTY === true);

// The last line: a mistake nobody caught is logged, and the service goes on serving what it can.
// (Every request and every worker has its own error handling; this is for what slipped through.)
process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection; the service goes on'));
process.on('uncaughtException', (error) => log.error({ err: error }, 'uncaught exception; the service goes on'));

const service = await createService(config, log, transportFactory(config, log)).catch((error: unknown) => {
  // One process per WhatsApp session (a second one would take the live number offline), folders it can write, and
  // the sandbox's data apart from the live number's: all for the operator to fix, so no stack trace and no restart loop.
  if (!(error instanceof FolderLockedError || error instanceof FolderUnusableError || error instanceof MixedUseError)) throw error;
  console.error(`Cannot start: ${error.message}`);
  process.exit(78);
});
await service.start().catch((error: unknown) => {
  log.fatal({ err: error }, 'could not start');
  process.exit(1);
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'unclean shutdown');
        process.exit(1);
      },
    );
  });
}
