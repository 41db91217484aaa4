<?php
/**
 * Validation of the settings form, field by field. Pure.
 */
final class WhatsAppSettingsCheck
{
    /** The fields checked here, each on its own. */
    const FIELDS = ['service_url', 'webhook_secret', 'api_key', 'support_email', 'default_country_code', 'email_domain', 'close_keyword', 'switch_keyword'];

    /** @return array field => message */
    public static function errors(array $config)
    {
        $errors = [];
        foreach (self::FIELDS as $field) {
            // The service URL, the secret and the support e-mail are required; the rest is checked when given.
            $required = in_array($field, ['service_url', 'webhook_secret', 'support_email'], true);
            if (($required || isset($config[$field])) && ($message = self::field($field, isset($config[$field]) ? $config[$field] : '')) !== null) {
                $errors[$field] = $message;
            }
        }
        return $errors;
    }

    /** What is wrong with one field's value, or null. */
    public static function field($field, $value)
    {
        $value = trim((string) $value);
        switch ($field) {
            case 'service_url':
                return preg_match('#^https?://[^\s/]+#i', $value) ? null : 'Enter the service address, e.g. http://127.0.0.1:3000';
            case 'webhook_secret':
                return strlen($value) >= 16 ? null : 'Use the WEBHOOK_SECRET from the service\'s .env (at least 16 characters)';
            case 'api_key':
                return $value === '' || strlen($value) >= 16 ? null : 'Use the API_KEY from the service\'s .env (at least 16 characters)';
            case 'support_email':
                return filter_var($value, FILTER_VALIDATE_EMAIL) ? null : 'Enter a valid e-mail address';
            case 'default_country_code':
                return preg_match('/^\+?\d{1,4}$/', $value) ? null : 'Digits only, e.g. 49';
            case 'email_domain':
                return preg_match('/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i', $value) ? null : 'Enter a domain such as tickets.local';
            case 'close_keyword':
            case 'switch_keyword':
                return WhatsAppCommandParser::fold($value) === '' ? 'Required' : null;
        }
        return null;
    }
}
