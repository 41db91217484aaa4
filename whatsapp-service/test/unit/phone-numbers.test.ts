import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseChatId } from '../../src/chat-id.js';
import { PHONE_FIXTURE_FILE, PHONE_FIXTURE_INPUTS } from '../helpers/phone-fixture-inputs.js';

const fixture = JSON.parse(readFileSync(PHONE_FIXTURE_FILE, 'utf8')) as {
  cases: Array<{ input: string; default_country_code: string | null; chat: string | null }>;
};

test('the shared phone fixture is what libphonenumber-js says today (regenerate: npm run fixtures:phones)', () => {
  assert.deepEqual(fixture.cases.map((c) => [c.input, c.default_country_code]), PHONE_FIXTURE_INPUTS);
  for (const { input, default_country_code: country, chat } of fixture.cases) {
    const parsed = parseChatId(input, country);
    assert.deepEqual(parsed.ok ? parsed.chat : null, chat, `${input} (${country})`);
  }
});

test('the bracketed trunk zero is dropped, national numbers need a country code, and each refusal says why', () => {
  assert.deepEqual(parseChatId('+49 (0) 171-2512623'), { ok: true, chat: '491712512623' });
  assert.match((parseChatId('0171 2512623') as { reason: string }).reason, /national number.*DEFAULT_COUNTRY_CODE/);
  assert.match((parseChatId('+49 123') as { reason: string }).reason, /not a possible phone number/);
  assert.match((parseChatId('49abc') as { reason: string }).reason, /only digits/);
});
