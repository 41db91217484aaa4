<?php
use PHPUnit\Framework\TestCase;

final class SignatureTest extends TestCase
{
    private static function fixtures()
    {
        return json_decode(file_get_contents(__DIR__ . '/../../contract/fixtures/signatures.json'), true)['cases'];
    }

    public function testSignsEverySharedFixtureLikeTheService()
    {
        $this->assertGreaterThanOrEqual(3, count(self::fixtures()));
        foreach (self::fixtures() as $case) {
            $this->assertSame($case['signature'], WhatsAppSignature::sign($case['secret'], (string) $case['timestamp'], $case['body']), $case['name']);
        }
    }

    public function testAcceptsFixturesWithinFiveMinutesAndRejectsEverythingElse()
    {
        foreach (self::fixtures() as $case) {
            $ts = (string) $case['timestamp'];
            $this->assertSame('ok', WhatsAppSignature::verify($case['secret'], $ts, $case['signature'], $case['body'], $case['timestamp'] + 299));
            $this->assertSame('stale', WhatsAppSignature::verify($case['secret'], $ts, $case['signature'], $case['body'], $case['timestamp'] + 301));
            $this->assertSame('stale', WhatsAppSignature::verify($case['secret'], $ts, $case['signature'], $case['body'], $case['timestamp'] - 301));
            $this->assertSame('mismatch', WhatsAppSignature::verify($case['secret'], $ts, $case['signature'], $case['body'] . ' ', $case['timestamp']));
            $this->assertSame('mismatch', WhatsAppSignature::verify($case['secret'] . 'x', $ts, $case['signature'], $case['body'], $case['timestamp']));
            $this->assertSame('missing', WhatsAppSignature::verify($case['secret'], null, $case['signature'], $case['body'], $case['timestamp']));
            $this->assertSame('missing', WhatsAppSignature::verify($case['secret'], $ts, null, $case['body'], $case['timestamp']));
        }
    }

    public function testFailsClosedWithoutASecret()
    {
        $case = self::fixtures()[0];
        $this->assertSame('no_secret', WhatsAppSignature::verify('', (string) $case['timestamp'], WhatsAppSignature::sign('', (string) $case['timestamp'], $case['body']), $case['body'], $case['timestamp']));
    }
}
