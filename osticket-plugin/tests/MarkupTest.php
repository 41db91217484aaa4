<?php
use PHPUnit\Framework\TestCase;

final class MarkupTest extends TestCase
{
    public function testAgentReplyKeepsParagraphsWithoutHardWrapping()
    {
        $long = str_repeat('Dieser Absatz ist lang und darf auf dem Telefon nicht nach neunzig Zeichen umbrochen werden. ', 3);
        $text = WhatsAppMarkup::toWhatsApp('<p>Hallo Herr M&uuml;ller,</p><p>' . $long . '</p><p>Zeile eins<br>Zeile zwei</p>');
        $this->assertSame("Hallo Herr Müller,\n\n" . trim($long) . "\n\nZeile eins\nZeile zwei", $text);
    }

    public function testListsLinksAndEmphasisBecomeWhatsAppText()
    {
        $html = '<ul><li>Drucker <b>neu starten</b></li><li>Treiber <em>aktualisieren</em><ul><li>Version 2</li></ul></li></ul>'
            . '<ol><li>eins</li><li>zwei</li></ol>'
            . '<p>Siehe <a href="https://example.com/hilfe">unsere Hilfe</a>, <a href="https://example.com">https://example.com</a>'
            . ' oder <a href="mailto:support@example.com">support@example.com</a>. <s>alt</s> <strong> fett </strong></p>';
        $this->assertSame(
            "• Drucker *neu starten*\n• Treiber _aktualisieren_\n  • Version 2\n\n1. eins\n2. zwei\n\n"
            . "Siehe unsere Hilfe (https://example.com/hilfe), https://example.com oder support@example.com. ~alt~ *fett*",
            WhatsAppMarkup::toWhatsApp($html)
        );
    }

    public function testNoEntitiesNoScriptsAndQuotes()
    {
        $this->assertSame('A & B <c> "d" – é', WhatsAppMarkup::toWhatsApp('A &amp; B &lt;c&gt; &quot;d&quot; &ndash; &eacute;'));
        $this->assertSame('sichtbar', WhatsAppMarkup::toWhatsApp('<script>alert(1)</script><style>p{}</style>sichtbar'));
        $this->assertSame("Vorher\n\n> Zitat\n> zwei\n\nNachher", WhatsAppMarkup::toWhatsApp('Vorher<blockquote>Zitat<br>zwei</blockquote>Nachher'));
        $this->assertSame('klick', WhatsAppMarkup::toWhatsApp('<a href="javascript:alert(1)">klick</a>'));
        $this->assertSame('', WhatsAppMarkup::toWhatsApp(''));
    }
}
