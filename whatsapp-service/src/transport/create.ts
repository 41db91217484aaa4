import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { TransportFactory } from '../service.js';
import { SandboxTransport } from './sandbox/sandbox-transport.js';

/** Chooses the transport; Baileys is only loaded when it is used. */
export function transportFactory(config: Config, log: Logger): TransportFactory {
  if (config.transport === 'sandbox') return () => new SandboxTransport();
  if (config.transport === 'cloud') {
    const cloud = config.cloud;
    if (!cloud) throw new Error('TRANSPORT=cloud without its CLOUD_* settings');
    return async () => {
      const { CloudTransport } = await import('./cloud/cloud-transport.js');
      return new CloudTransport({ config: cloud, dataDir: config.dataDir, retentionMs: config.retentionDays * 86_400_000, log: log.child({ component: 'cloud' }) });
    };
  }
  return async (context) => {
    const { createBaileysTransport } = await import('./baileys/index.js');
    return createBaileysTransport({
      authDir: config.authDir,
      pairingPhone: config.pairingPhone ?? undefined,
      sendTimeoutMs: config.sendTimeoutMs,
      maxAgeMs: config.deliveryMaxAgeMs,
      logger: log.child({ component: 'whatsapp' }),
      context,
    });
  };
}
