/**
 * osTicket's admin panel in a real browser (Debian's chromium through
 * puppeteer-core), clicked as an administrator clicks it: the plugin is
 * installed, enabled and configured through osTicket's own pages and forms,
 * CSRF tokens and all, never by SQL.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { OsTicket } from './osticket.js';

const CHROMIUM = '/usr/bin/chromium';
/** Where screenshots of the pages go, to be looked at. */
export const SCREENSHOTS = process.env.E2E_SCREENSHOTS ?? '/tmp/wa-e2e-screenshots';

/** A value for a settings field: text for inputs, textareas and selects (the option's value), true/false for checkboxes. */
export type FieldValue = string | boolean;

export class AdminPanel {
  private constructor(private readonly ost: OsTicket, private readonly browser: Browser, readonly page: Page) {}

  static async open(ost: OsTicket, login = ost.staff): Promise<AdminPanel> {
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    const page = await browser.newPage();
    // tsx names the functions it compiles with a helper that exists in Node, not in the page that runs them.
    await page.evaluateOnNewDocument('globalThis.__name = (f) => f;');
    await page.setViewport({ width: 1280, height: 900 });
    const panel = new AdminPanel(ost, browser, page);
    await page.goto(`${ost.url}/scp/login.php`); // (osTicket 1.16 answers its login page with 422)
    await page.type('input[name=userid]', login.user);
    await page.type('input[name=passwd]', login.password);
    await Promise.all([page.waitForNavigation(), page.click('button[name=submit]')]);
    if (await page.$('input[name=passwd]')) throw new Error('staff login failed');
    return panel;
  }

  /** The client portal as a guest who checks a ticket's status with its e-mail address and number (no staff login). */
  static async openPortalTicket(ost: OsTicket, email: string, number: string): Promise<AdminPanel> {
    const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    const page = await browser.newPage();
    await page.evaluateOnNewDocument('globalThis.__name = (f) => f;');
    await page.goto(`${ost.url}/view.php`);
    await page.type('input[name=lemail]', email);
    await page.type('input[name=lticket]', number);
    await Promise.all([page.waitForNavigation(), page.click('input[type=submit]')]);
    return new AdminPanel(ost, browser, page);
  }

  async close(): Promise<void> {
    await this.browser.close();
  }

  /** Opens a page of osTicket; a server error is an error here, as it is for the administrator. */
  async visit(pathAndQuery: string): Promise<void> {
    const response = await this.page.goto(`${this.ost.url}${pathAndQuery}`, { waitUntil: 'load' });
    await this.expectOk(response?.status() ?? 0, pathAndQuery);
  }

  /** The staff panel's mass action "Delete" on these tickets (scp/ajax.php/tickets/mass/delete, as its dialog posts it). */
  async bulkDeleteTickets(ids: string[]): Promise<void> {
    await this.visit('/scp/tickets.php');
    await this.postDialog('tickets/mass/delete', [['count', String(ids.length)], ['comments', ''], ...ids.map((id): [string, string] => ['tids[]', id])], 'mass delete');
  }

  /** The staff panel's Merge dialog (scp/ajax.php/tickets/<id>/merge): the child into the parent, threads combined, the child closed. */
  async mergeTickets(parent: { id: string; number: string }, child: { number: string }, closedStatusId: string): Promise<void> {
    await this.visit(`/scp/tickets.php?id=${parent.id}`);
    await this.postDialog(`tickets/${parent.id}/merge`, [
      ['title', 'merge'], ['tids[]', parent.number], ['tids[]', child.number], ['participants', 'user'], ['childStatusId', closedStatusId], ['parentStatusId', ''], ['combine', '1'],
    ], 'merge');
  }

  /** What a staff dialog posts to scp/ajax.php from the open page, with the page's CSRF token; osTicket answers 201 when done. */
  private async postDialog(route: string, fields: Array<[string, string]>, what: string): Promise<void> {
    const status = await this.page.evaluate(async (url: string, body: Array<[string, string]>) => {
      const token = document.querySelector('meta[name=csrf_token]')!.getAttribute('content')!;
      const response = await fetch(url, { method: 'POST', body: new URLSearchParams(body), headers: { 'X-CSRFToken': token, 'X-Requested-With': 'XMLHttpRequest' } });
      return response.status;
    }, `${this.ost.url}/scp/ajax.php/${route}`, fields);
    await this.expectOk(status === 201 ? 200 : status, what);
  }

  /** A ticket's More menu › Continue on WhatsApp, confirmed in osTicket's dialog (screenshot `screenshot`); returns the dialog's text. */
  async continueOnWhatsApp(ticketId: string, screenshot: string): Promise<string> {
    await this.visit(`/scp/tickets.php?id=${ticketId}`);
    // (the menu opens once osTicket's scripts have bound it: clicked again until it shows)
    for (let tries = 0; !(await this.page.$('#whatsapp-continue').then((e) => e?.isVisible())) && tries < 10; tries++) {
      await this.page.click('[data-dropdown="#action-dropdown-more"]');
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await this.page.click('#whatsapp-continue');
    await this.page.waitForSelector('#popup #whatsapp-dialog input[type=submit]', { visible: true });
    const text = await this.page.$eval('#popup', (e) => (e as HTMLElement).innerText);
    await this.screenshot(screenshot);
    await this.page.click('#popup #whatsapp-dialog input[type=submit]');
    await this.page.waitForSelector('#overlay', { hidden: true });
    return text;
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const file = path.join(SCREENSHOTS, `${name}.png`);
    await new Promise((resolve) => setTimeout(resolve, 600)); // osTicket fades tabs and banners in
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }

  /** The banner osTicket shows after a form: [kind, text] for the error, notice or warning. */
  async banner(): Promise<{ error: string; notice: string; warning: string }> {
    const text = (selector: string) => this.page.$eval(selector, (e) => e.textContent!.trim()).catch(() => '');
    return { error: await text('#msg_error'), notice: await text('#msg_notice'), warning: await text('#msg_warning') };
  }

  /** Plugins › (this plugin) › More › Delete, as the list page's confirm dialog submits it; nothing when not installed. */
  async uninstallPlugin(name = 'WhatsApp Integration'): Promise<void> {
    await this.visit('/scp/plugins.php');
    const id = await this.pluginId(name);
    if (!id) return;
    await this.submitListAction('ids[]', id, 'delete');
  }

  /** Manage › Plugins › Add New Plugin › Install; returns the plugin's id. */
  async installPlugin(name = 'WhatsApp Integration'): Promise<string> {
    await this.visit('/scp/plugins.php');
    // osTicket loads staff pages by pjax: the address changes before the content does.
    await this.page.click('a[href="plugins.php?a=add"]');
    await this.page.waitForSelector('input[name=do][value=install]');
    const button = await this.page.$$eval('button[name=install_path]', (buttons, wanted) =>
      buttons.find((b) => b.closest('tr')!.textContent!.includes(wanted as string))?.getAttribute('value') ?? null, name);
    if (!button) {
      await this.screenshot('error-add-new-plugin');
      throw new Error(`"${name}" is not offered on the Add New Plugin page (${this.page.url()})`);
    }
    await this.clickAndWait(`button[name=install_path][value="${button}"]`);
    const { error, notice } = await this.banner();
    if (error || !notice) throw new Error(`installing the plugin: ${error || 'no confirmation shown'}`);
    await this.visit('/scp/plugins.php');
    const id = await this.pluginId(name);
    if (!id) throw new Error('the plugin is not listed after installing it');
    if (await this.page.$$eval('td', (cells) => cells.some((c) => /defunct/i.test(c.textContent ?? '')))) throw new Error('the plugin is listed as defunct');
    return id;
  }

  /** Plugins list › tick the plugin › More › Enable. */
  async enablePlugin(pluginId: string): Promise<void> {
    await this.visit('/scp/plugins.php');
    await this.submitListAction('ids[]', pluginId, 'enable');
    const status = await this.page.$eval(`input[name="ids[]"][value="${pluginId}"]`, (box) => box.closest('tr')!.textContent!);
    if (!/Enabled/.test(status)) throw new Error(`the plugin is not enabled: ${status.trim()}`);
  }

  /** Plugins › tick › More › Disable. */
  async disablePlugin(pluginId: string): Promise<void> {
    await this.visit('/scp/plugins.php');
    await this.submitListAction('ids[]', pluginId, 'disable');
    const status = await this.page.$eval(`input[name="ids[]"][value="${pluginId}"]`, (box) => box.closest('tr')!.textContent!);
    if (!/Disabled/.test(status)) throw new Error(`the plugin is not disabled: ${status.trim()}`);
  }

  /**
   * Instances › Add New Instance: the form as osTicket renders it, with only
   * `values` changed (everything else keeps what the page shows), submitted
   * with its Add Instance button. Returns the new instance's id.
   */
  async addInstance(pluginId: string, name: string, values: Record<string, FieldValue>): Promise<{ id: string; rendered: Record<string, FieldValue> }> {
    await this.visit(`/scp/plugins.php?id=${pluginId}&a=add-instance`);
    const rendered = await this.formValues();
    await this.fill({ name, isactive: '1', ...values });
    await this.clickAndWait('input[type=submit][name=submit]');
    await this.expectSaved('adding the instance');
    const id = await this.page.$eval('input[name=xid]', (e) => (e as HTMLInputElement).value).catch(() => null);
    if (!id || id === '0') throw new Error('no instance id after adding it');
    return { id, rendered };
  }

  /** An instance's settings page, changed as given (the rest as rendered) and saved. */
  async updateInstance(pluginId: string, instanceId: string, values: Record<string, FieldValue>): Promise<void> {
    await this.openInstance(pluginId, instanceId);
    await this.fill(values);
    await this.clickAndWait('input[type=submit][name=submit]');
    await this.expectSaved('saving the instance');
  }

  async openInstance(pluginId: string, instanceId: string): Promise<void> {
    await this.visit(`/scp/plugins.php?id=${pluginId}&xid=${instanceId}`);
  }

  /** The text of the settings form's "WhatsApp connection" panel as the page shows it now. */
  async connectionPanel(): Promise<string> {
    return this.page.$eval('#config', (c) => (c.querySelector('.form-field, .thread-body') ?? c).textContent!.replace(/\s+/g, ' ').trim()).catch(() => '');
  }

  /** The plugin settings the form shows, by label (checkboxes as true/false, password fields left out). */
  async formValues(): Promise<Record<string, FieldValue>> {
    return this.page.$$eval('form.save .form-field', (fields) => {
      const values: Record<string, string | boolean> = {};
      for (const field of fields) {
        const label = (field.firstElementChild?.firstChild?.textContent ?? '').trim().replace(/:$/, '');
        const e = field.querySelector('input:not([type=hidden]), textarea, select') as HTMLInputElement | null;
        if (!label || !e || e.type === 'password') continue;
        values[label] = e.type === 'checkbox' ? e.checked : e.value;
      }
      return values;
    });
  }

  /**
   * Sets fields as an administrator does: the instance's own fields by name
   * (name, isactive, notes), the plugin's settings by the label the page shows.
   */
  private async fill(values: Record<string, FieldValue>): Promise<void> {
    const missing = await this.page.$$eval('form.save', (forms, wanted) => {
      const form = forms[0] as HTMLFormElement;
      const byLabel = (label: string) =>
        [...form.querySelectorAll('.form-field')].find((f) => (f.firstElementChild?.firstChild?.textContent ?? '').trim().replace(/:$/, '') === label)
          ?.querySelector('input:not([type=hidden]), textarea, select') as HTMLInputElement | undefined;
      const notFound: string[] = [];
      for (const [key, value] of Object.entries(wanted as Record<string, string | boolean>)) {
        const element = (form.querySelector(`[name="${key}"]`) as HTMLInputElement | null) ?? byLabel(key);
        if (!element) {
          notFound.push(key);
        } else if (element.type === 'checkbox') {
          element.checked = value === true;
        } else {
          element.value = String(value);
          element.dispatchEvent(new Event('change', { bubbles: true }));
        }
      }
      return notFound;
    }, values);
    if (missing.length) throw new Error(`no such field on the page: ${missing.join(', ')}`);
  }

  private async pluginId(name: string): Promise<string | null> {
    return this.page.$$eval('input[name="ids[]"]', (boxes, wanted) =>
      (boxes as HTMLInputElement[]).find((b) => b.closest('tr')!.textContent!.includes(wanted as string))?.value ?? null, name);
  }

  /** What the list page's "More" menu does after its confirm dialog: tick, set the action, submit the form. */
  private async submitListAction(checkbox: string, value: string, action: string): Promise<void> {
    await Promise.all([
      this.page.waitForNavigation(),
      this.page.$eval(`input[name="${checkbox}"][value="${value}"]`, (box, a) => {
        (box as HTMLInputElement).checked = true;
        const form = (box as HTMLInputElement).form!;
        (form.querySelector('input[name=a]') as HTMLInputElement).value = a as string;
        form.submit();
      }, action),
    ]);
    await this.expectOk(200, action);
  }

  private async clickAndWait(selector: string): Promise<void> {
    const [response] = await Promise.all([this.page.waitForNavigation(), this.page.click(selector)]);
    await this.expectOk(response?.status() ?? 0, selector);
  }

  private async expectSaved(what: string): Promise<void> {
    const { error } = await this.banner();
    // A field's error is shown under it; "*" marks a required field's label.
    const fieldErrors = await this.page.$$eval('form.save .form-field', (fields) => fields
      .map((f) => [(f.firstElementChild?.firstChild?.textContent ?? '').trim(), [...f.querySelectorAll('.error')].map((e) => e.textContent!.trim()).filter((t) => t && t !== '*').join(' ')])
      .filter(([, message]) => message)
      .map(([label, message]) => `${label} ${message}`));
    if (error || fieldErrors.length) {
      await this.screenshot(`error-${what.replace(/\W+/g, '-')}`);
      throw new Error(`${what}: ${[error, ...fieldErrors].filter(Boolean).join('; ')}`);
    }
  }

  private async expectOk(status: number, what: string): Promise<void> {
    if (status >= 400) throw new Error(`HTTP ${status} from ${what}: ${(await this.page.content()).slice(0, 300)}`);
  }
}
