<?php
use PHPUnit\Framework\TestCase;

final class SettingsCheckTest extends TestCase
{
    public function testValidSettingsPass()
    {
        $this->assertSame([], WhatsAppSettingsCheck::errors([
            'service_url' => 'http://127.0.0.1:3000', 'webhook_secret' => str_repeat('s', 32), 'api_key' => '',
            'support_email' => 'support@example.com', 'default_country_code' => '49', 'email_domain' => 'tickets.local',
            'close_keyword' => 'SCHLIESSEN', 'switch_keyword' => 'Ticket-Wechsel',
        ]));
    }

    public function testEachBadValueIsNamed()
    {
        $errors = WhatsAppSettingsCheck::errors([
            'service_url' => 'localhost', 'webhook_secret' => 'short', 'api_key' => 'short', 'support_email' => 'nope',
            'default_country_code' => 'DE', 'email_domain' => 'no domain', 'close_keyword' => ' !', 'switch_keyword' => '',
        ]);
        $this->assertSame(['service_url', 'webhook_secret', 'api_key', 'support_email', 'default_country_code', 'email_domain', 'close_keyword', 'switch_keyword'], array_keys($errors));
    }
}
