<?php
/**
 * Agent replies and ticket closures out to WhatsApp, through the service's
 * /send-secure with an idempotency key. A message the service cannot take
 * now stays 'pending' and osTicket's cron tries again: nothing is dropped.
 */
final class WhatsAppOutbound
{
    /** Set while a customer's close command closes a ticket: they get the close answer instead. */
    public static $closedByCustomer = null;

    public static function onThreadEntry($entry, array $settings)
    {
        if (!$entry instanceof ThreadEntry || $entry->getType() !== 'R' || !$settings['notify_reply']) {
            return; // internal notes (N) and customer messages (M) never go out
        }
        // An edit is created as a new entry whose parent is the edited reply: it was sent already.
        $parent = $entry->getPid() ? ThreadEntry::lookup($entry->getPid()) : null;
        if ($parent && $parent->getType() === 'R') {
            return;
        }
        $ticket = $entry->getThread() ? $entry->getThread()->getObject() : null;
        $mapping = $ticket instanceof Ticket ? WhatsAppStore::mappingForTicket($ticket->getId()) : null;
        if (!$mapping) {
            return; // not a WhatsApp ticket
        }
        $body = $entry->getBody();
        $message = $body->getType() === 'html' ? Format::html2text($body->getClean(), 90, false) : $body->getClean();
        $text = WhatsAppTemplates::render($settings['texts']['reply_message'], [
            'ticket_number' => $ticket->getNumber(), 'ticket_subject' => $ticket->getSubject(), 'message' => trim($message),
        ]);
        self::queue($mapping, $text, 'entry:' . $entry->getId(), $settings);
    }

    public static function onObjectCreated($object, $data, array $settings)
    {
        if (!$object instanceof Ticket || !is_array($data) || !isset($data['type']) || $data['type'] !== 'closed') {
            return;
        }
        $mapping = WhatsAppStore::mappingForTicket($object->getId());
        // closeTicket() changes the mapping once: the signal may fire more than once for one close.
        if (!$mapping || !WhatsAppStore::closeTicket($object->getId()) || self::$closedByCustomer == $object->getId()) {
            return;
        }
        if ($settings['notify_close']) {
            $text = WhatsAppTemplates::render($settings['texts']['closed_message'], [
                'ticket_number' => $object->getNumber(), 'ticket_subject' => $object->getSubject(),
            ]);
            self::queue($mapping, $text, sprintf('closed:%d:%d', $object->getId(), time()), $settings);
        }
    }

    /** osTicket's cron: hand pending messages to the service again. */
    public static function retryPending(array $settings)
    {
        foreach (WhatsAppStore::pendingOutbound() as $row) {
            self::deliver($row['phone'], WhatsAppText::fromUtf8mb3($row['content']), $row['message_id'], (int) $row['attempts'], $settings);
        }
    }

    private static function queue(array $mapping, $text, $key, array $settings)
    {
        // Logged first: if the service is down, the row is what cron retries.
        if (WhatsAppStore::log('out', $mapping['phone'], $key, 'text', $text, 'pending', $mapping['id'])) {
            self::deliver($mapping['phone'], $text, $key, 0, $settings);
        }
    }

    private static function deliver($chat, $text, $key, $attempts, array $settings)
    {
        $client = new WhatsAppServiceClient($settings['service_url'], $settings['api_key']);
        $result = $client->send($chat, $text, $key);
        if ($result['outcome'] === 'queued') {
            WhatsAppStore::update('out', $key, ['status' => 'queued', 'error' => null, 'attempts' => $attempts + 1]);
        } else {
            WhatsAppStore::update('out', $key, [
                'status' => $result['outcome'] === 'failed' ? 'failed' : 'pending',
                'error' => mb_substr((string) $result['error'], 0, 255),
                'attempts' => $attempts + 1,
            ]);
        }
    }
}
