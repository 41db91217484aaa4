<?php
use PHPUnit\Framework\TestCase;

final class CommandParserTest extends TestCase
{
    private function parser()
    {
        return new WhatsAppCommandParser(array_merge(['SCHLIESSEN'], WhatsAppCommandParser::lines("Danke\nErledigt\n\nGeloest\n")), 'Ticket-Wechsel');
    }

    public function testTheWholeMessageMustBeAKeyword()
    {
        foreach (['SCHLIESSEN', 'schliessen', 'schließen', 'Schließen!', '  Danke!  ', 'danke.', 'Erledigt!!', 'Gelöst', 'GELOEST ?', 'Geloest', "Danke\n"] as $text) {
            $this->assertSame(['type' => 'close'], $this->parser()->parse($text), $text);
        }
        foreach (['Danke, aber es geht immer noch nicht', 'Danke für nichts', 'Nicht erledigt', 'schliessen bitte nicht', ''] as $text) {
            $this->assertSame(['type' => 'message'], $this->parser()->parse($text), $text);
        }
    }

    public function testOptOutAndOptInAreOneWordInAnyCaseAndNeverPartOfASentence()
    {
        foreach (['de', 'en'] as $language) {
            $parser = WhatsAppCommandParser::fromTexts(WhatsAppTemplates::defaults($language));
            foreach (['STOP', 'stop', 'Stopp!', ' abmelden ', 'Unsubscribe.'] as $text) {
                $this->assertSame(['type' => 'optout'], $parser->parse($text), "$language: $text");
            }
            foreach (['START', 'start', 'Anmelden'] as $text) {
                $this->assertSame(['type' => 'optin'], $parser->parse($text), "$language: $text");
            }
            foreach (['Stop the printer', 'bitte nicht abmelden', 'STOP STOP', 'Start again'] as $text) {
                $this->assertSame(['type' => 'message'], $parser->parse($text), "$language: $text");
            }
        }
        // An administrator's own list: only its words.
        $parser = WhatsAppCommandParser::fromTexts(['optout_keywords' => "HALT\n", 'optin_keywords' => 'WEITER'] + WhatsAppTemplates::defaults('de'));
        $this->assertSame(['type' => 'optout'], $parser->parse('halt'));
        $this->assertSame(['type' => 'message'], $parser->parse('STOP'));
        $this->assertSame(['type' => 'optin'], $parser->parse('weiter'));
    }

    public function testOptOutIsACommandOnlyAsAFreshText()
    {
        $parser = WhatsAppCommandParser::fromTexts(WhatsAppTemplates::defaults('de'));
        $this->assertSame('optout', WhatsAppConversation::decide(['type' => 'text', 'text' => 'STOP'], true, $parser)['action']);
        $this->assertSame('optout', WhatsAppConversation::decide(['type' => 'text', 'text' => 'STOP'], false, $parser)['action']);
        $this->assertSame('append', WhatsAppConversation::decide(['type' => 'text', 'text' => 'STOP', 'edited' => true], true, $parser)['action'], 'an edit is content');
        $this->assertSame('open', WhatsAppConversation::decide(['type' => 'image', 'text' => 'STOP'], false, $parser)['action'], 'a caption is content');
    }

    public function testTheGermanDefaultsMatchWithOrWithoutUmlauts()
    {
        $d = WhatsAppTemplates::defaults('de');
        $parser = new WhatsAppCommandParser(array_merge([$d['close_keyword']], WhatsAppCommandParser::lines($d['close_keywords_alt'])), $d['switch_keyword']);
        foreach (['Gelöst', 'Geloest', 'SCHLIESSEN', 'schließen'] as $text) {
            $this->assertSame(['type' => 'close'], $parser->parse($text), $text);
        }
    }

    public function testSwitchTakesTheTicketNumberInCommonSpellings()
    {
        foreach (['Ticket-Wechsel #FFK-123456', 'ticket-wechsel FFK-123456', 'Ticket-Wechsel: #ffk-123456', 'TICKET-WECHSEL   #FFK-123456.'] as $text) {
            $this->assertSame(['type' => 'switch', 'number' => 'FFK-123456'], $this->parser()->parse($text), $text);
        }
        $this->assertSame(['type' => 'switch', 'number' => '123456'], $this->parser()->parse('Ticket-Wechsel #123456'));
        $this->assertSame(['type' => 'message'], $this->parser()->parse('Ticket-Wechsel'));
        $this->assertSame(['type' => 'message'], $this->parser()->parse('Ticket-Wechsel #1 und #2'));
    }
}
