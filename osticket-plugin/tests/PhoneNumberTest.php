<?php
use PHPUnit\Framework\TestCase;

final class PhoneNumberTest extends TestCase
{
    public function testStoredFormatsBecomeInternational()
    {
        $cases = [
            '+49 171 2345678' => '491712345678',
            '491712345678' => '491712345678',
            '0049 171 2345678' => '491712345678',
            '0171 2345678' => '491712345678',
            '(0171) 234-5678' => '491712345678',
            '01712345678X12' => '491712345678',
            '' => null,
        ];
        foreach ($cases as $stored => $expected) {
            $this->assertSame($expected, WhatsAppPhoneNumber::international($stored, '49'), (string) $stored);
        }
        $this->assertSame('431712345678', WhatsAppPhoneNumber::international('0171 2345678', '+43'));
        $this->assertNull(WhatsAppPhoneNumber::international('0171 2345678', ''));
    }

    public function testMatchesOnlyTheSameNumber()
    {
        $this->assertTrue(WhatsAppPhoneNumber::matches('0171 2345678', '491712345678', '49'));
        $this->assertTrue(WhatsAppPhoneNumber::matches('+49 (171) 2345678', '491712345678', '49'));
        $this->assertFalse(WhatsAppPhoneNumber::matches('0171 2345678', '431712345678', '49'));
        $this->assertFalse(WhatsAppPhoneNumber::matches('171 2345678', '491712345678', '49'));
        $this->assertSame('2345678', WhatsAppPhoneNumber::tail('491712345678'));
    }

    /** The service reads numbers with libphonenumber-js; stored numbers must match the same way. */
    public function testAgreesWithTheServiceOnTheSharedFixture()
    {
        $fixture = json_decode(file_get_contents(__DIR__ . '/../../contract/fixtures/phone-numbers.json'), true);
        $this->assertGreaterThanOrEqual(20, count($fixture['cases']));
        foreach ($fixture['cases'] as $case) {
            $country = $case['default_country_code'] === null ? '' : $case['default_country_code'];
            $this->assertSame($case['chat'], WhatsAppPhoneNumber::international($case['input'], $country), $case['input'] . ' / ' . $country);
        }
    }
}
