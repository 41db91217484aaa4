<?php
/**
 * The plugin's settings as a plain array, built from the instance's stored
 * values. An empty text means "the default": customer texts in the instance's
 * customer language, ticket-side texts in osTicket's language.
 */
final class WhatsAppSettings
{
    const TEXT_KEYS = WhatsAppTemplates::CUSTOMER_KEYS;

    /**
     * @param string $deskLanguage osTicket's language (agents read the tickets in it)
     * @param int $instanceId the plugin instance (one WhatsApp number) the values belong to
     */
    public static function from(array $values, $deskLanguage, $instanceId = 0)
    {
        $get = function ($key, $default = null) use ($values) {
            $value = isset($values[$key]) ? $values[$key] : null;
            return $value === null || $value === '' ? $default : $value;
        };
        $language = self::customerLanguage($values, $deskLanguage);
        $texts = WhatsAppTemplates::defaults($language);
        foreach (self::TEXT_KEYS as $key) {
            $texts[$key] = WhatsAppTemplates::lines($get($key, $texts[$key]));
        }
        return [
            'instance_id' => (int) $instanceId,
            'language' => $language,
            'desk_language' => $deskLanguage,
            'service_url' => (string) $get('service_url', 'http://127.0.0.1:3000'),
            'api_key' => trim((string) $get('api_key', '')),
            'webhook_secret' => trim((string) $get('webhook_secret', '')),
            'support_email' => (string) $get('support_email', ''),
            'default_country_code' => WhatsAppPhoneNumber::digits($get('default_country_code', '49')),
            'email_domain' => (string) $get('email_domain', 'tickets.local'),
            'help_topic_id' => self::choiceId($get('help_topic_id', 0)),
            'dept_id' => self::choiceId($get('dept_id', 0)),
            'auto_confirm' => (bool) $get('auto_confirm', true),
            'notify_reply' => (bool) $get('notify_reply', true),
            'notify_close' => (bool) $get('notify_close', true),
            'media_hint_minutes' => max(0, (int) $get('media_hint_minutes', 10)),
            'media_handling' => self::choice($get('media_handling', 'attach'), ['attach', 'link'], 'attach'),
            'retention_days' => max(0, (int) $get('retention_days', 90)),
            'reopen_days' => max(0, (int) $get('reopen_days', 7)),
            'csat' => (bool) $get('csat', false),
            'texts' => $texts,
            // What goes into tickets, for agents: osTicket's language.
            'staff' => WhatsAppTemplates::defaults($deskLanguage),
        ];
    }

    /** "de" or "en": the setting "Customer language", or osTicket's language when it says "auto". */
    public static function customerLanguage(array $values, $deskLanguage)
    {
        $chosen = self::choice(isset($values['customer_language']) ? $values['customer_language'] : 'auto', ['auto', 'de', 'en'], 'auto');
        return $chosen === 'auto' ? WhatsAppTemplates::language($deskLanguage) : $chosen;
    }

    /** A choice as the form or the store has it ({"key":"label"} JSON, an array, or the key). */
    public static function choice($value, array $allowed, $default)
    {
        $decoded = is_string($value) ? json_decode($value, true) : $value;
        $key = is_array($decoded) && $decoded ? (string) key($decoded) : (string) $value;
        return in_array($key, $allowed, true) ? $key : $default;
    }

    /** osTicket stores a choice as {"id":"label"} JSON; older values are plain ids. */
    private static function choiceId($value)
    {
        if (is_numeric($value)) {
            return (int) $value;
        }
        $decoded = is_string($value) ? json_decode($value, true) : $value;
        return is_array($decoded) && $decoded ? (int) key($decoded) : 0;
    }
}
