<?php
require_once INCLUDE_DIR . 'class.plugin.php';
require_once INCLUDE_DIR . 'class.signal.php';
require_once INCLUDE_DIR . 'class.dispatcher.php';
require_once __DIR__ . '/config.php';

/**
 * Glue only: tables on enable, settings captured at bootstrap, osTicket
 * signals connected once. The work is in glue/ and lib/.
 */
class WhatsAppPlugin extends Plugin
{
    public $config_class = 'WhatsAppPluginConfig';

    /** Stored values of the first active instance; osTicket drops the config after bootstrap. */
    private static $values = null;
    private static $settings = null;
    private static $connected = false;

    public function bootstrap()
    {
        if (self::$values === null) {
            self::$values = $this->getConfig()->getInfo();
        }
        WhatsAppSchema::ensure();
        WhatsAppMailGuard::onRequest(isset(self::$values['email_domain']) && self::$values['email_domain'] !== '' ? self::$values['email_domain'] : 'tickets.local');
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
        Signal::connect('threadentry.created', function ($entry) {
            WhatsAppOutbound::onThreadEntry($entry, self::settings());
        });
        Signal::connect('object.created', function ($object, $data = null) {
            WhatsAppOutbound::onObjectCreated($object, $data, self::settings());
        });
        // A user's phone saved anywhere (staff panel, import, our own users): the phone index follows.
        $phoneSaved = function ($answer) {
            if ($settings = self::settings()) {
                WhatsAppPhoneIndex::onAnswerSaved($answer, $settings['default_country_code']);
            }
        };
        Signal::connect('model.created', $phoneSaved, 'DynamicFormEntryAnswer');
        Signal::connect('model.updated', $phoneSaved, 'DynamicFormEntryAnswer');
        Signal::connect('cron', function () {
            if ($settings = self::settings()) {
                WhatsAppOutbound::retryPending($settings);
                WhatsAppPhoneIndex::buildIfNeeded($settings['default_country_code']);
            }
        });
    }

    public function enable()
    {
        WhatsAppSchema::ensure();
        return parent::enable();
    }

    /** Also the entry point of webhook.php when it is copied to api/whatsapp/ (the specification's old way). */
    /** Built on first use: at bootstrap osTicket's language is not known yet. */
    private static function settings()
    {
        if (self::$settings === null && self::$values !== null) {
            self::$settings = WhatsAppSettings::from(self::$values, WhatsAppDesk::language());
        }
        return self::$settings;
    }

    public static function handleWebhook()
    {
        if (self::settings() === null) {
            http_response_code(503);
            header('Content-Type: application/json');
            echo json_encode(['error' => ['code' => 'not_configured', 'message' => 'enable the WhatsApp plugin and an instance of it']]);
            exit;
        }
        WhatsAppWebhook::handle(self::settings());
    }
}
