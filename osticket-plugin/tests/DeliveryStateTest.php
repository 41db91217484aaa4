<?php
use PHPUnit\Framework\TestCase;

final class DeliveryStateTest extends TestCase
{
    private static function row($key, $status, array $more = [])
    {
        return $more + ['message_id' => $key, 'type' => 'text', 'content' => 'Hallo', 'status' => $status, 'error' => null,
            'created_at' => 1700000000, 'sent_at' => null, 'delivered_at' => null, 'read_at' => null];
    }

    private static function states(array $rows, array $answered = [], $locale = 'en')
    {
        return WhatsAppDeliveryState::forTicket($rows, $answered, WhatsAppStaffTexts::of($locale), function ($unix) {
            return gmdate('Y-m-d H:i', $unix);
        });
    }

    public function testEachReplyAndItsFilesUnderTheirEntryWithTheTimesWhatsAppReported()
    {
        $view = self::states([
            self::row('entry:12', 'read', ['sent_at' => 1700000000, 'delivered_at' => 1700000060, 'read_at' => 1700000120]),
            self::row('entry:12:file:7', 'delivered', ['type' => 'document', 'content' => 'Anleitung.pdf', 'sent_at' => 1700000001, 'delivered_at' => 1700000061]),
        ]);
        $this->assertSame([12], array_keys($view['entries']));
        list($reply, $file) = $view['entries'][12];
        $this->assertSame(['read', 'reply', 'read'], [$reply['state'], $reply['kind'], $reply['label']]);
        $this->assertSame("Sent: 2023-11-14 22:13\nDelivered: 2023-11-14 22:14\nRead: 2023-11-14 22:15", $reply['title']);
        $this->assertSame(['delivered', 'File delivered'], [$file['state'], $file['label']]);
        $this->assertStringStartsWith("Anleitung.pdf\nSent: ", $file['title']);
        $this->assertSame('read', $view['last'], 'the ticket\'s last reply, not its file');
    }

    public function testAFailureSaysWhyAndTheNewestReplyDecidesTheTicketsState()
    {
        $view = self::states([
            self::row('entry:12', 'read'),
            self::row('entry:15', 'failed', ['error' => 'the number is not on WhatsApp']),
        ], [], 'de_DE');
        $this->assertSame('nicht zugestellt', $view['entries'][15][0]['label']);
        $this->assertSame('Grund: the number is not on WhatsApp', $view['entries'][15][0]['title']);
        $this->assertSame('failed', $view['last']);
    }

    public function testAnswersToTheCustomerSitUnderTheirMessageAndNoticesWithoutAnEntryAreLeftOut()
    {
        $view = self::states([
            self::row('reply:SANDBOXAB12:0', 'delivered'),
            self::row('reply:UNKNOWN:0', 'sent'),
            self::row('closed:5:1700000000', 'sent'),
            self::row('entry:20', 'pending'),
            self::row('entry:21', 'something new'),
        ], ['SANDBOXAB12' => 9]);
        $this->assertSame([9, 20, 21], array_keys($view['entries']));
        $this->assertSame(['answer', 'Answer delivered'], [$view['entries'][9][0]['kind'], $view['entries'][9][0]['label']]);
        $this->assertSame('The WhatsApp service has not taken the message yet.', $view['entries'][20][0]['title']);
        $this->assertSame('queued', $view['entries'][21][0]['state'], 'an unknown state is shown as queued, never as delivered');
    }

    public function testBothLanguagesHaveEveryTextAndEveryStateALabel()
    {
        $this->assertSame(array_keys(WhatsAppStaffTexts::DE), array_keys(WhatsAppStaffTexts::EN));
        foreach (WhatsAppDeliveryState::STATES as $state) {
            $this->assertArrayHasKey('state_' . $state, WhatsAppStaffTexts::EN);
        }
    }
}
