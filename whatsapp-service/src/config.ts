import { isIP } from 'node:net';
import path from 'node:path';
import { isPhoneChat, parseChatId } from './chat-id.js';
import type { CloudConfig } from './transport/cloud/cloud-transport.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const TRANSPORTS = ['baileys', 'cloud', 'sandbox'] as const;
/** Meta's Graph API with the version this service was built against. */
export const DEFAULT_CLOUD_API_URL = 'https://graph.facebook.com/v26.0';

export interface Config {
  port: number;
  host: string;
  /** null until configured: messages are kept and delivered once it is set. */
  webhookUrl: string | null;
  webhookSecret: string;
  logLevel: (typeof LOG_LEVELS)[number];
  apiKey: string | null;
  dataDir: string;
  transport: (typeof TRANSPORTS)[number];
  authDir: string;
  pairingPhone: string | null;
  /** Digits of the country a national number ("0171 ...") belongs to, or null to refuse them. */
  defaultCountryCode: string | null;
  /** A send that has not settled after this long restarts the WhatsApp connection. */
  sendTimeoutMs: number;
  webhookTimeoutMs: number;
  deliveryConcurrency: number;
  deliveryMaxAgeMs: number;
  sendIntervalMs: number;
  retentionDays: number;
  /** Largest media file a customer can send that the service downloads and keeps. */
  mediaMaxBytes: number;
  /** With TRANSPORT=cloud: the Meta app and number (see CloudConfig). */
  cloud: CloudConfig | null;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

const MIN_SECRET_LENGTH = 16;

/**
 * Turns the environment into a Config, or into one line per bad or missing
 * key. Pure: relative paths are resolved against `baseDir`.
 */
export function parseConfig(env: Record<string, string | undefined>, baseDir: string): ConfigResult {
  const errors: string[] = [];
  const read = (key: string): string | undefined => {
    const value = env[key]?.trim();
    return value === '' ? undefined : value;
  };
  const integer = (key: string, fallback: number, min: number, max: number): number => {
    const raw = read(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      errors.push(`${key}: must be a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const raw = read(key)?.toLowerCase();
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    errors.push(`${key}: must be one of ${allowed.join(', ')}, got "${raw}"`);
    return fallback;
  };
  const secret = (key: string, required: boolean): string | null => {
    const value = read(key);
    if (value === undefined) {
      if (required) errors.push(`${key}: is required (at least ${MIN_SECRET_LENGTH} random characters, e.g. from "openssl rand -hex 32")`);
      return null;
    }
    if (value.length < MIN_SECRET_LENGTH) errors.push(`${key}: is too short, use at least ${MIN_SECRET_LENGTH} random characters`);
    return value;
  };

  const port = integer('PORT', 3000, 0, 65535); // 0: any free port (tests)
  const host = read('HOST') ?? '127.0.0.1';
  if (host !== 'localhost' && isIP(host) === 0) errors.push(`HOST: must be an IP address or "localhost", got "${host}"`);

  // Missing is a state the service reports (GET /health) and waits out; wrong is a typo to fix now.
  const webhookUrl = read('WEBHOOK_URL') ?? null;
  if (webhookUrl !== null && !isHttpUrl(webhookUrl)) {
    errors.push(`WEBHOOK_URL: must be an http:// or https:// URL, got "${webhookUrl}"`);
  }
  const webhookSecret = secret('WEBHOOK_SECRET', true);
  const apiKey = secret('API_KEY', false);
  if (apiKey === null && !isLoopback(host)) {
    errors.push(`API_KEY: is required when HOST (${host}) is reachable from other machines; set one or use HOST=127.0.0.1`);
  }

  const defaultCountryCode = read('DEFAULT_COUNTRY_CODE')?.replace(/^\+/, '') ?? null;
  if (defaultCountryCode !== null && !/^[1-9]\d{0,2}$/.test(defaultCountryCode)) {
    errors.push(`DEFAULT_COUNTRY_CODE: must be a country calling code such as 49, got "${defaultCountryCode}"`);
  }
  const pairingRaw = read('WA_PAIRING_PHONE');
  const pairing = pairingRaw === undefined ? null : parseChatId(pairingRaw, defaultCountryCode);
  if (pairing !== null && (!pairing.ok || !isPhoneChat(pairing.chat))) {
    errors.push('WA_PAIRING_PHONE: must be the phone number to link, with country code (e.g. +49 171 2512623)');
  }
  const pairingPhone = pairing?.ok ? pairing.chat : null;
  const transport = oneOf('TRANSPORT', TRANSPORTS, 'baileys');
  const cloud = transport === 'cloud' ? cloudConfig(read, secret, errors) : null;

  const config: Config = {
    port,
    host,
    webhookUrl,
    webhookSecret: webhookSecret ?? '',
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    apiKey,
    dataDir: path.resolve(baseDir, read('DATA_DIR') ?? 'data'),
    transport,
    authDir: path.resolve(baseDir, read('AUTH_DIR') ?? 'auth_info'),
    pairingPhone,
    defaultCountryCode,
    sendTimeoutMs: integer('SEND_TIMEOUT_MS', 60_000, 1_000, 600_000),
    webhookTimeoutMs: integer('WEBHOOK_TIMEOUT_MS', 15_000, 100, 300_000),
    deliveryConcurrency: integer('DELIVERY_CONCURRENCY', 4, 1, 64),
    deliveryMaxAgeMs: integer('DELIVERY_MAX_AGE_HOURS', 72, 1, 24 * 365) * 3_600_000,
    sendIntervalMs: integer('SEND_INTERVAL_MS', 1_500, 0, 600_000),
    retentionDays: integer('RETENTION_DAYS', 30, 1, 3650),
    mediaMaxBytes: integer('MEDIA_MAX_MB', 16, 1, 100) * 1024 * 1024,
    cloud,
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}

/** TRANSPORT=cloud: what Meta's app dashboard shows, each checked for its shape. */
function cloudConfig(read: (key: string) => string | undefined, secret: (key: string, required: boolean) => string | null, errors: string[]): CloudConfig {
  const apiUrl = read('CLOUD_API_URL') ?? DEFAULT_CLOUD_API_URL;
  if (!isHttpUrl(apiUrl)) errors.push(`CLOUD_API_URL: must be an http(s) URL such as ${DEFAULT_CLOUD_API_URL}, got "${apiUrl}"`);
  const accessToken = read('CLOUD_ACCESS_TOKEN');
  if (!accessToken) errors.push('CLOUD_ACCESS_TOKEN: is required with TRANSPORT=cloud (a permanent system-user token of the Meta app)');
  const phoneNumberId = read('CLOUD_PHONE_NUMBER_ID');
  if (!phoneNumberId || !/^\d{5,25}$/.test(phoneNumberId)) {
    errors.push(`CLOUD_PHONE_NUMBER_ID: must be the number's id from WhatsApp Manager (digits, not the phone number), got "${phoneNumberId ?? ''}"`);
  }
  const appSecret = read('CLOUD_APP_SECRET');
  if (!appSecret) errors.push('CLOUD_APP_SECRET: is required with TRANSPORT=cloud (App settings › Basic › App secret): it checks every webhook POST');
  const verifyToken = secret('CLOUD_VERIFY_TOKEN', true);
  const templateName = read('CLOUD_TEMPLATE') ?? null;
  if (templateName !== null && !/^[a-z0-9_]{1,512}$/.test(templateName)) errors.push(`CLOUD_TEMPLATE: must be a template name (lower case, digits, _), got "${templateName}"`);
  const language = read('CLOUD_TEMPLATE_LANGUAGE') ?? 'de';
  if (!/^[a-z]{2,3}(_[A-Z]{2})?$/.test(language)) errors.push(`CLOUD_TEMPLATE_LANGUAGE: must be a language code such as de or en_US, got "${language}"`);
  return {
    apiUrl, accessToken: accessToken ?? '', phoneNumberId: phoneNumberId ?? '', appSecret: appSecret ?? '', verifyToken: verifyToken ?? '',
    template: templateName ? { name: templateName, language } : null,
  };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
