import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config.js';

const valid = { WEBHOOK_URL: 'https://support.example.com/api/whatsapp/webhook.php', WEBHOOK_SECRET: 'a'.repeat(32) };

test('defaults follow the specification: 127.0.0.1:3000, info, baileys, data under the service', () => {
  const result = parseConfig(valid, '/srv/whatsapp-service');
  assert.ok(result.ok);
  assert.equal(result.config.host, '127.0.0.1');
  assert.equal(result.config.port, 3000);
  assert.equal(result.config.logLevel, 'info');
  assert.equal(result.config.transport, 'baileys');
  assert.equal(result.config.apiKey, null);
  assert.equal(result.config.dataDir, '/srv/whatsapp-service/data');
  assert.equal(result.config.authDir, '/srv/whatsapp-service/auth_info');
});

test('every bad or missing value is one line naming its key', () => {
  const result = parseConfig(
    { PORT: '70000', HOST: 'example.com', WEBHOOK_URL: 'ftp://x', WEBHOOK_SECRET: 'short', LOG_LEVEL: 'loud', TRANSPORT: 'carrier-pigeon', SEND_INTERVAL_MS: '-1', WA_PAIRING_PHONE: '0171' },
    '/',
  );
  assert.equal(result.ok, false);
  const errors = (result as { errors: string[] }).errors;
  for (const key of ['PORT', 'HOST', 'WEBHOOK_URL', 'WEBHOOK_SECRET', 'LOG_LEVEL', 'TRANSPORT', 'SEND_INTERVAL_MS', 'WA_PAIRING_PHONE']) {
    assert.equal(errors.filter((line) => line.startsWith(`${key}:`)).length, 1, `one line for ${key}: ${errors.join(' | ')}`);
  }
  const missing = parseConfig({}, '/');
  assert.deepEqual((missing as { errors: string[] }).errors.map((line) => line.split(':')[0]), ['WEBHOOK_SECRET']);
});

test('a missing WEBHOOK_URL is not a reason to refuse to start: the service keeps messages until it is set', () => {
  const result = parseConfig({ WEBHOOK_SECRET: 'a'.repeat(32) }, '/');
  assert.ok(result.ok);
  assert.equal(result.config.webhookUrl, null);
});

test('phone settings are read with libphonenumber: pairing phone in any notation, national only with a country code', () => {
  const pairing = parseConfig({ ...valid, WA_PAIRING_PHONE: '+49 (0) 171-2512623' }, '/');
  assert.ok(pairing.ok);
  assert.equal(pairing.config.pairingPhone, '491712512623');
  const national = parseConfig({ ...valid, WA_PAIRING_PHONE: '0171 2512623', DEFAULT_COUNTRY_CODE: '+49' }, '/');
  assert.ok(national.ok);
  assert.equal(national.config.pairingPhone, '491712512623');
  assert.equal(national.config.defaultCountryCode, '49');
  const bad = parseConfig({ ...valid, DEFAULT_COUNTRY_CODE: 'DE' }, '/');
  assert.match((bad as { errors: string[] }).errors[0]!, /^DEFAULT_COUNTRY_CODE:/);
});

test('a non-loopback HOST needs an API key; loopback does not', () => {
  const open = parseConfig({ ...valid, HOST: '0.0.0.0' }, '/');
  assert.equal(open.ok, false);
  assert.match((open as { errors: string[] }).errors[0]!, /^API_KEY: is required when HOST/);
  assert.equal(parseConfig({ ...valid, HOST: '0.0.0.0', API_KEY: 'k'.repeat(20) }, '/').ok, true);
  assert.equal(parseConfig({ ...valid, HOST: '::1' }, '/').ok, true);
  assert.equal(parseConfig({ ...valid, HOST: 'localhost' }, '/').ok, true);
});

test('first start: .env is created from the example with fresh secrets, mode 0600, never overwritten', async () => {
  const { mkdtempSync, readFileSync, statSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { createEnvFileIfMissing } = await import('../../src/env-file.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'env-'));
  const example = path.join(dir, '.env.example');
  writeFileSync(example, 'PORT=3000\nWEBHOOK_SECRET=\nAPI_KEY=\n');
  const env = path.join(dir, '.env');
  assert.equal(createEnvFileIfMissing(env, example), true);
  const first = readFileSync(env, 'utf8');
  assert.match(first, /^WEBHOOK_SECRET=[0-9a-f]{64}$/m);
  assert.match(first, /^API_KEY=[0-9a-f]{64}$/m);
  assert.equal(statSync(env).mode & 0o777, 0o600);
  assert.equal(createEnvFileIfMissing(env, example), false);
  assert.equal(readFileSync(env, 'utf8'), first);
  const parsed = parseConfig({ ...Object.fromEntries(first.trim().split('\n').map((l) => l.split('='))), WEBHOOK_URL: 'http://127.0.0.1/x' }, dir);
  assert.equal(parsed.ok, true);
});

test('TRANSPORT=cloud: the Meta app\'s values are required and checked, one line each; the template is optional', () => {
  const missing = parseConfig({ ...valid, TRANSPORT: 'cloud' }, '/');
  assert.deepEqual((missing as { errors: string[] }).errors.map((line) => line.split(':')[0]), ['CLOUD_ACCESS_TOKEN', 'CLOUD_PHONE_NUMBER_ID', 'CLOUD_APP_SECRET', 'CLOUD_VERIFY_TOKEN']);
  const wrong = parseConfig(
    { ...valid, TRANSPORT: 'cloud', CLOUD_ACCESS_TOKEN: 'EAAG', CLOUD_PHONE_NUMBER_ID: '+49 30 123', CLOUD_APP_SECRET: 'x', CLOUD_VERIFY_TOKEN: 'v'.repeat(20), CLOUD_TEMPLATE: 'Ticket Reply', CLOUD_TEMPLATE_LANGUAGE: 'Deutsch', CLOUD_API_URL: 'graph' },
    '/',
  );
  assert.deepEqual((wrong as { errors: string[] }).errors.map((line) => line.split(':')[0]).sort(), ['CLOUD_API_URL', 'CLOUD_PHONE_NUMBER_ID', 'CLOUD_TEMPLATE', 'CLOUD_TEMPLATE_LANGUAGE']);
  const ok = parseConfig({ ...valid, TRANSPORT: 'cloud', CLOUD_ACCESS_TOKEN: 'EAAG', CLOUD_PHONE_NUMBER_ID: '109876543210987', CLOUD_APP_SECRET: 's'.repeat(32), CLOUD_VERIFY_TOKEN: 'v'.repeat(20) }, '/');
  assert.ok(ok.ok);
  assert.deepEqual(ok.config.cloud, {
    apiUrl: 'https://graph.facebook.com/v26.0', accessToken: 'EAAG', phoneNumberId: '109876543210987', appSecret: 's'.repeat(32), verifyToken: 'v'.repeat(20), template: null,
  });
  assert.equal(parseConfig(valid, '/').ok && (parseConfig(valid, '/') as { config: { cloud: unknown } }).config.cloud, null);
});
