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

    public function testHtmlBodyEscapesNamesEmojiAndKeepsLines()
    {
        $this->assertSame("&lt;b&gt;Hallo&lt;/b&gt; [grinning face]<br>\nZeile 2", WhatsAppText::toHtml("<b>Hallo</b> 😀\nZeile 2"));
        $this->assertSame('Daumen [thumbs up sign] [printer]️ Ende', WhatsAppText::readable('Daumen 👍🏽 🖨️ Ende'));
    }

    public function testSubjectIsTheFirstLineShortened()
    {
        $this->assertSame('Drucker druckt nicht', WhatsAppText::subject("Drucker druckt nicht\nDetails", 'x'));
        $this->assertSame('Fallback', WhatsAppText::subject('   ', 'Fallback'));
        $this->assertSame(60, mb_strlen(WhatsAppText::subject(str_repeat('a', 100), 'x')));
    }
}
