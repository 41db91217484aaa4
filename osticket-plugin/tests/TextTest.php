<?php
use PHPUnit\Framework\TestCase;

final class TextTest extends TestCase
{
    public function testFourByteCharactersSurviveAThreeByteConnection()
    {
        $text = 'Drucker 🖨️ kaputt 😀 — Grüße';
        $safe = WhatsAppText::safeForUtf8mb3($text);
        $this->assertSame(0, preg_match('/[\x{10000}-\x{10FFFF}]/u', $safe), 'no 4-byte characters left');
        $this->assertStringContainsString('&#x1F5A8;', $safe);
        $this->assertStringContainsString('Grüße', $safe, '3-byte characters stay as they are');
        $this->assertSame($text, WhatsAppText::fromUtf8mb3($safe));
    }

    public function testEmojiAreNamedForOsTicket()
    {
        $this->assertSame('Daumen [thumbs up sign] [printer]️ Ende', WhatsAppText::readable('Daumen 👍🏽 🖨️ Ende'));
    }

    /** A 60,000-character German text is 78,740 bytes: it must reach the ticket whole, in parts that each fit. */
    public function testLongTextIsSplitByStoredBytesAndNothingIsLost()
    {
        $word = 'Größenänderung ';
        $text = str_repeat($word, 4000);
        $this->assertSame(60000, mb_strlen($text));
        $parts = WhatsAppText::parts($text);
        $this->assertCount(2, $parts);
        $this->assertSame($text, implode('', $parts));
        foreach ($parts as $part) {
            $this->assertLessThanOrEqual(WhatsAppText::MAX_BODY_BYTES, WhatsAppText::storedBytes($part));
            $this->assertStringEndsWith(' ', $parts[0], 'split at a word break');
        }
        // Escaping counts: 20,000 "<" are 80,000 bytes once osTicket stored them as "&lt;".
        $angles = str_repeat('<', 20000);
        $this->assertSame(80000, WhatsAppText::storedBytes($angles));
        $this->assertSame($angles, implode('', WhatsAppText::parts($angles)));
        $this->assertCount(2, WhatsAppText::parts($angles));
        $this->assertSame(['kurz'], WhatsAppText::parts('kurz'));
    }

    public function testEveryMessageFieldIsTypeAndLengthChecked()
    {
        $ok = ['id' => '3EB0X', 'chat' => '491701234567', 'phone' => '491701234567', 'name' => 'Max', 'timestamp' => 1, 'type' => 'text', 'text' => 'Hallo', 'edited' => false];
        $this->assertSame([], WhatsAppMessageCheck::errors($ok));
        $this->assertSame([], WhatsAppMessageCheck::errors(['id' => 'X', 'chat' => 'lid:123456789012345', 'phone' => null]));
        $this->assertSame(['text must be a string'], WhatsAppMessageCheck::errors(['text' => ['a']] + $ok));
        $this->assertSame(['name must be a string'], WhatsAppMessageCheck::errors(['name' => ['Max']] + $ok));
        $this->assertSame(['id is required'], WhatsAppMessageCheck::errors(array_diff_key($ok, ['id' => 1])));
        $this->assertSame(['chat must be phone digits, lid:<digits> or bsuid:<id>'], WhatsAppMessageCheck::errors(['chat' => '0171'] + $ok));
        $this->assertSame([], WhatsAppMessageCheck::errors(['chat' => 'bsuid:DE.13491208655302741918', 'phone' => null] + $ok));
        $this->assertSame(['edited must be true or false'], WhatsAppMessageCheck::errors(['edited' => 'yes'] + $ok));
        $this->assertSame(['timestamp must be a whole number'], WhatsAppMessageCheck::errors(['timestamp' => '1'] + $ok));
        $this->assertStringStartsWith('type must be one of', WhatsAppMessageCheck::errors(['type' => 'fax'] + $ok)[0]);
        $this->assertSame(['text must be at most 65536 characters'], WhatsAppMessageCheck::errors(['text' => str_repeat('a', 65537)] + $ok));
        $this->assertSame(['text must be UTF-8'], WhatsAppMessageCheck::errors(['text' => "\xff"] + $ok));
        $this->assertSame(['message must be an object'], WhatsAppMessageCheck::errors('x'));
        $this->assertSame([], WhatsAppMessageCheck::errors(['type' => 'edit', 'ref' => '3EB0A', 'text' => 'neu'] + $ok));
        $this->assertSame(['ref is required for delete'], WhatsAppMessageCheck::errors(['type' => 'delete'] + $ok));
        $this->assertSame(['ref_key must be a string'], WhatsAppMessageCheck::errors(['type' => 'reaction', 'ref' => 'X', 'ref_key' => 5] + $ok));
    }

    public function testNotesQuoteAMessageOnOneShortLine()
    {
        $this->assertSame('Drucker druckt nicht mehr', WhatsAppText::excerpt("Drucker\n  druckt nicht\tmehr "));
        $this->assertSame(str_repeat('ä', 79) . '…', WhatsAppText::excerpt(str_repeat('ä', 100)));
    }

    public function testFaultInjectionIsInertWithoutTheTestConstant()
    {
        $this->assertFalse(defined('WHATSAPP_FAULT_FILE'));
        WhatsAppFault::at('after_log'); // would kill this process if it were armed
        $this->assertContains('before_processed', WhatsAppFault::STEPS);
    }

    public function testSubjectIsTheFirstLineShortened()
    {
        $this->assertSame('Drucker druckt nicht', WhatsAppText::subject("Drucker druckt nicht\nDetails", 'x'));
        $this->assertSame('Fallback', WhatsAppText::subject('   ', 'Fallback'));
        $this->assertSame(60, mb_strlen(WhatsAppText::subject(str_repeat('a', 100), 'x')));
    }

    public function testEmojiNamesBecomeEmojiAgainForTheCustomer()
    {
        $subject = WhatsAppText::readable('Drucker 🖨️ kaputt 😀');
        $this->assertSame('Drucker [printer]️ kaputt [grinning face]', $subject);
        $this->assertSame('Drucker 🖨️ kaputt 😀', WhatsAppText::withEmoji($subject));
        $this->assertSame('[Hinweis] [a] [latin small letter a] [x', WhatsAppText::withEmoji('[Hinweis] [a] [latin small letter a] [x'), 'other brackets stay');
    }

    public function testLazyTextIsMadeWhenPrintedAndOnce()
    {
        $made = 0;
        $text = new WhatsAppLazyText(function () use (&$made) {
            $made++;
            return 'state now';
        });
        $this->assertSame(0, $made);
        $this->assertSame('state now', (string) $text);
        $this->assertSame('state now', (string) $text);
        $this->assertSame(1, $made);
    }

    public function testSubjectsNeverStartWithWhatOsTicketRefusesAsAFormula()
    {
        $fallback = 'WhatsApp-Nachricht von +49171';
        $this->assertSame('Drucker geht nicht', WhatsAppText::subject("- Drucker geht nicht\nmehr", $fallback));
        $this->assertSame('49 171 2345678 bitte Rückruf', WhatsAppText::subject('+49 171 2345678 bitte Rückruf', $fallback));
        $this->assertSame('SUMME(A1)', WhatsAppText::subject('=SUMME(A1)', $fallback));
        $this->assertSame('Support', WhatsAppText::subject(' @ Support', $fallback));
        $this->assertSame($fallback, WhatsAppText::subject('-+=@', $fallback));
        $this->assertSame('Max', WhatsAppText::safeLine('@Max'));
    }

    public function testTextIsEscapedSoThatNothingAfterALessThanIsLost()
    {
        $this->assertSame('a&lt;b &amp;lt; &quot;c&quot; &gt;', WhatsAppText::escaped('a<b &lt; "c" >'));
        $this->assertSame(strlen('a&lt;b'), WhatsAppText::storedBytes('a<b'));
    }
}
