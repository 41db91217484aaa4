<?php
use PHPUnit\Framework\TestCase;

final class ConversationTest extends TestCase
{
    private function decide(array $message, $active)
    {
        $parser = new WhatsAppCommandParser(['SCHLIESSEN', 'Danke'], 'Ticket-Wechsel');
        return WhatsAppConversation::decide($message + ['type' => 'text', 'text' => '', 'edited' => false], $active, $parser);
    }

    public function testFirstMessageOpensFollowUpsAppend()
    {
        $this->assertSame('open', $this->decide(['text' => 'Drucker kaputt'], false)['action']);
        $this->assertSame('append', $this->decide(['text' => 'noch etwas'], true)['action']);
    }

    public function testCloseOnlyWithAnActiveTicket()
    {
        $this->assertSame('close', $this->decide(['text' => 'Danke!'], true)['action']);
        $this->assertSame('nothing_to_close', $this->decide(['text' => 'SCHLIESSEN'], false)['action']);
        $this->assertSame('append', $this->decide(['text' => 'Danke, aber es geht immer noch nicht'], true)['action']);
    }

    public function testEditsAndCaptionsAreNeverCommands()
    {
        $this->assertSame('append', $this->decide(['text' => 'Danke', 'edited' => true], true)['action']);
        $decision = $this->decide(['type' => 'image', 'text' => 'Danke'], true);
        $this->assertSame(['append', true], [$decision['action'], $decision['media']]);
    }

    public function testSwitchCarriesTheNumber()
    {
        $this->assertSame(['action' => 'switch', 'number' => '654321', 'media' => false], $this->decide(['text' => 'Ticket-Wechsel #654321'], false));
    }

    public function testMediaOpensOrAppendsAndAsksForEmail()
    {
        foreach (['image', 'video', 'audio', 'document', 'sticker'] as $type) {
            $this->assertTrue($this->decide(['type' => $type], false)['media'], $type);
        }
        foreach (['location', 'contact', 'other'] as $type) {
            $this->assertFalse($this->decide(['type' => $type, 'text' => 'x'], false)['media'], $type);
        }
    }

    public function testTicketTextKeepsCaptionsAndNamesFiles()
    {
        $texts = WhatsAppTemplates::defaults('de');
        $this->assertSame("[Bild per WhatsApp gesendet]\nFehlermeldung", WhatsAppConversation::ticketText(['type' => 'image', 'text' => 'Fehlermeldung'], $texts, 'de'));
        $this->assertSame('[Dokument per WhatsApp gesendet]', WhatsAppConversation::ticketText(['type' => 'document', 'text' => ''], $texts, 'de'));
        $this->assertSame('(bearbeitet) neu', WhatsAppConversation::ticketText(['type' => 'text', 'text' => 'neu', 'edited' => true], $texts, 'de'));
        $this->assertSame('[Nachricht ohne Text per WhatsApp gesendet]', WhatsAppConversation::ticketText(['type' => 'other', 'text' => ''], $texts, 'de'));
        $this->assertStringContainsString('konnte nicht entschlüsselt werden', WhatsAppConversation::ticketText(['type' => 'unreadable', 'text' => ''], $texts, 'de'));
        $this->assertStringContainsString('versucht, über WhatsApp anzurufen', WhatsAppConversation::ticketText(['type' => 'call', 'text' => ''], $texts, 'de'));
        $this->assertSame("📊 Wann?\n○ Mo", WhatsAppConversation::ticketText(['type' => 'poll', 'text' => "📊 Wann?\n○ Mo"], $texts, 'de'));
    }

    public function testAFileOnItsWayAsksForNoEmail()
    {
        $this->assertTrue(WhatsAppConversation::fileFollows(['type' => 'image', 'media' => ['error' => 'delayed']]));
        $this->assertFalse(WhatsAppConversation::fileFollows(['type' => 'image', 'media' => ['error' => 'too_large']]));
        $this->assertFalse(WhatsAppConversation::fileFollows(['type' => 'text', 'media' => null]));
    }

    public function testAClosedTicketIsReopenedWithinTheDaysOsTicketAllowsElseANewOneAndWhy()
    {
        $now = 1800000000;
        $day = 86400;
        $this->assertSame('reopen', WhatsAppConversation::afterClose($now - 2 * $day, $now, 7, true));
        $this->assertSame('reopen', WhatsAppConversation::afterClose($now - 7 * $day, $now, 7, true), 'the last day counts');
        $this->assertSame('too_old', WhatsAppConversation::afterClose($now - 7 * $day - 1, $now, 7, true));
        $this->assertSame('not_reopenable', WhatsAppConversation::afterClose($now - $day, $now, 7, false), 'osTicket\'s status, department or topic says no');
        $this->assertSame('off', WhatsAppConversation::afterClose($now - 60, $now, 0, true), '0 = always a new ticket, without a note');
    }

    public function testARatingIsOnlyANumberFromOneToFiveOrStars()
    {
        foreach (['5' => 5, ' 1 ' => 1, '4!' => 4, '3/5' => 3, '2 / 5.' => 2, "\u{2B50}\u{2B50}\u{2B50}" => 3, "\u{2B50}\u{FE0F}" => 1, "5\u{FE0F}\u{20E3}" => 5, "3\u{20E3}" => 3] as $text => $stars) {
            $this->assertSame($stars, WhatsAppConversation::rating(['type' => 'text', 'text' => (string) $text]), (string) $text);
        }
        foreach (['0', '6', '10', '5 stars please fix X', 'Note 5', '5 Sterne', '', "\u{2B50}\u{2B50}\u{2B50}\u{2B50}\u{2B50}\u{2B50}"] as $text) {
            $this->assertNull(WhatsAppConversation::rating(['type' => 'text', 'text' => $text]), $text);
        }
        $this->assertNull(WhatsAppConversation::rating(['type' => 'image', 'text' => '5']), 'a caption is content');
        $this->assertNull(WhatsAppConversation::rating(['type' => 'text', 'text' => '5', 'edited' => true]), 'an edit is content');
    }
}
