<?php
/**
 * Validation of the settings form, field by field. Pure.
 */
final class WhatsAppSettingsCheck
{
    /** @return array field => message */
    public static function errors(array $config)
    {
        $errors = [];
        $url = isset($config['service_url']) ? trim($config['service_url']) : '';
        if (!preg_match('#^https?://[^\s/]+#i', $url)) {
            $errors['service_url'] = 'Enter the service address, e.g. http://127.0.0.1:3000';
        }
        $secret = isset($config['webhook_secret']) ? trim($config['webhook_secret']) : '';
        if (strlen($secret) < 16) {
            $errors['webhook_secret'] = 'Use the WEBHOOK_SECRET from the service\'s .env (at least 16 characters)';
        }
        $key = isset($config['api_key']) ? trim($config['api_key']) : '';
        if ($key !== '' && strlen($key) < 16) {
            $errors['api_key'] = 'Use the API_KEY from the service\'s .env (at least 16 characters)';
        }
        if (!filter_var(isset($config['support_email']) ? trim($config['support_email']) : '', FILTER_VALIDATE_EMAIL)) {
            $errors['support_email'] = 'Enter a valid e-mail address';
        }
        if (isset($config['default_country_code']) && !preg_match('/^\+?\d{1,4}$/', trim($config['default_country_code']))) {
            $errors['default_country_code'] = 'Digits only, e.g. 49';
        }
        if (isset($config['email_domain']) && !preg_match('/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i', trim($config['email_domain']))) {
            $errors['email_domain'] = 'Enter a domain such as tickets.local';
        }
        foreach (['close_keyword', 'switch_keyword'] as $field) {
            if (isset($config[$field]) && WhatsAppCommandParser::fold($config[$field]) === '') {
                $errors[$field] = 'Required';
            }
        }
        return $errors;
    }
}
