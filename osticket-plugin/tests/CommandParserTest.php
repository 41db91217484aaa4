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
