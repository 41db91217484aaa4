/**
 * osTicket before 1.17 (no plugin instances): the plugin is refused cleanly,
 * through the admin panel as an administrator tries it, and no page breaks —
 * not even when it was switched on behind the admin panel's back. Runs only
 * against such an osTicket (same variables as the other suites).
 */
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { AdminPanel } from './admin-panel.js';
import { osTicketFromEnv, sql, supported, t, type OsTicket } from './osticket.js';

const ost = osTicketFromEnv();
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('an osTicket older than 1.17', { skip: !ost ? 'set OSTICKET_URL, OSTICKET_ROOT and OSTICKET_DB_NAME to run' : supported(ost) ? `osTicket ${ost.version} is supported` : false }, () => {
  const o = ost as OsTicket;

  test('the plugin installs, enabling it is refused with the reason, and every page still works', async () => {
    const target = path.join(o.root, 'include', 'plugins', 'whatsapp');
    rmSync(target, { recursive: true, force: true });
    cpSync(path.join(repo, 'osticket-plugin', 'whatsapp'), target, { recursive: true });
    const admin = await AdminPanel.open(o);
    try {
      await admin.uninstallPlugin();
      await admin.visit('/scp/plugins.php?a=add');
      assert.match(await admin.page.content(), /WhatsApp Integration \(needs osTicket 1\.17 or newer\)/, 'the Add New Plugin page says so');
      const pluginId = await admin.installPlugin();
      await admin.visit('/scp/plugins.php');
      await admin.page.$eval(`input[name="ids[]"][value="${pluginId}"]`, (box) => {
        (box as HTMLInputElement).checked = true;
        const form = (box as HTMLInputElement).form!;
        (form.querySelector('input[name=a]') as HTMLInputElement).value = 'enable';
        form.submit();
      });
      await admin.page.waitForNavigation();
      const { error } = await admin.banner();
      assert.match(error, /Unable to enable WhatsApp Integration \(needs osTicket 1\.17 or newer\)/);
      await admin.screenshot(`older-osticket-${o.version}-enable-refused`);
      assert.equal(sql(o, `SELECT isactive FROM ${t(o, 'plugin')} WHERE id = ${pluginId}`)[0]!.isactive, '0');

      await admin.visit(`/scp/plugins.php?id=${pluginId}`);
      assert.match(await admin.page.content(), /needs osTicket 1\.17 or newer/, 'the plugin\'s own page says why');
      await admin.screenshot(`older-osticket-${o.version}-plugin-page`);

      // Switched on behind the admin panel's back (a database edit, an upgrade gone wrong): nothing breaks.
      sql(o, `UPDATE ${t(o, 'plugin')} SET isactive = 1 WHERE id = ${pluginId}`);
      try {
        for (const page of ['/scp/index.php', '/scp/tickets.php', '/scp/plugins.php', `/scp/plugins.php?id=${pluginId}`]) await admin.visit(page);
        const client = await fetch(`${o.url}/index.php`);
        assert.equal(client.status, 200, 'the client portal');
        const api = await fetch(`${o.url}/api/whatsapp/webhook.php`, { method: 'POST', body: '{}' });
        assert.ok(api.status < 500, `the webhook answers without a fatal error (HTTP ${api.status})`);
      } finally {
        sql(o, `UPDATE ${t(o, 'plugin')} SET isactive = 0 WHERE id = ${pluginId}`);
      }
    } finally {
      await admin.close();
    }
  });
});
