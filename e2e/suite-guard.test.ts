/**
 * The suite resets the plugin in the osTicket it is pointed at: it must refuse, touching
 * nothing, unless told in so many words that this osTicket is a test installation.
 * Runs without an osTicket: the "osTicket" here is a loopback server counting requests.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';

test('with OSTICKET_URL but without OSTICKET_E2E_MAY_RESET=yes the suite refuses and sends osTicket nothing', async () => {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests += 1;
    res.end('osTicket');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // NODE_TEST_CONTEXT would make the child report to this runner instead of exiting with its result.
  const { OSTICKET_E2E_MAY_RESET: _, NODE_TEST_CONTEXT: __, ...env } = process.env;
  try {
    for (const extra of [{}, { OSTICKET_E2E_MAY_RESET: '1' }]) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', path.join(import.meta.dirname, 'conversations.test.ts')], {
        env: { ...env, ...extra, OSTICKET_URL: url, OSTICKET_ROOT: '/nonexistent', OSTICKET_DB_NAME: 'osticket', OSTICKET_STAFF_USER: 'admin', OSTICKET_STAFF_PASSWORD: 'x' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.notEqual(run.status, 0, 'the run fails');
      assert.match(run.stdout + run.stderr, /set OSTICKET_E2E_MAY_RESET=yes .*Nothing was touched/);
    }
    assert.equal(requests, 0, 'osTicket got no request');
  } finally {
    server.close();
  }
});
