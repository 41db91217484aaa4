import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { SECRET } from '../../helpers/service.js';
import { exited } from '../../helpers/process.js';
import { fileReceiver } from '../../helpers/receiver.js';
import { startHarness } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const serviceDir = path.resolve(here, '../../..');
/** The documented bound (docs/contract.md 2.1): rc14's buffer is stored every 200 ms; scheduling adds a little. */
const FLUSH_BOUND_MS = 200;
const SCHEDULING_SLACK_MS = 150;
const COUNT = 500;
const RUNS = Number(process.env.CATCH_UP_RUNS ?? 10);

const receiver = fileReceiver(SECRET);

/** A linked device's folders (creds.me set: rc14 buffers from connect until `<ib><offline>`). */
async function linkedFolders(): Promise<{ authDir: string; dataDir: string; receipts: string }> {
  const h = await startHarness(receiver.url);
  h.socket().open();
  await h.close(true);
  const receipts = path.join(mkdtempSync(path.join(tmpdir(), 'wa-receipts-')), 'receipts');
  writeFileSync(receipts, '');
  return { authDir: h.authDir, dataDir: h.running.dataDir, receipts };
}

function play(folders: { authDir: string; dataDir: string; receipts: string }, prefix: string, type: 'append' | 'notify'): { child: ChildProcess; playing: Promise<void>; done: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'catch-up-child.ts')], {
    cwd: serviceDir,
    env: { ...process.env, AUTH_DIR: folders.authDir, DATA_DIR: folders.dataDir, WEBHOOK_URL: receiver.url, RECEIPTS: folders.receipts, COUNT: String(COUNT), PREFIX: prefix, TYPE: type },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const line = (text: string) => new Promise<void>((resolve, reject) => {
    const check = () => (output.includes(text) ? resolve() : undefined);
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      check();
    });
    child.once('exit', () => (output.includes(text) ? resolve() : reject(new Error(`the child ended before ${text}`))));
  });
  const playing = line('PLAYING');
  const done = line('DONE');
  done.catch(() => {}); // a killed child never says it
  return { child, playing, done };
}

/** Receipted ids with the time WhatsApp got each receipt. */
const receiptsOf = (file: string) => new Map(readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => {
  const [id, at] = line.split(' ');
  return [id!, Number(at)] as const;
}));
const deliveredIds = (prefix: string) => new Set(receiver.messages().filter((m) => m.id.startsWith(prefix)).map((m) => m.id as string));

/** Plays what WhatsApp still has (nothing receipted) to a second start, until every receipted message is delivered or 30 s passed. */
async function finish(folders: { authDir: string; dataDir: string; receipts: string }, prefix: string): Promise<void> {
  const second = play(folders, prefix, 'append');
  await second.done;
  // Until everything receipted is delivered, or nothing more came for 2 s (then the rest is lost).
  let seen = -1;
  let quietSince = Date.now();
  for (;;) {
    const delivered = deliveredIds(prefix);
    if ([...receiptsOf(folders.receipts).keys()].every((id) => delivered.has(id))) break;
    if (delivered.size !== seen) [seen, quietSince] = [delivered.size, Date.now()];
    if (Date.now() - quietSince > 2_000) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  second.child.kill('SIGTERM');
  await exited(second.child);
}

test(`SIGKILL at random moments of a ${COUNT}-message catch-up, ${RUNS} runs: nothing receipted is lost beyond the last ${FLUSH_BOUND_MS} ms before the kill`, { timeout: 240_000 }, async (t) => {
  const figures: string[] = [];
  let worst = 0;
  for (let run = 1; run <= RUNS; run++) {
    const prefix = `K${run}N`;
    const folders = await linkedFolders();
    const first = play(folders, prefix, 'append');
    await first.playing;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 900));
    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    await exited(first.child);
    const atKill = receiptsOf(folders.receipts);

    await finish(folders, prefix);
    const receipts = receiptsOf(folders.receipts);
    const delivered = deliveredIds(prefix);
    const lost = [...receipts.keys()].filter((id) => !delivered.has(id));
    const oldest = Math.max(0, ...lost.map((id) => killedAt - receipts.get(id)!));
    worst = Math.max(worst, lost.length);
    figures.push(`run ${run}: ${atKill.size} receipted at the kill, ${lost.length} lost${lost.length ? ` (receipted at most ${oldest} ms before the kill)` : ''}`);
    assert.equal(receipts.size, COUNT, 'WhatsApp got a receipt for every message in the end');
    for (const id of lost) assert.ok(killedAt - receipts.get(id)! <= FLUSH_BOUND_MS + SCHEDULING_SLACK_MS, `${id} lost, receipted ${killedAt - receipts.get(id)!} ms before the kill`);
    rmSync(folders.authDir, { recursive: true, force: true });
    rmSync(folders.dataDir, { recursive: true, force: true });
  }
  for (const line of figures) t.diagnostic(line);
  t.diagnostic(`worst loss: ${worst} of ${COUNT}`);
});

test('SIGTERM during live traffic: every message WhatsApp has a receipt for is stored and delivered', { timeout: 60_000 }, async () => {
  const prefix = 'LIVE';
  const folders = await linkedFolders();
  const first = play(folders, prefix, 'notify');
  await first.playing;
  await new Promise((resolve) => setTimeout(resolve, 500));
  first.child.kill('SIGTERM');
  assert.equal(await exited(first.child), 0, 'a clean stop');
  const atStop = receiptsOf(folders.receipts).size;
  assert.ok(atStop > 0 && atStop < COUNT, `stopped in the middle (${atStop} receipted)`);

  await finish(folders, prefix);
  const delivered = deliveredIds(prefix);
  const lost = [...receiptsOf(folders.receipts).keys()].filter((id) => !delivered.has(id));
  assert.deepEqual(lost, [], '0 lost');
  assert.equal(delivered.size, COUNT);
  rmSync(folders.authDir, { recursive: true, force: true });
  rmSync(folders.dataDir, { recursive: true, force: true });
});
