<?php
require_once INCLUDE_DIR . 'class.plugin.php';
require_once INCLUDE_DIR . 'class.signal.php';
require_once INCLUDE_DIR . 'class.dispatcher.php';
require_once __DIR__ . '/config.php';

/**
 * Glue only: tables on enable, settings captured at bootstrap, osTicket
 * signals connected once. The work is in glue/ and lib/. Each active plugin
 * instance is one WhatsApp number with its own service, settings and
 * webhook (`?instance=<id>`).
 */
class WhatsAppPlugin extends Plugin
{
    public $config_class = 'WhatsAppPluginConfig';

    const UNSUPPORTED = 'WhatsApp Integration needs osTicket 1.17 or newer (tested with 1.17 and 1.18): each WhatsApp number is a plugin instance, which older versions do not have. Please upgrade osTicket; the plugin stays disabled until then.';

    /** Stored values per active instance id; osTicket drops the config after bootstrap. */
    private static $values = [];
    private static $settings = [];
    /** Each active instance's name, as the administrator named the number. */
    private static $names = [];
    private static $connected = false;

    public function bootstrap()
    {
        if (!WhatsAppPluginConfig::supported()) {
            return; // enabled on an older osTicket by other means: do nothing rather than break every page
        }
        $config = $this->getConfig();
        $instanceId = $config->getInstance() ? (int) $config->getInstance()->getId() : 0;
        self::$values[$instanceId] = $config->getInfo();
        self::$names[$instanceId] = $config->getInstance() ? (string) $config->getInstance()->getName() : '';
        ksort(self::$values);
        // (osTicket's language is not known yet here; nothing below depends on it.)
        $early = WhatsAppSettings::from(self::$values[$instanceId], 'en');
        WhatsAppSchema::ensure($instanceId);
        WhatsAppMailGuard::onRequest($early['email_domain']);
        if (self::$connected) {
            return; // osTicket 1.17+ bootstraps once per instance
        }
        self::$connected = true;

        // /api/whatsapp/webhook.php, served by osTicket's api/http.php: nothing to copy into osTicket's folders.
        Signal::connect('api', function ($dispatcher) {
            $dispatcher->append(url_post('^/whatsapp/webhook\.php$', function () {
                WhatsAppPlugin::handleWebhook();
            }));
        });
        $settingsOf = [__CLASS__, 'settings'];
        Signal::connect('threadentry.created', function ($entry) use ($settingsOf) {
            WhatsAppOutbound::onThreadEntry($entry, $settingsOf);
        });
        Signal::connect('object.created', function ($object, $data = null) use ($settingsOf) {
            WhatsAppOutbound::onObjectCreated($object, $data, $settingsOf);
        });
        // A merge saves the child with its parent id and merge type (Ticket::setMergeType) before closing it.
        Signal::connect('model.updated', function ($ticket, $data = null) use ($settingsOf) {
            if (isset($data['dirty']) && (array_key_exists('ticket_pid', $data['dirty']) || array_key_exists('flags', $data['dirty']))) {
                WhatsAppOutbound::onMaybeMerged($ticket, $settingsOf);
            }
        }, 'Ticket');
        // What osTicket creates while a customer message is processed is recorded the moment it exists.
        $created = function ($object) {
            WhatsAppProgress::created($object);
        };
        Signal::connect('model.created', $created, 'Ticket');
        Signal::connect('model.created', $created, 'ThreadEntry');
        // A user's phone saved anywhere (staff panel, client portal, import): the phone index follows,
        // with who saved it (only staff and the user's own confirmed account are trusted).
        $phoneSaved = function ($answer) {
            WhatsAppPhoneIndex::onAnswerSaved($answer);
        };
        Signal::connect('model.created', $phoneSaved, 'DynamicFormEntryAnswer');
        Signal::connect('model.updated', $phoneSaved, 'DynamicFormEntryAnswer');
        if (WhatsAppFault::installed()) {
            // The end-to-end suite kills requests inside osTicket's own code, too (lib/Fault.php).
            Signal::connect('model.created', function () { WhatsAppFault::at('in_ticket_create'); }, 'Ticket');
            Signal::connect('model.created', function () { WhatsAppFault::at('in_entry_create'); }, 'ThreadEntry');
            Signal::connect('threadentry.created', function () { WhatsAppFault::at('in_entry_done'); });
        }
        // Agents take tickets to WhatsApp: the More menu, delivery states, staff-opened tickets (glue/AgentChannel.php).
        WhatsAppStaffPages::connect();
        Signal::connect('ticket.created', function ($ticket) {
            WhatsAppAgentChannel::onTicketCreated($ticket);
        });
        // osTicket's data goes, the WhatsApp data that belongs to it goes too (glue/Erasure.php).
        Signal::connect('model.deleted', function ($ticket) {
            WhatsAppErasure::ticketDeleted($ticket->getId());
        }, 'Ticket');
        Signal::connect('model.deleted', function ($user) {
            WhatsAppErasure::userDeleted($user->getId());
        }, 'User');
        Signal::connect('cron', function ($object = null, $data = null) {
            // scp/autocron.php runs it while agents use the staff panel; the settings page tells the two apart.
            (new Config('plugin.whatsapp.cron'))->set(empty($data['autocron']) ? 'last' : 'last_auto', time());
            foreach (array_keys(self::$values) as $instanceId) {
                $settings = self::settings($instanceId);
                WhatsAppOutbound::retryPending($settings);
                WhatsAppErasure::purge($settings);
            }
            WhatsAppErasure::sendQueued([__CLASS__, 'settings']);
            WhatsAppPhoneIndex::maintain(self::countries(), self::emailDomains());
            if (empty($data['autocron'])) { // (not from an agent's page view)
                WhatsAppTicketFields::ensure(WhatsAppDesk::language());
            }
        });
    }

    /** Called by osTicket for every installed plugin, enabled or not: the uninstall is watched from here. */
    public function init()
    {
        static $watching = false;
        if (!$watching && WhatsAppPluginConfig::supported()) {
            $watching = true;
            $path = $this->getInstallPath();
            Signal::connect('model.deleted', function ($plugin) use ($path) {
                if ($plugin->getInstallPath() === $path) {
                    WhatsAppSchema::uninstall();
                }
            }, 'Plugin');
        }
    }

    /** When osTicket's cron and its auto-cron last ran: [unix time or null, unix time or null]. */
    public static function lastCron()
    {
        $state = new Config('plugin.whatsapp.cron');
        return [(int) $state->get('last', 0) ?: null, (int) $state->get('last_auto', 0) ?: null];
    }

    /** The e-mail domains of the plugin's generated addresses, on every active instance. */
    public static function emailDomains()
    {
        return self::everyInstance('email_domain');
    }

    /** The default country codes of the active instances: each has its phone index. */
    public static function countries()
    {
        return self::everyInstance('default_country_code');
    }

    /** One setting's distinct values over the active instances (none of them language-dependent). */
    private static function everyInstance($key)
    {
        return array_values(array_unique(array_map(function ($values) use ($key) {
            return WhatsAppSettings::from($values, 'en')[$key];
        }, self::$values)));
    }

    /** The ids of the active instances (WhatsApp numbers). */
    public static function instanceIds()
    {
        return array_keys(self::$values);
    }

    /** The name the administrator gave a number (plugin instance). */
    public static function instanceName($instanceId)
    {
        return isset(self::$names[$instanceId]) && self::$names[$instanceId] !== '' ? self::$names[$instanceId] : '#' . (int) $instanceId;
    }

    public function enable()
    {
        if (!WhatsAppPluginConfig::supported()) {
            // osTicket 1.15/1.16 say "Unable to enable"; the warning says why (the admin page shows $warn).
            $GLOBALS['warn'] = self::UNSUPPORTED;
            return false;
        }
        return parent::enable(); // tables are created when the first instance bootstraps
    }

    /**
     * One instance's settings, built on first use (at bootstrap osTicket's
     * language is not known yet); null when that instance is not active.
     */
    public static function settings($instanceId)
    {
        if (!isset(self::$values[$instanceId])) {
            return null;
        }
        if (!isset(self::$settings[$instanceId])) {
            self::$settings[$instanceId] = WhatsAppSettings::from(self::$values[$instanceId], WhatsAppDesk::language(), $instanceId);
        }
        return self::$settings[$instanceId];
    }

    /**
     * The webhook of one number: `?instance=<id>` (shown on its settings
     * page); with one active instance the plain URL works as before. Also the
     * entry point of webhook.php copied to api/whatsapp/ (the specification's old way).
     */
    public static function handleWebhook()
    {
        $asked = isset($_GET['instance']) ? (string) $_GET['instance'] : null;
        if ($asked === null && count(self::$values) === 1) {
            $asked = (string) array_keys(self::$values)[0];
        }
        $settings = $asked !== null && ctype_digit($asked) ? self::settings((int) $asked) : null;
        if ($settings === null) {
            // 404: the service keeps the messages and names the problem until the URL or the instance is fixed.
            WhatsAppWebhook::respond(404, ['error' => ['code' => 'unknown_instance', 'message' => $asked === null
                ? 'several WhatsApp numbers are configured: add ?instance=<id> to WEBHOOK_URL (shown on each instance\'s settings page)'
                : 'no enabled instance ' . $asked . ' of the WhatsApp plugin']]);
        }
        WhatsAppWebhook::handle($settings);
    }
}
