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
      ? { status: 200, body: { ok: true, replies: [{ text: `Vielen Dank! Ihr Bild ${r.event.message.media?.filename ?? ''} ist angekommen.` }] } }
      : { status: 200, body: { ok: true } };
  const running = await startService({ WEBHOOK_URL: await receiver.start() });
  const picture = await QRCode.toBuffer('Drucker Fehler 42', { type: 'png', scale: 4 });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'wa-page-')), 'fehler.png');
  writeFileSync(file, picture);
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    await page.goto(`${running.url}/sandbox`);
    await page.type('#key', API_KEY);
    await page.$eval('#key', (input) => input.dispatchEvent(new Event('change')));
    await page.$eval('#phone', (input) => ((input as HTMLInputElement).value = '4915100000077'));
    const chooser = (await page.$('#file'))!;
    await (chooser as unknown as { uploadFile(...files: string[]): Promise<void> }).uploadFile(file);
    await page.type('#text', 'Das zeigt der Drucker');
    await page.click('#send button');

    await page.waitForFunction(() => [...document.querySelectorAll('.bubble.out')].some((b) => b.textContent!.includes('ist angekommen')), { timeout: 15_000 });
    const mine = await page.$eval('.bubble.in', (b) => ({ text: b.textContent, image: (b.querySelector('img') as HTMLImageElement | null)?.alt }));
    assert.match(mine.text!, /Das zeigt der Drucker/);
    assert.equal(mine.image, 'fehler.png', 'the picture shows in the customer\'s bubble');
    const [sent] = receiver.messages();
    assert.deepEqual([sent.type, sent.text, sent.media.filename, sent.media.sha256], ['image', 'Das zeigt der Drucker', 'fehler.png', sha256(picture)]);

    // An agent's file back to the customer: an image inline, fetched with the API key.
    await api(`${running.url}/send-secure`, { method: 'POST', body: JSON.stringify({ phone: '4915100000077', media: { filename: 'antwort.png', mimetype: 'image/png', data: picture.toString('base64') } }) });
    await page.waitForSelector('.bubble.out img[alt="antwort.png"]', { timeout: 15_000 });
    const loaded = await page.$eval('.bubble.out img[alt="antwort.png"]', (img) => (img as HTMLImageElement).src.startsWith('blob:'));
    assert.ok(loaded);
    await waitFor(() => receiver.statuses().some((s) => s.state === 'read'), 'the page played the customer reading it');
  } finally {
    await browser.close();
    await running.stop();
    await receiver.stop();
  }
});
