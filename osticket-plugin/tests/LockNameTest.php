<?php
use PHPUnit\Framework\TestCase;

final class LockNameTest extends TestCase
{
    public function testFitsMysqlsLimitForAnyChat()
    {
        $name = WhatsAppLockName::of('osticket', 'whatsapp:bsuid:' . str_repeat('US.1234567890abcdef', 10));
        $this->assertLessThanOrEqual(64, strlen($name));
    }

    public function testTwoDatabasesOnOneServerDoNotShareALock()
    {
        $this->assertNotSame(WhatsAppLockName::of('osticket118', 'whatsapp:4917'), WhatsAppLockName::of('osticket117', 'whatsapp:4917'));
    }

    public function testSameNameSameLock()
    {
        $this->assertSame(WhatsAppLockName::of('db', 'whatsapp:4917'), WhatsAppLockName::of('db', 'whatsapp:4917'));
        $this->assertNotSame(WhatsAppLockName::of('db', 'whatsapp:4917'), WhatsAppLockName::of('db', 'whatsapp:4918'));
    }
}
