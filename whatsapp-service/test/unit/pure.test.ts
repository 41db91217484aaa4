import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseChatId } from '../../src/chat-id.js';
import { parseSendRequest } from '../../src/outbound/send-request.js';
import { MAX_MESSAGE_CHARS, wellFormed } from '../../src/outbound/text-limits.js';
import { messageEvent } from '../../src/webhook/events.js';
import { parseAnswer } from '../../src/webhook/answer.js';
import { backoffDelay } from '../../src/backoff.js';
import { MapCache } from '../../src/transport/baileys/socket.js';
import { CONFIGURATION, RETRY, WINDOW } from '../../src/transport/cloud/errors.js';
import { textParts } from '../../src/transport/cloud/limits.js';
import { outcomeOf, outcomeOfError, retryAfterMs } from '../../src/webhook/outcome.js';

test('chat ids: phone numbers in common notations become digits, LIDs stay', () => {
  assert.deepEqual(parseChatId('+49 (151) 123-456.78'), { ok: true, chat: '4915112345678' });
  assert.deepEqual(parseChatId('0049 151 1234567'), { ok: true, chat: '491511234567' });
  assert.deepEqual(parseChatId(491511234567), { ok: true, chat: '491511234567' });
  assert.deepEqual(parseChatId('lid:123456789012345'), { ok: true, chat: 'lid:123456789012345' });
  assert.equal(parseChatId('0151 1234567').ok, false, 'national numbers lack the country code');
  assert.deepEqual(parseChatId('0151 1234567', '49'), { ok: true, chat: '491511234567' });
  assert.equal(parseChatId('49abc').ok, false);
  assert.equal(parseChatId('12345').ok, false, 'too short');
  assert.equal(parseChatId('1234567890123456').ok, false, 'too long');
  assert.equal(parseChatId(null).ok, false);
});

test('send requests: limits on phone, message and key', () => {
  const ok = parseSendRequest({ phone: '49123456789', message: 'Hallo!' }, undefined);
  assert.deepEqual(ok, { ok: true, request: { chat: '49123456789', text: 'Hallo!', key: null } });
  assert.deepEqual(parseSendRequest({ phone: '49123456789', message: 'x' }, 'entry:1'), { ok: true, request: { chat: '49123456789', text: 'x', key: 'entry:1' } });
  assert.equal((parseSendRequest({ phone: '49123456789', message: 'x', key: 'body' }, 'header') as any).request.key, 'body');

  const longest = '😀'.repeat(MAX_MESSAGE_CHARS);
  assert.equal(parseSendRequest({ phone: '49123456789', message: longest }, undefined).ok, true, '65,536 emoji are 65,536 characters');
  assert.equal((parseSendRequest({ phone: '49123456789', message: longest + 'x' }, undefined) as any).code, 'invalid_message');
  assert.equal((parseSendRequest({ phone: '49123456789', message: '  ' }, undefined) as any).code, 'invalid_message');
  assert.equal((parseSendRequest({ phone: 'abc', message: 'x' }, undefined) as any).code, 'invalid_phone');
  assert.equal((parseSendRequest([], undefined) as any).code, 'bad_request');
  assert.equal((parseSendRequest({ phone: '49123456789', message: 'x', key: 'k'.repeat(201) }, undefined) as any).code, 'bad_request');
});

test('webhook answers: replies with defaults, unusable ones rejected, none is fine', () => {
  const answer = parseAnswer(
    JSON.stringify({ ok: true, replies: [{ text: 'a' }, { text: 'b', key: 'mine', to: '+49 170 1234567' }, { text: '' }, { to: 'x', text: 'c' }] }),
    'WAID',
    '49123456789',
  );
  assert.deepEqual(answer.replies, [
    { chat: '49123456789', text: 'a', key: 'reply:WAID:0' },
    { chat: '491701234567', text: 'b', key: 'mine' },
  ]);
  assert.equal(answer.rejected.length, 2);
  assert.deepEqual(parseAnswer('', 'W', '49123456789'), { replies: [], rejected: [] });
  assert.deepEqual(parseAnswer('{"ok":true}', 'W', '49123456789'), { replies: [], rejected: [] });
  assert.deepEqual(parseAnswer('<html>', 'W', '49123456789').rejected, ['answer is not JSON']);
});

test('backoff grows exponentially, is jittered within [half, full] and capped', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };
  assert.equal(backoffDelay(1, policy, () => 0), 500);
  assert.equal(backoffDelay(1, policy, () => 1), 1000);
  assert.equal(backoffDelay(4, policy, () => 0), 4000);
  assert.equal(backoffDelay(4, policy, () => 1), 8000);
  assert.equal(backoffDelay(50, policy, () => 1), 60_000);
  assert.equal(backoffDelay(50, policy, () => 0), 30_000);
});

test('webhook outcomes: 2xx delivered, 5xx/408/429 retried, 401/403/404/405/3xx/TLS configuration, other 4xx final', () => {
  // Only the plugin's own errors (its header) are final or retried: anything else answering is the URL's fault.
  const typo = outcomeOf(400, 'URL not supported', null, 0, null, false, false);
  assert.equal(typo.kind, 'configuration');
  assert.equal((typo as any).reason, "WEBHOOK_URL answers 400 'URL not supported', not the plugin: is the path …/api/whatsapp/webhook.php?instance=<id> (shown on the plugin's settings page), and is the plugin enabled?");
  assert.match((outcomeOf(422, '<html><body>x</body></html>', null, 0, null, false, false) as any).reason, /answers 422 \(an HTML page\), not the plugin/);
  assert.match((outcomeOf(500, '', null, 0, null, false, false) as any).reason, /answers 500 \(an empty body\), not the plugin: the web server or PHP failed/);
  assert.equal(outcomeOf(502, 'Bad Gateway', null, 0, null, false, false).kind, 'configuration');
  assert.match((outcomeOf(400, 'a\u001b[31mred\u0007', null, 0, null, false, false) as any).reason, /answers 400 'a  31mred ', not/, 'control characters never reach the log');
  assert.deepEqual(outcomeOf(200, '{"ok":true,"replies":[]}', null, 0), { kind: 'delivered', body: '{"ok":true,"replies":[]}' });
  // Only the plugin's answer counts: a page answering 200 keeps the message and names the problem.
  for (const [body, what] of [['<!DOCTYPE html><html><head><title>osTicket</title>', 'an HTML page'], ['', 'an empty body'], ['{}', 'other JSON'], ['OK', 'text']] as const) {
    const outcome = outcomeOf(200, body, null, 0);
    assert.equal(outcome.kind, 'configuration', body);
    assert.match((outcome as any).reason, new RegExp(`answered with something that is not the plugin \\(${what}\\)`));
  }
  assert.equal(outcomeOf(204, '', null, 0).kind, 'configuration');
  assert.equal(outcomeOf(200, '{"ok": true, "replies": [', null, 0).kind, 'configuration', 'broken JSON');
  assert.deepEqual(outcomeOf(200, '{"ok":true,"replies":[{"text":"x"', null, 0, null, true), { kind: 'delivered', body: '{"ok":true}', oversized: true });
  assert.equal(outcomeOf(503, '', null, 0).kind, 'retry');
  assert.equal(outcomeOf(429, '', '7', 0).kind, 'retry');
  assert.equal((outcomeOf(429, '', '7', 0) as any).retryAfterMs, 7000);
  assert.equal(outcomeOf(408, '', null, 0).kind, 'retry');
  const wrongSecret = outcomeOf(401, '{"error":{"code":"bad_signature"}}', null, 0);
  assert.equal(wrongSecret.kind, 'configuration');
  assert.match((wrongSecret as any).reason, /^HTTP 401 bad_signature: .*WEBHOOK_SECRET/);
  for (const status of [403, 404, 405, 301, 302, 307, 308]) assert.equal(outcomeOf(status, '', null, 0).kind, 'configuration', `HTTP ${status}`);
  assert.match((outcomeOf(301, '', null, 0, 'https://support.example.com/api/whatsapp/webhook.php') as any).reason, /redirects to https:\/\/support/);
  for (const status of [400, 409, 413, 422]) assert.equal(outcomeOf(status, '', null, 0).kind, 'final', `HTTP ${status}`);
  assert.equal(outcomeOfError(Object.assign(new Error('x'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })).kind, 'configuration');
  assert.equal(outcomeOfError(Object.assign(new Error('x'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' })).kind, 'configuration');
  assert.equal(outcomeOfError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).kind, 'retry');
  assert.equal(retryAfterMs('Thu, 01 Jan 1970 00:00:10 GMT', 0), 10_000);
  assert.equal(retryAfterMs('soon', 0), null);
  assert.equal(retryAfterMs('999999', 0), 3_600_000);
});

test('webhook health: one log line per change of state, not one per failed message; recovery is reported', async () => {
  const { Writable } = await import('node:stream');
  const { createLogger } = await import('../../src/log.js');
  const { TargetHealth } = await import('../../src/webhook/target-health.js');
  const lines: string[] = [];
  const log = createLogger('info', new Writable({ write(chunk, _e, done) { lines.push(String(chunk)); done(); } }));
  const health = new TargetHealth(log);
  assert.equal(health.status.state, 'unconfirmed', 'nothing reached the plugin yet');
  const wrongSecret = outcomeOf(401, '{"error":{"code":"bad_signature"}}', null, 0);
  for (let i = 0; i < 5; i++) assert.equal(health.record(wrongSecret), false);
  assert.equal(lines.length, 1);
  assert.match(JSON.parse(lines[0]!).time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'ISO times in JSON logs, not epoch milliseconds');
  assert.equal(health.status.state, 'misconfigured');
  assert.equal(health.record(outcomeOf(503, '', null, 0)), false);
  assert.equal(health.record(outcomeOf(503, '', null, 0)), false);
  assert.equal(lines.length, 2, 'misconfigured -> failing is a change');
  assert.equal(health.record(outcomeOf(200, '{"ok":true}', null, 0)), true, 'recovered: wake the waiting chats');
  assert.equal(health.record(outcomeOf(422, '', null, 0)), false, 'a refusal of one event is not an outage');
  assert.equal(lines.length, 3);
  assert.match(lines[2]!, /webhook reachable again/);
});

test('lone surrogates (half an emoji) are repaired both ways, paired ones kept: PHP\'s json_decode refuses them', () => {
  const broken = 'Drucker \uD83D kaputt \uDE00 😀';
  assert.equal(wellFormed(broken), 'Drucker \uFFFD kaputt \uFFFD 😀');
  const event = messageEvent({ id: 'W1', chat: '491701', phone: '491701', name: 'Anna \uD83D', timestamp: 1, type: 'text', text: broken, edited: false });
  assert.doesNotMatch(event, /\\ud[89a-f][0-9a-f]{2}/i, 'no escaped lone surrogate reaches the plugin');
  assert.equal(JSON.parse(event).message.text, 'Drucker \uFFFD kaputt \uFFFD 😀');
  assert.equal(JSON.parse(event).message.name, 'Anna \uFFFD');
  const request = parseSendRequest({ phone: '491701', message: 'Antwort \uDBFF' }, undefined, null, 1_000);
  assert.ok(request.ok);
  assert.equal(request.request.text, 'Antwort \uFFFD');
  const answer = parseAnswer(JSON.stringify({ ok: true, replies: [{ text: 'Ticket \uD800 angelegt' }] }), 'W1', '491701');
  assert.equal(answer.replies[0]!.text, 'Ticket \uFFFD angelegt');
});

test('send requests: the ticket number in any osTicket format goes along; one that is not a short line is left out, never a refusal', () => {
  for (const ticket of ['123456', 'ABC_000123', '2024/0012', 'A.123']) {
    const parsed = parseSendRequest({ phone: '491701', message: 'x', ticket }, undefined);
    assert.ok(parsed.ok && parsed.request.ticket === ticket, ticket);
  }
  const odd = parseSendRequest({ phone: '491701', message: 'x', ticket: 'zwei\nZeilen' }, undefined);
  assert.ok(odd.ok && odd.request.ticket === undefined);
  const long = parseSendRequest({ phone: '491701', message: 'x', ticket: 'x'.repeat(33) }, undefined);
  assert.ok(long.ok && long.request.ticket === undefined);
});

test('the retry-count cache stays bounded by dropping its oldest entries, never all (rc14 limits decryption retries by these counts)', () => {
  const cache = new MapCache();
  for (let n = 0; n < 10_000; n++) cache.set(`old${n}`, n);
  cache.set('recent', 3);
  cache.set('next', 1);
  assert.equal(cache.get('recent'), 3);
  assert.equal(cache.get('old0'), undefined, 'the oldest went');
  assert.equal(cache.get('old9999'), 9999);
});

test("WhatsApp's 521 form of Mexican mobiles is a chat id as WhatsApp gives it (libphonenumber refuses it since 2019)", () => {
  assert.deepEqual(parseChatId('5215512345678'), { ok: true, chat: '5215512345678' });
  assert.deepEqual(parseChatId('+52 1 55 1234 5678'), { ok: true, chat: '5215512345678' });
  assert.deepEqual(parseChatId('+52 55 1234 5678'), { ok: true, chat: '525512345678' });
});

test("docs/contract.md 3.3 lists the Cloud API's codes as errors.ts classifies them", () => {
  const contract = readFileSync(new URL('../../../docs/contract.md', import.meta.url), 'utf8');
  const section = contract.slice(contract.indexOf("### 3.3 The Cloud API's webhook"), contract.indexOf('### 3.4')).replace(/\([^)]*\)/g, '');
  const listed = (label: string) => {
    const list = new RegExp(`${label} ([\\d,\\s–]+);`).exec(section)?.[1] ?? '';
    return { codes: [...list.replace('200–299', '').matchAll(/\d+/g)].map(Number).sort((a, b) => a - b), range: list.includes('200–299') };
  };
  const sorted = (set: Set<number>) => [...set].sort((a, b) => a - b);
  assert.deepEqual(listed('retry').codes, sorted(RETRY));
  assert.deepEqual(listed('configuration'), { codes: sorted(CONFIGURATION), range: true }); // errors.ts: 200–299 too
  assert.deepEqual(listed('window').codes, sorted(WINDOW));
});

test('Cloud API text parts: within 4,096 characters each, marked, never cutting a character; a short text unchanged', () => {
  assert.deepEqual(textParts('kurz'), ['kurz']);
  const emoji = '😀'.repeat(5000); // no line break, no space, 2 UTF-16 units each
  const parts = textParts(emoji);
  assert.equal(parts.length, 2);
  assert.ok(parts.every((part) => [...part].length <= 4096 && !/\p{Surrogate}/u.test(part.replace(/\p{Extended_Pictographic}/gu, ''))));
  assert.equal(parts.map((part) => part.replace(/ \(\d\/2\)$/, '')).join(''), emoji);
});
