<?php
use PHPUnit\Framework\TestCase;

/** What a customer controls, made safe for the osTicket sinks that print it as HTML. */
final class SafeStringsTest extends TestCase
{
    public function testANameThatIsMarkupBecomesText()
    {
        foreach (['<img src=x onerror=alert(1)>', '&lt;svg onload=alert(1)&gt;', '&amp;lt;svg onload=alert(1)>', '"><svg onload=alert(1)>', "<script src=//x.yz/a>"] as $name) {
            $clean = WhatsAppText::personName($name);
            $this->assertSame(0, preg_match('/[<>&"]/', $clean), $name . ' -> ' . $clean);
            // osTicket decodes entities once more (class.user.php: htmldecode): still nothing to run.
            $this->assertSame(0, preg_match('/[<>]/', html_entity_decode($clean, ENT_QUOTES | ENT_HTML5, 'UTF-8')));
        }
        $this->assertSame('img src=x onerror=alert(1)', WhatsAppText::personName('<img src=x onerror=alert(1)>'));
    }

    public function testOrdinaryNamesStayAsTheyAre()
    {
        $this->assertSame('Jürgen Müller-Lüdenscheidt', WhatsAppText::personName('Jürgen Müller-Lüdenscheidt'));
        $this->assertSame("O'Brien [smiling face with smiling eyes]", WhatsAppText::personName("O'Brien 😊"));
        $this->assertSame('Max', WhatsAppText::personName("=Max"));
    }

    public function testTheFileTypeComesFromTheBytesAndOnlyRasterPicturesShowInline()
    {
        $this->assertSame('image/png', WhatsAppFileType::forOsTicket('image/png', 'image/png'));
        $this->assertSame('application/pdf', WhatsAppFileType::forOsTicket('image/jpeg', 'application/pdf'), 'the bytes decide');
        $this->assertSame('text/html', WhatsAppFileType::forOsTicket('text/html;image/png', null), 'the type, not what its parameters say');
        $this->assertSame('audio/ogg', WhatsAppFileType::forOsTicket('audio/ogg; codecs=opus', 'application/octet-stream'), 'unrecognised bytes keep the claimed type');
        $this->assertSame('application/octet-stream', WhatsAppFileType::forOsTicket('image/png<script>', null));
        $this->assertSame('application/octet-stream', WhatsAppFileType::forOsTicket('image/svg+xml', 'image/svg+xml'), 'an SVG can carry script');
        $this->assertSame('text/html', WhatsAppFileType::forOsTicket('image/png', 'text/html'), 'served as a download, never inline');
    }
}
