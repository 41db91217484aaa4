import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { signatureFor, signedHeaders, verifySignature } from '../../src/webhook/signature.js';

// The same fixtures are read by the plugin's PHPUnit suite.
const fixtures = JSON.parse(readFileSync(new URL('../../../contract/fixtures/signatures.json', import.meta.url), 'utf8')) as {
  cases: Array<{ name: string; secret: string; timestamp: number; body: string; signature: string }>;
};

test('signatures match every shared fixture', () => {
  assert.ok(fixtures.cases.length >= 3);
  for (const c of fixtures.cases) {
    assert.equal(signatureFor(c.secret, c.timestamp, c.body), c.signature, c.name);
    assert.deepEqual(signedHeaders(c.secret, c.body, c.timestamp * 1000), { 'X-Timestamp': String(c.timestamp), 'X-Signature': c.signature }, c.name);
  }
});

test('verification accepts the fixtures and rejects tampering, other secrets and stale timestamps', () => {
  for (const c of fixtures.cases) {
    const headers = { timestamp: String(c.timestamp), signature: c.signature };
    assert.deepEqual(verifySignature(c.secret, headers, c.body, c.timestamp * 1000 + 299_000), { ok: true });
    assert.deepEqual(verifySignature(c.secret, headers, c.body + ' ', c.timestamp * 1000), { ok: false, reason: 'mismatch' });
    assert.deepEqual(verifySignature(c.secret + 'x', headers, c.body, c.timestamp * 1000), { ok: false, reason: 'mismatch' });
    assert.deepEqual(verifySignature(c.secret, headers, c.body, c.timestamp * 1000 + 301_000), { ok: false, reason: 'stale' });
    assert.deepEqual(verifySignature(c.secret, headers, c.body, c.timestamp * 1000 - 301_000), { ok: false, reason: 'stale' });
    assert.deepEqual(verifySignature(c.secret, { signature: c.signature }, c.body, c.timestamp * 1000), { ok: false, reason: 'missing' });
  }
});
