import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import puppeteer from 'puppeteer-core';
import QRCode from 'qrcode';
import { API_KEY, SECRET, api, startService } from '../helpers/service.js';
import { Receiver, waitFor } from '../helpers/receiver.js';

// Debian's chromium; scripts/install-dependencies.sh installs it.
const CHROMIUM = '/usr/bin/chromium';
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

test('the sandbox page in a real browser: attach a picture, see it and the confirmation; a file sent back shows inline', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed` }, async () => {
  const receiver = new Receiver(SECRET);
  receiver.respond = (r) =>
    r.event.event === 'message'
      ? { status: 200, body: { ok: true, replies: [{ text: `Vielen Dank! Ihr Bild ${r.event.message.media?.filename ?? ''} ist *angekommen*, _bearbeitet_ ~bald~.` }] } }
      : { status: 200, body: { ok: true } };
  const running = await startService({ WEBHOOK_URL: await receiver.start() });
  let stopped = false;
  const picture = await QRCode.toBuffer('Drucker Fehler 42', { type: 'png', scale: 4 });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'wa-page-')), 'fehler.png');
  writeFileSync(file, picture);
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    await page.goto(`${running.url}/sandbox`);
    // Without a key, and with a wrong one, the page says so and where the key is.
    await page.waitForFunction(() => /Enter the API key: .*API_KEY in whatsapp-service\/\.env/.test(document.getElementById('status')!.textContent!), { timeout: 5_000 });
    await page.type('#key', 'wrong-key');
    await page.$eval('#key', (input) => input.dispatchEvent(new Event('change')));
    await page.waitForFunction(() => /The API key is wrong/.test(document.getElementById('status')!.textContent!), { timeout: 5_000 });
    await page.$eval('#key', (input) => ((input as HTMLInputElement).value = ''));
    await page.type('#key', API_KEY);
    await page.$eval('#key', (input) => input.dispatchEvent(new Event('change')));
    await page.$eval('#phone', (input) => {
      (input as HTMLInputElement).value = '4915100000077';
      input.dispatchEvent(new Event('change'));
    });
    const chooser = (await page.$('#file'))!;
    await (chooser as unknown as { uploadFile(...files: string[]): Promise<void> }).uploadFile(file);
    await page.type('#text', 'Das zeigt der Drucker');
    await page.click('#send button');

    await page.waitForFunction(() => [...document.querySelectorAll('.bubble.out')].some((b) => b.textContent!.includes('ist angekommen')), { timeout: 15_000 });
    assert.equal(await page.$eval('#status', (e) => (e as HTMLElement).hidden), true, 'no problem shown with the right key');
    const mine = await page.$eval('.bubble.in', (b) => ({ text: b.textContent, image: (b.querySelector('img') as HTMLImageElement | null)?.alt }));
    assert.match(mine.text!, /Das zeigt der Drucker/);
    assert.equal(mine.image, 'fehler.png', 'the picture shows in the customer\'s bubble');
    // WhatsApp's markup as the phone shows it.
    const marked = await page.$eval('.bubble.out', (b) => ({ strong: b.querySelector('strong')?.textContent, em: b.querySelector('em')?.textContent, s: b.querySelector('s')?.textContent, text: b.textContent }));
    assert.deepEqual([marked.strong, marked.em, marked.s], ['angekommen', 'bearbeitet', 'bald']);
    assert.doesNotMatch(marked.text!, /\*angekommen\*/);

    // A reload keeps the conversation (it comes from the service), the key (for the browser session) and the customer's picture inline.
    await page.reload();
    await page.waitForSelector('.bubble.in img[alt="fehler.png"]', { timeout: 10_000 });
    assert.equal(await page.$eval('#key', (input) => (input as HTMLInputElement).value), API_KEY, 'the key is not asked again');
    assert.equal(await page.$eval('#link', (e) => e.textContent), 'service connected');
    await page.screenshot({ path: path.join(process.env.E2E_SCREENSHOTS ?? tmpdir(), 'sandbox-after-reload.png'), fullPage: true });
    const again = await page.$$eval('.bubble', (bubbles) => bubbles.map((b) => [b.className, b.textContent!.replace(/\d+:\d+:\d+.*$/, '').trim()]));
    assert.deepEqual(again.map(([cls]) => cls), ['bubble in', 'bubble out']);
    assert.match(again[0]![1]!, /Das zeigt der Drucker/, 'the customer\'s message after the reload');
    assert.match(again[1]![1]!, /ist angekommen, bearbeitet bald\./);
    const [sent] = receiver.messages();
    assert.deepEqual([sent.type, sent.text, sent.media.filename, sent.media.sha256], ['image', 'Das zeigt der Drucker', 'fehler.png', sha256(picture)]);

    // An agent's file back to the customer: an image inline, fetched with the API key.
    await api(`${running.url}/send-secure`, { method: 'POST', body: JSON.stringify({ phone: '4915100000077', media: { filename: 'antwort.png', mimetype: 'image/png', data: picture.toString('base64') } }) });
    await page.waitForSelector('.bubble.out img[alt="antwort.png"]', { timeout: 15_000 });
    const loaded = await page.$eval('.bubble.out img[alt="antwort.png"]', (img) => (img as HTMLImageElement).src.startsWith('blob:'));
    assert.ok(loaded);
    await waitFor(() => receiver.statuses().some((s) => s.state === 'read'), 'the page played the customer reading it');

    // A long chat: the newest message is in view, as on a phone.
    for (let i = 1; i <= 30; i++) await api(`${running.url}/sandbox/inbound`, { method: 'POST', body: JSON.stringify({ phone: '4915100000077', name: 'Max', text: `Nachricht ${i}` }) });
    await page.waitForFunction(() => [...document.querySelectorAll('.bubble.in')].some((b) => b.textContent!.includes('Nachricht 30')), { timeout: 10_000 });
    await page.waitForFunction(() => window.scrollY + window.innerHeight >= document.body.scrollHeight - 2, { timeout: 5_000 });

    // The service goes away: the header says so.
    stopped = true;
    await running.stop();
    await page.waitForFunction(() => document.getElementById('link')!.textContent === 'service not answering', { timeout: 5_000 });
  } finally {
    await browser.close();
    if (!stopped) await running.stop();
    await receiver.stop();
  }
});
