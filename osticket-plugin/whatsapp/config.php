<?php
require_once INCLUDE_DIR . 'class.plugin.php';
require_once INCLUDE_DIR . 'class.forms.php';
require_once __DIR__ . '/autoload.php';

/**
 * The settings form: the specification's tables (Basic, Tickets, Commands,
 * Media, Notifications) plus the service's connection state and QR code.
 */
class WhatsAppPluginConfig extends PluginConfig
{
    /** osTicket 1.17 brought plugin instances, which each WhatsApp number is; older versions are refused. */
    public static function supported()
    {
        return class_exists('PluginInstance');
    }

    public function getOptions()
    {
        if (!self::supported()) {
            return ['unsupported' => new FreeTextField(['label' => 'WhatsApp Integration', 'configuration' => ['content' => '<p style="color:#a00"><strong>'
                . Format::htmlchars(WhatsAppPlugin::UNSUPPORTED) . '</strong></p>']])];
        }
        // osTicket also builds this form while bootstrapping plugins, before its config is loaded:
        // only on the admin page are there topics to list and a language to default to.
        $admin = self::onAdminPage();
        $d = $admin ? WhatsAppTemplates::defaults(WhatsAppSettings::customerLanguage($this->storedValues(), WhatsAppDesk::language()))
            : array_fill_keys(array_keys(WhatsAppTemplates::EN), '');
        $text = function ($label, $default, $hint = '', $rows = 8) {
            return new TextareaField(['label' => $label, 'default' => $default, 'hint' => $hint,
                'configuration' => ['html' => false, 'rows' => $rows, 'cols' => 70]]);
        };
        // Checked while osTicket validates the form: osTicket creates an instance before it saves its settings
        // (Plugin::addInstance), so what pre_save refused would leave a disabled half instance whose name is taken.
        $stored = $admin ? $this->storedValues() : [];
        $check = function ($key) use ($stored) {
            return function ($field, $value) use ($key, $stored) {
                $kept = in_array($key, self::SECRETS, true) && trim((string) $value) === '' && !empty($stored[$key]);
                if (!$kept && ($message = WhatsAppSettingsCheck::field($key, html_entity_decode((string) $value, ENT_QUOTES, 'UTF-8'))) !== null) {
                    $field->addError($message);
                }
            };
        };
        $line = function ($label, $default, $hint = '', $required = false, $key = null) use ($check) {
            return new TextboxField(['label' => $label, 'default' => $default, 'hint' => $hint, 'required' => $required,
                'configuration' => ['size' => 60, 'length' => 255]] + ($key ? ['validators' => $check($key)] : []));
        };
        // Stored encrypted, never written into the page; left empty, the stored value stays.
        $secret = function ($key, $label, $hint) use ($check) {
            return new PasswordField(['label' => $label, 'hint' => $hint . ' Once saved it is never shown again (the field stays empty, also after a refused save): leave it empty to keep the stored value.', 'validator' => 'noop',
                'validators' => $check($key), 'configuration' => ['size' => 60, 'length' => 255]]);
        };
        $ticketVars = 'Variables: {ticket_number}, {ticket_subject}';
        $deskLanguage = $admin ? (WhatsAppTemplates::language(WhatsAppDesk::language()) === 'de' ? 'German' : 'English') : '';
        $fields = [
            // Rendered when the page is, so that it shows the state after a save, not before it.
            'connection' => new FreeTextField(['label' => 'WhatsApp connection', 'configuration' => ['content' => $admin ? new WhatsAppLazyText([$this, 'connectionHtml']) : '']]),
            'basic' => new SectionBreakField(['label' => 'Basic settings']),
            'service_url' => $line('Service URL', 'http://127.0.0.1:3000', 'Address of the WhatsApp service', true, 'service_url'),
            'api_key' => $secret('api_key', 'API Key', 'The service\'s API_KEY, from whatsapp-service/.env (optional only when the service runs on 127.0.0.1).'),
            'webhook_secret' => $secret('webhook_secret', 'Webhook Secret', 'The service\'s WEBHOOK_SECRET, from whatsapp-service/.env, at least 16 characters. Without it the webhook refuses every call.'),
            'support_email' => $line('Support Email', '', 'Where customers send files', true, 'support_email'),
            'default_country_code' => $line('Default country code', '49', 'For phone numbers stored without one in osTicket, e.g. 0171... (49 = Germany)', false, 'default_country_code'),
            'email_domain' => $line('E-mail domain for new users', 'tickets.local', 'New WhatsApp customers get whatsapp+NUMBER@this-domain', false, 'email_domain'),
            'customer_language' => new ChoiceField(['label' => 'Customer language', 'default' => 'auto',
                'choices' => ['auto' => 'osTicket\'s language' . ($deskLanguage ? " ($deskLanguage)" : ''), 'de' => 'Deutsch (German)', 'en' => 'English'],
                'hint' => 'The language of the default texts customers get. Commands work in German and English whichever you choose. A text left as its default follows this setting.']),
            'tickets' => new SectionBreakField(['label' => 'Ticket settings']),
            'help_topic_id' => new ChoiceField(['label' => 'Default Help Topic', 'choices' => [0 => '— osTicket default —'] + ($admin ? WhatsAppDesk::topics() : []), 'default' => 0,
                'hint' => 'Optional: without one, osTicket\'s default help topic (Admin panel › Settings › Tickets) decides department, SLA and assignment.']),
            'dept_id' => new ChoiceField(['label' => 'Default Department', 'choices' => [0 => '— from the help topic —'] + ($admin ? WhatsAppDesk::departments() : []), 'default' => 0,
                'hint' => 'Optional: without one, the help topic\'s department (or osTicket\'s default department).']),
            'reopen_days' => new TextboxField(['label' => 'Reopen within', 'default' => '7',
                'hint' => 'Days. A customer who writes to their last ticket at most this long after it was closed gets it reopened, when osTicket allows reopening it (its closed status, department and help topic); otherwise a new ticket with a note naming the closed one. 0 = always a new ticket.',
                'validator' => 'number', 'configuration' => ['size' => 4, 'length' => 5]]),
            'auto_confirm' => new BooleanField(['label' => 'Automatic confirmation', 'default' => true,
                'configuration' => ['desc' => 'Send a confirmation when a ticket is created']]),
            'confirm_message' => $text('Confirmation message', $d['confirm_message'], 'Variables: {ticket_number}, {name}, {close_keyword}, {switch_keyword}', 16),
            'commands' => new SectionBreakField(['label' => 'Customer commands']),
            'close_keyword' => $line('Close keyword', $d['close_keyword'], 'Main keyword, named in the confirmation; the whole message must be the keyword', true, 'close_keyword'),
            'close_keywords_alt' => $text('Alternative keywords', $d['close_keywords_alt'], 'One per line; by default the other language\'s keywords too', 4),
            'switch_keyword' => $line('Ticket switch keyword', $d['switch_keyword'], 'Followed by the ticket number, e.g. Ticket-Wechsel #123456', true, 'switch_keyword'),
            'switch_keywords_alt' => $text('Alternative switch keywords', $d['switch_keywords_alt'], 'One per line; by default the other language\'s keyword', 2),
            'switch_success' => $text('Switch confirmation', $d['switch_success'], $ticketVars, 3),
            'switch_error' => $text('Switch error', $d['switch_error'], 'Variables: {ticket_number}', 3),
            'switch_closed' => $text('Switch to a closed ticket', $d['switch_closed'], 'Variables: {ticket_number}, {ticket_subject}', 3),
            'close_success' => $text('Close confirmation', $d['close_success'], $ticketVars . ', {write_again} (whether writing again reopens it or opens a new ticket)', 3),
            'reopened_message' => $text('Ticket reopened', $d['reopened_message'], 'When a message reopens the customer\'s closed ticket. ' . $ticketVars, 3),
            'close_refused' => $text('Close not allowed', $d['close_refused'], 'When osTicket does not let the ticket be closed (open tasks, required fields). ' . $ticketVars, 3),
            'nothing_to_close' => $text('Nothing to close', $d['nothing_to_close'], '', 3),
            'refused_message' => $text('Message not accepted', $d['refused_message'],
                'Sent when osTicket refuses a message for good (ticket filter, open-ticket limit). Variables: {support_email}', 4),
            'optout_keywords' => $text('Opt-out words', $d['optout_keywords'], 'One per line; the whole message must be the word (any case). The customer gets the opt-out confirmation, and from then on nothing the business starts: no replies, close notices or agent-started conversations (agents get a note instead), until the customer writes again.', 4),
            'optout_message' => $text('Opt-out confirmation', $d['optout_message'], '', 3),
            'optin_keywords' => $text('Opt-in words', $d['optin_keywords'], 'One per line. Any message of the customer\'s own opts them in again; these words only do that.', 2),
            'optin_message' => $text('Opt-in confirmation', $d['optin_message'], 'Sent when a customer who had opted out writes again.', 2),
            'media' => new SectionBreakField(['label' => 'Media settings']),
            'media_handling' => new ChoiceField(['label' => 'Media handling', 'default' => 'attach',
                'choices' => ['attach' => 'Attach files to the ticket (the e-mail link only when a file cannot be attached)', 'link' => 'E-mail link only (do not take files over WhatsApp)'],
                'hint' => 'Pictures, voice notes and documents customers send. osTicket\'s own limits for attachments apply.']),
            'media_reply' => $text('Reply to media', $d['media_reply'], 'Variables: {ticket_number}, {email_link}, {support_email}', 10),
            'media_not_taken' => $text('File not taken', $d['media_not_taken'], 'When a file could not be attached (too large for osTicket, expired at WhatsApp). Variables: {file}, {reason}, {ticket_number}, {mail_subject}, {email_link}, {support_email}', 6),
            'media_hint_minutes' => new TextboxField(['label' => 'Media reply at most every', 'default' => '10',
                'hint' => 'Minutes, per ticket: ten photos in a row get one reply, not ten (captions always reach the ticket). 0 = every time.',
                'validator' => 'number', 'configuration' => ['size' => 4, 'length' => 5]]),
            'notifications' => new SectionBreakField(['label' => 'Notifications']),
            'notify_reply' => new BooleanField(['label' => 'Notify on agent reply', 'default' => true,
                'configuration' => ['desc' => 'Send public agent replies to WhatsApp (never internal notes)']]),
            'reply_message' => $text('Agent reply format', $d['reply_message'], 'Variables: {ticket_number}, {ticket_subject}, {message}', 5),
            'notify_close' => new BooleanField(['label' => 'Notify on ticket close', 'default' => true,
                'configuration' => ['desc' => 'Tell the customer when an agent closes the ticket']]),
            'closed_message' => $text('Ticket closed message', $d['closed_message'], $ticketVars . ', {write_again}', 4),
            'csat' => new BooleanField(['label' => 'Ask for a rating', 'default' => false,
                'configuration' => ['desc' => 'After a close (by an agent or the customer\'s command), ask the customer to rate the help from 1 to 5; an answer within 3 days is the ticket\'s "WhatsApp rating"']]),
            'csat_question' => $text('Rating question', $d['csat_question'], 'Variables: {ticket_number}, {ticket_subject}', 3),
            'csat_thanks' => $text('Rating thanks', $d['csat_thanks'], '', 2),
            'merged_message' => $text('Ticket merged message', $d['merged_message'], 'When an agent merges the ticket into another of the customer\'s tickets. Variables: {old_ticket_number}, {ticket_number}, {ticket_subject}', 3),
            'privacy' => new SectionBreakField(['label' => 'Data protection']),
            'retention_days' => new TextboxField(['label' => 'Keep WhatsApp messages for', 'default' => '90',
                'hint' => 'Days. Older message texts and numbers are deleted from the plugin\'s tables (osTicket\'s tickets stay as they are) and from this number\'s service, by osTicket\'s cron. 0 = keep.',
                'validator' => 'number', 'configuration' => ['size' => 4, 'length' => 5]]),
            // ("noop": osTicket would refuse "+49 ..." as a spreadsheet formula; the number is checked in pre_save.)
            'erase_phone' => new TextboxField(['label' => 'Erase a phone number', 'validator' => 'noop',
                'hint' => 'An erasure request: saving with a number here deletes everything the plugin and every WhatsApp service hold about that number (conversations, messages, files, pending replies). osTicket\'s own user and tickets are deleted in osTicket. The field is empty again afterwards.',
                'configuration' => ['size' => 20, 'length' => 32]]),
            'uninstall_data' => new ChoiceField(['label' => 'Data on uninstall', 'default' => 'keep',
                'choices' => ['keep' => 'Keep the WhatsApp tables when the plugin is deleted', 'delete' => 'Delete the WhatsApp tables and settings when the plugin is deleted']]),
        ];
        // Stable field ids: osTicket numbers fields with a request-wide counter, and a checkbox posts
        // its field's id, so the form built again to save a POST would not find its own ticks.
        foreach ($fields as $key => $field) {
            $field->set('id', $key);
        }
        return $fields;
    }

    const SECRETS = ['api_key', 'webhook_secret'];

    /** Below this, osTicket's attachment limit turns away many phone photos: the settings page says so. */
    const PHONE_FILE_BYTES = 5242880;

    /**
     * On the settings page an empty text shows its default, so an administrator
     * edits the default instead of starting from nothing. Empty still means
     * "the default of the customer language" when the plugin runs.
     */
    public function getInfo()
    {
        $info = parent::getInfo();
        foreach (self::SECRETS as $key) {
            $info[$key] = $this->secret($key);
        }
        if (self::onAdminPage() && self::supported()) {
            $defaults = WhatsAppTemplates::defaults(WhatsAppSettings::customerLanguage($info, WhatsAppDesk::language()));
            foreach (WhatsAppSettings::TEXT_KEYS as $key) {
                if (!isset($info[$key]) || $info[$key] === '') {
                    $info[$key] = $defaults[$key];
                }
            }
        }
        return $info;
    }

    /** The values as stored now (the form's own copy is read when the config is built). */
    private function storedValues()
    {
        return $this->getNamespace() ? (new Config($this->getNamespace()))->getInfo() : [];
    }

    /**
     * A secret as the plugin uses it. PasswordField decrypts what the form
     * saved; a value stored in plain text (before secrets were encrypted, or
     * written by a script) does not decrypt and is taken as it is.
     */
    private function secret($key)
    {
        $value = $this->get($key);
        if (!is_string($value) || $value === '') {
            $value = Config::get($key); // the stored text, without PasswordField's decryption
        }
        return is_string($value) ? $value : '';
    }

    private static function onAdminPage()
    {
        return defined('OSTADMININC') && !empty($GLOBALS['cfg']);
    }

    public function pre_save(&$config, &$errors)
    {
        // An empty secret field means "keep it": checked, and saved again (now encrypted), as stored.
        foreach (self::SECRETS as $key) {
            if (!isset($config[$key]) || $config[$key] === '') {
                $config[$key] = $this->secret($key);
            }
        }
        $problems = WhatsAppSettingsCheck::errors($config);
        // Texts as "\n" lines; a text left as a default is saved as "the default", so it keeps following the language.
        foreach (WhatsAppSettings::TEXT_KEYS as $key) {
            if (isset($config[$key])) {
                $config[$key] = WhatsAppTemplates::isDefault($key, $config[$key]) ? '' : WhatsAppTemplates::lines($config[$key]);
            }
        }
        // On an instance being added it is not refused either: osTicket has created the instance before it asks
        // (Plugin::addInstance), so a refusal would leave a disabled half instance whose name is taken.
        // Its page then names the problem at once; the administrator fixes it there.
        $adding = !isset($this->storedValues()['service_url']);
        if (!$adding && !isset($problems['service_url']) && !isset($problems['api_key'])) {
            // A wrong key or an address that is not the service is said now, not discovered at the first reply.
            // An unreachable service is not: it may simply not run yet (the connection panel says so).
            $client = new WhatsAppServiceClient(trim($config['service_url']), trim((string) $config['api_key']), 3);
            $problem = $client->problem();
            if ($problem !== null && strpos($problem, 'cannot be reached') === false) {
                $problems[strpos($problem, 'API Key') !== false ? 'api_key' : 'service_url'] = $problem;
            }
        }
        $erase = isset($config['erase_phone']) ? trim((string) $config['erase_phone']) : '';
        $settings = WhatsAppSettings::from($config, WhatsAppDesk::language());
        $phone = $erase === '' ? null : WhatsAppPhoneNumber::international($erase, $settings['default_country_code']);
        if ($erase !== '' && $phone === null) {
            $problems['erase_phone'] = 'Enter a phone number with country code, e.g. +49 171 2345678';
        }
        foreach ($problems as $field => $message) {
            $this->getForm()->getField($field)->addError($message);
            $errors[$field] = $message;
        }
        if ($errors) {
            return false;
        }
        if ($phone !== null) {
            $done = WhatsAppErasure::phone($phone);
            // An administrator's request, not an agent's: the services are told now where they answer, else by cron.
            WhatsAppErasure::sendQueued(['WhatsAppPlugin', 'settings']);
            $waiting = WhatsAppErasure::queued();
            (new Config('plugin.whatsapp.erasure'))->set('last', sprintf('+%s erased on %s: %d conversations, %d messages; %s',
                $phone, date('Y-m-d H:i'), $done['conversations'], $done['messages'], $waiting
                    ? sprintf('%d request(s) to forget wait for a WhatsApp service that did not answer; osTicket\'s cron sends them.', $waiting)
                    : 'the services were told to forget it.'));
        }
        if (WhatsAppSchema::isCurrent()) {
            // The phone index of this instance's country is ready when Save returns (else cron builds it).
            WhatsAppPhoneIndex::maintain([$settings['default_country_code']], array_merge(WhatsAppPlugin::emailDomains(), [$settings['email_domain']]));
        }
        $config['erase_phone'] = ''; // a request, not a setting
        (new Config('plugin.whatsapp.uninstall'))->set('data', WhatsAppSettings::choice($config['uninstall_data'] ?? 'keep', ['keep', 'delete'], 'keep'));
        return true;
    }

    /**
     * The WhatsApp numbers of this installation: one plugin instance each, with
     * the WEBHOOK_URL its service needs and its state, so an administrator sees
     * every number at a glance from any instance's page.
     */
    private static function overview(PluginInstance $current)
    {
        $rows = '';
        // Read afresh: the plugin's own list was loaded before an instance just added was saved.
        foreach (PluginInstance::objects()->filter(['plugin_id' => $current->getPlugin()->getId()])->order_by('id') as $listed) {
            $instance = $listed->getId() == $current->getId() ? $current : $listed; // this page's as just saved
            // The stored values as they are: building each instance's config form here would render this page again.
            $stored = new Config($instance->getNamespace());
            $settings = ['service_url' => (string) $stored->get('service_url', 'http://127.0.0.1:3000'), 'api_key' => self::decrypted($stored->get('api_key', ''))];
            $check = $instance->isEnabled() ? (new WhatsAppServiceClient($settings['service_url'], $settings['api_key'], 2))->check() : null;
            $status = $check ? $check['status'] : null;
            $state = !$instance->isEnabled() ? 'disabled' : ($status ? $status['connection'] . (!empty($status['me']) ? ' +' . $status['me'] : '') : $check['label']);
            $url = self::webhookUrl($instance->getId());
            $mark = $instance->getId() == $current->getId() ? ' (this page)' : '';
            $rows .= '<tr><td>' . Format::htmlchars($instance->getName() . $mark) . '</td><td>' . Format::htmlchars($state) . '</td><td>'
                . Format::htmlchars($settings['service_url']) . '</td><td><code>' . Format::htmlchars($url) . '</code></td></tr>';
        }
        return '<table class="list" style="margin-bottom:1em"><tr><th>Number (instance)</th><th>State</th><th>Service URL</th><th>WEBHOOK_URL for its service</th></tr>'
            . $rows . '</table>';
    }

    /** A PasswordField value as stored (encrypted by the form, or plain when written by a script). */
    private static function decrypted($stored)
    {
        $plain = is_string($stored) && strpos($stored, '$') === 0 ? Crypto::decrypt($stored, SECRET_SALT, 'pwfield') : false;
        return is_string($plain) ? $plain : (string) $stored;
    }

    /**
     * How the service reaches this instance: what is wrong and what to do, or a green line with the
     * last call this instance had from it ($heard; the service's state may be another instance's).
     */
    private static function webhookHtml(array $webhook, $heard)
    {
        $html = '';
        if (!empty($webhook['problem'])) {
            $html .= '<p style="color:#a00"><strong>Webhook: ' . Format::htmlchars(isset($webhook['state']) ? $webhook['state'] : '?') . '</strong> — '
                . Format::htmlchars($webhook['problem']) . '<br>Customer messages are kept and delivered once this is fixed.</p>';
        } elseif ($heard) {
            $html .= '<p style="color:#1e7e34"><strong>Webhook OK</strong>: the service reaches this plugin; last delivery '
                . Format::htmlchars(date('Y-m-d H:i', $heard)) . '.</p>';
        }
        if (!empty($webhook['dead_letters'])) {
            $html .= '<p style="color:#a00"><strong>' . (int) $webhook['dead_letters'] . ' message(s) were given up</strong> (the plugin refused them): on the service\'s machine, '
                . '<code>npm run dead-letters</code> lists them, <code>npm run dead-letters -- replay --all</code> delivers them again, <code>npm run dead-letters -- drop --all</code> deletes them.</p>';
        }
        return $html;
    }

    /** The WEBHOOK_URL of one instance. */
    private static function webhookUrl($instanceId)
    {
        global $cfg;
        return rtrim($cfg ? $cfg->getUrl() : '', '/') . '/api/whatsapp/webhook.php?instance=' . (int) $instanceId;
    }

    /** Until this instance's service has called it, what to do next. */
    private static function nextStepHtml(PluginInstance $instance)
    {
        if (WhatsAppServiceHealth::lastHeard($instance->getId())) {
            return '';
        }
        $url = self::webhookUrl($instance->getId());
        return '<p style="background:#fff8e1;padding:6px 10px"><strong>Next step: set WEBHOOK_URL=' . Format::htmlchars($url) . '</strong> in the service\'s '
            . '<code>.env</code> (WEBHOOK_SECRET and API_KEY as entered below) and restart the service. It says hello at once: this panel then shows '
            . '"Webhook OK", or what is wrong.</p>';
    }

    /**
     * When osTicket's cron last ran (it sends what waited longer, erases and builds the phone index);
     * its auto-cron, which runs while agents use the staff panel (this page too), does not count.
     */
    private static function cronHtml()
    {
        list($last, $auto) = WhatsAppPlugin::lastCron();
        if ($last && time() - $last < 3600) {
            return '<p>osTicket\'s cron last ran ' . Format::htmlchars(date('Y-m-d H:i', $last)) . '.</p>';
        }
        return '<p style="color:#a00"><strong>osTicket\'s cron ' . ($last ? 'last ran ' . Format::htmlchars(date('Y-m-d H:i', $last)) : 'has not run yet')
            . '</strong>' . ($auto ? ' (only its auto-cron, while agents use the staff panel, last ' . Format::htmlchars(date('Y-m-d H:i', $auto)) . ')' : '')
            . '. Set it up (README, "osTicket\'s cron"): it sends replies that waited, carries out retention and erasures, and builds the phone index.</p>';
    }

    /** Phone photos are often larger than osTicket's default limit; such files reach the ticket only as a note. */
    private static function uploadLimitHtml()
    {
        list($upload, $maxBytes) = WhatsAppDesk::attachmentRules();
        if (!$upload) {
            return '<p style="color:#a00"><strong>osTicket accepts no attachments</strong> on its ticket form: customers\' files reach tickets only as a note. '
                . 'Admin panel › Manage › Forms › Ticket Details › Issue Details › Config.</p>';
        }
        if ($maxBytes >= self::PHONE_FILE_BYTES) {
            return '';
        }
        return '<p style="color:#a00"><strong>osTicket takes customers\' files only up to ' . Format::htmlchars(WhatsAppTemplates::fileSize($maxBytes)) . '</strong>; photos from phones '
            . 'are often 2–5 MB, videos more. Larger files reach the ticket as a note and the customer is asked to e-mail them. Raise it in Admin panel › Manage › Forms › '
            . 'Ticket Details › Issue Details › Config › Maximum File Size (its choices end at PHP\'s upload_max_filesize, now '
            . Format::htmlchars((string) ini_get('upload_max_filesize')) . ').</p>';
    }

    /** Which way the service reaches WhatsApp; for the Cloud API, what happens to replies after the 24-hour window. */
    private static function transportHtml(array $status)
    {
        $names = ['baileys' => 'linked device (Baileys)', 'cloud' => 'WhatsApp Business Cloud API (official)', 'sandbox' => 'sandbox (no WhatsApp)'];
        $transport = isset($status['transport']) ? (string) $status['transport'] : '';
        $html = '<p>Transport: <strong>' . Format::htmlchars(isset($names[$transport]) ? $names[$transport] : $transport) . '</strong>';
        if ($transport === 'cloud') {
            $cloud = isset($status['cloud']) && is_array($status['cloud']) ? $status['cloud'] : [];
            $template = isset($cloud['template']['name']) ? $cloud['template'] : null;
            $html .= $template
                ? '<br>Replies more than 24 hours after the customer\'s last message: the customer is invited with the template <strong>'
                    . Format::htmlchars($template['name']) . '</strong> (' . Format::htmlchars(isset($template['language']) ? $template['language'] : '?') . '); the reply follows when they answer.'
                : '<br><span style="color:#a00"><strong>No template (CLOUD_TEMPLATE)</strong>: replies more than 24 hours after the customer\'s last message cannot be delivered.</span>';
            $webhook = isset($cloud['webhook']) && is_array($cloud['webhook']) ? $cloud['webhook'] : [];
            $html .= '<br>Meta webhook: verified ' . Format::htmlchars(!empty($webhook['verified_at']) ? $webhook['verified_at'] : 'not yet')
                . ', last signed notification ' . Format::htmlchars(!empty($webhook['last_signed_post_at']) ? $webhook['last_signed_post_at'] : 'none yet');
        }
        return $html . '</p>';
    }

    /**
     * Connection state and, while no phone is linked, the QR code to scan; read
     * when the page is rendered, from the values stored then.
     */
    public function connectionHtml()
    {
        // The plugin's fields on osTicket's Ticket Details form, added when an administrator first looks here.
        WhatsAppTicketFields::ensure(WhatsAppDesk::language());
        $instance = $this->getInstance();
        if (!$instance || !$instance->getId()) {
            return '<p>The connection to the WhatsApp service is shown here once this instance is added.</p>';
        }
        $stored = $this->storedValues();
        $settings = WhatsAppSettings::from($stored, WhatsAppDesk::language());
        $client = new WhatsAppServiceClient($settings['service_url'], self::decrypted(isset($stored['api_key']) ? $stored['api_key'] : ''), 3);
        $check = $client->check();
        if ($check['status'] !== null && ($settings = WhatsAppPlugin::settings($instance->getId()))) {
            // The key and the URL work now: what waited goes at the end of this page, and the banner says so then.
            WhatsAppOutbound::deliverWaitingSoon($settings);
        }
        $html = self::overview($instance) . self::nextStepHtml($instance) . self::cronHtml() . self::uploadLimitHtml();
        if ($erased = (new Config('plugin.whatsapp.erasure'))->get('last')) {
            $html .= '<p>Last erasure: ' . Format::htmlchars($erased) . '</p>';
        }
        if ($waiting = WhatsAppServiceHealth::current($instance->getId())) {
            $html .= '<p style="color:#fff;background:#c0392b;padding:6px 10px"><strong>Replies to WhatsApp customers are waiting</strong> (since '
                . Format::htmlchars(date('Y-m-d H:i', $waiting['since'])) . '): ' . Format::htmlchars($waiting['reason']) . '</p>';
        }
        $status = $check['status'];
        if ($status === null) {
            return $html . '<p style="color:#a00"><strong>' . Format::htmlchars($check['problem']) . '</strong></p>';
        }
        $html .= '<p>This number: <strong>' . Format::htmlchars($status['connection']) . '</strong>';
        if (!empty($status['me'])) {
            $html .= ' — linked to +' . Format::htmlchars($status['me']);
        }
        if (!empty($status['last_disconnect']['reason'])) {
            $html .= '<br>Last disconnect: ' . Format::htmlchars($status['last_disconnect']['reason']);
        }
        $html .= '</p>' . self::transportHtml($status);
        $html .= self::webhookHtml(isset($status['webhook']) && is_array($status['webhook']) ? $status['webhook'] : [], WhatsAppServiceHealth::lastHeard($instance->getId()));
        if (!empty($status['pairing_code'])) {
            $html .= '<p>Pairing code: <strong>' . Format::htmlchars($status['pairing_code']) . '</strong></p>';
        }
        // Also when the codes ran out: asking for one starts a new linking attempt.
        $linking = in_array($status['connection'], ['waiting_for_scan', 'logged_out'], true);
        if (!empty($status['qr_available']) || ($linking && empty($status['pairing_code']))) {
            $png = $client->qrPng();
            // An image from bytes, never markup from the service: nothing it sends can run in the admin's session.
            $html .= $png !== null
                ? '<p>Scan with WhatsApp: Settings › Linked devices › Link a device</p><img alt="WhatsApp QR code" width="260" src="data:image/png;base64,' . base64_encode($png) . '">'
                : '<p>A new QR code is being prepared; reload this page in a few seconds.</p>';
        }
        return $html;
    }
}
