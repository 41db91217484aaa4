<?php
use PHPUnit\Framework\TestCase;

final class TemplatesTest extends TestCase
{
    /** The specification's example, in proper German (it writes "fuer" only to stay ASCII). */
    public function testGermanConfirmationIsTheSpecificationsExample()
    {
        $text = WhatsAppTemplates::render(WhatsAppTemplates::defaults('de_DE')['confirm_message'], [
            'name' => 'Max', 'ticket_number' => 'FFK-123456', 'close_keyword' => 'SCHLIESSEN', 'switch_keyword' => 'Ticket-Wechsel',
        ]);
        $expected = "Vielen Dank für Ihre Nachricht, Max!\n\nIhr Ticket wurde erstellt.\nTicket-Nummer: #FFK-123456\n\n"
            . "*Wichtig:* Sie können über WhatsApp immer nur ein Ticket gleichzeitig bearbeiten.\nAlle Ihre Nachrichten werden diesem Ticket zugeordnet.\n\n"
            . "Um zu einem anderen Ticket zu wechseln, senden Sie:\nTicket-Wechsel #[Ihre-Ticketnummer]\n\n"
            . "Um dieses Ticket zu schließen, senden Sie:\nSCHLIESSEN\n\nWir melden uns schnellstmöglich bei Ihnen.";
        $this->assertSame($expected, $text);
    }

    public function testMediaReplyAndMailtoLinkAsInTheSpecification()
    {
        $d = WhatsAppTemplates::defaults('de');
        $link = WhatsAppTemplates::emailLink('support@example.com', WhatsAppTemplates::render($d['mail_subject'], ['ticket_number' => 'FFK-123456']));
        $this->assertSame('mailto:support@example.com?subject=Anhang%20zu%20Ticket%20%23FFK-123456', $link);
        $text = WhatsAppTemplates::render($d['media_reply'], ['ticket_number' => 'FFK-123456', 'support_email' => 'support@example.com', 'email_link' => $link]);
        $this->assertStringContainsString("Bitte senden Sie Ihre Datei per E-Mail an:\nsupport@example.com", $text);
        $this->assertStringContainsString("Oder klicken Sie hier:\n$link", $text);
    }

    public function testAFileNotTakenTellsTheCustomerWhyAndByHowMuch()
    {
        foreach (['de' => 'sie ist 1.4 MB groß, erlaubt sind 1 MB (441 KB zu viel)', 'en' => 'it is 1.4 MB, the limit is 1 MB (441 KB too large)'] as $language => $expected) {
            $reason = WhatsAppTemplates::customerMediaReason('too_large', $language, [
                'size' => WhatsAppTemplates::fileSize(1500000), 'max' => WhatsAppTemplates::fileSize(1048576), 'over' => WhatsAppTemplates::fileSize(1500000 - 1048576),
            ]);
            $this->assertSame($expected, $reason);
            $d = WhatsAppTemplates::defaults($language);
            $text = WhatsAppTemplates::render($d['media_not_taken'], ['file' => 'video.mp4', 'reason' => $reason, 'ticket_number' => '123456',
                'support_email' => 'support@example.com', 'mail_subject' => 'Ticket #123456', 'email_link' => 'mailto:support@example.com?subject=Ticket%20%23123456']);
            $this->assertStringContainsString($expected, $text);
            $this->assertStringContainsString('support@example.com', $text);
            $this->assertStringNotContainsString('{', $text, 'every placeholder filled');
        }
        $this->assertNull(WhatsAppTemplates::customerMediaReason('disabled', 'en'), 'an administrator\'s setting is not the customer\'s business');
    }

    public function testAgentReplyFormatAndLanguageChoice()
    {
        $vars = ['ticket_number' => 'FFK-123456', 'ticket_subject' => 'Drucker funktioniert nicht', 'message' => 'Haben Sie ihn neu gestartet?'];
        $this->assertSame("*Antwort zu Ticket #FFK-123456 - Drucker funktioniert nicht*\n\nHaben Sie ihn neu gestartet?\n\n_Ihr Support-Team_",
            WhatsAppTemplates::render(WhatsAppTemplates::defaults('de')['reply_message'], $vars));
        $this->assertStringStartsWith('*Reply to ticket #FFK-123456', WhatsAppTemplates::render(WhatsAppTemplates::defaults('en_US')['reply_message'], $vars));
        $this->assertSame('de', WhatsAppTemplates::language('de_AT'));
        $this->assertSame('en', WhatsAppTemplates::language('fr'));
        $this->assertSame(array_keys(WhatsAppTemplates::DE), array_keys(WhatsAppTemplates::EN), 'both languages define every text');
        $this->assertSame('Hallo {unknown}', WhatsAppTemplates::render('Hallo {unknown}', ['name' => 'x']));
    }

    public function testATextLeftAsADefaultOfEitherLanguageIsTheDefault()
    {
        $this->assertTrue(WhatsAppTemplates::isDefault('confirm_message', str_replace("\n", "\r\n", WhatsAppTemplates::EN['confirm_message'])), 'as a browser sends a textarea');
        $this->assertTrue(WhatsAppTemplates::isDefault('close_keyword', 'SCHLIESSEN'));
        $this->assertFalse(WhatsAppTemplates::isDefault('close_keyword', 'ZU'));
        $this->assertSame("a\nb\nc", WhatsAppTemplates::lines("a\r\nb\rc"));
        foreach (WhatsAppTemplates::CUSTOMER_KEYS as $key) {
            $this->assertArrayHasKey($key, WhatsAppTemplates::DE, $key);
        }
    }

    public function testBothLanguagesCommandsWorkWithEitherLanguagesDefaults()
    {
        foreach (['de', 'en'] as $language) {
            $parser = WhatsAppCommandParser::fromTexts(WhatsAppTemplates::defaults($language));
            foreach (['SCHLIESSEN', 'Danke', 'erledigt', 'Gelöst', 'CLOSE', 'thanks', 'Thank you!', 'Done', 'solved'] as $text) {
                $this->assertSame(['type' => 'close'], $parser->parse($text), "$language: $text");
            }
            foreach (['Ticket-Wechsel #123456', 'Switch-Ticket #123456', 'switch-ticket: 123456'] as $text) {
                $this->assertSame(['type' => 'switch', 'number' => '123456'], $parser->parse($text), "$language: $text");
            }
        }
    }
}
