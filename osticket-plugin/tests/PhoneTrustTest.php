<?php
use PHPUnit\Framework\TestCase;

final class PhoneTrustTest extends TestCase
{
    public function testOnlyStaffSavingIsTrusted()
    {
        $this->assertSame('staff', WhatsAppPhoneTrust::ofSaver(true));
        // A client in their own (confirmed) account types a number: a claim, like a guest's.
        $this->assertSame('claim', WhatsAppPhoneTrust::ofSaver(false));
        $this->assertFalse(WhatsAppPhoneTrust::trusted('claim'));
        $this->assertFalse(WhatsAppPhoneTrust::trusted('account'));
        $this->assertTrue(WhatsAppPhoneTrust::trusted('agent'));
    }

    public function testGeneratedAddressesOnlyOnTheConfiguredDomain()
    {
        $this->assertSame('whatsapp', WhatsAppPhoneTrust::ofExisting('whatsapp+49171@tickets.local', ['tickets.local'], false, false, 3));
        // Anyone can register whatsapp+…@their-own-domain on the portal.
        $this->assertSame('claim', WhatsAppPhoneTrust::ofExisting('whatsapp+49171@evil.example', ['tickets.local'], true, false, 1));
        $this->assertSame('claim', WhatsAppPhoneTrust::ofExisting('whatsapp+49171@tickets.local.evil.example', ['tickets.local'], false, false, 0));
        $this->assertSame('staff', WhatsAppPhoneTrust::ofExisting('whatsapp+49171@evil.example', ['tickets.local'], false, false, 2));
    }

    public function testUsersWhoCouldHaveTypedItThemselvesAreClaims()
    {
        $this->assertSame('claim', WhatsAppPhoneTrust::ofExisting('anna@example.com', ['tickets.local'], true, false, 4), 'client account');
        $this->assertSame('claim', WhatsAppPhoneTrust::ofExisting('anna@example.com', [], false, true, 1), 'guest web ticket');
        $this->assertSame('claim', WhatsAppPhoneTrust::ofExisting('anna@example.com', [], false, false, 0), 'no ticket left');
        $this->assertSame('staff', WhatsAppPhoneTrust::ofExisting('anna@example.com', [], false, false, 1), 'e-mail or staff tickets only');
    }
}
