<?php
/**
 * Agent replies and ticket closures out to WhatsApp, through the service's
 * /send-secure with an idempotency key. A message the service cannot take
 * now (down, wrong key or URL) stays 'pending', the settings page says why,
 * and osTicket's cron tries again: nothing is dropped. A message WhatsApp
 * will never take becomes an internal note, so the agent can call or write.
 */
final class WhatsAppOutbound
{
    /** Set while a customer's close command closes a ticket: they get the close answer instead. */
    public static $closedByCustomer = null;

    /**
     * @param callable $settingsOf instance id -> settings, or null while that instance is disabled:
     *   a reply leaves through the number the customer wrote to, whatever department the ticket is in now.
     */
    public static function onThreadEntry($entry, callable $settingsOf)
    {
        if (!$entry instanceof ThreadEntry || $entry->getType() !== 'R') {
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
        // Paragraphs, lists, links and emphasis as WhatsApp shows them; never hard-wrapped.
        $message = $body->getType() === 'html'
            ? WhatsAppMarkup::toWhatsApp($body->getClean())
            : html_entity_decode((string) $body->getClean(), ENT_QUOTES | ENT_HTML5, 'UTF-8');
        $settings = $settingsOf((int) $mapping['instance_id']);
        if ($settings === null) {
            // The number this customer wrote to is switched off: the agent hears it now, not never.
            $reason = 'the WhatsApp number of this conversation (plugin instance ' . $mapping['instance_id'] . ') is disabled';
            return self::noteOnTicket($ticket, 'WhatsApp message not sent', WhatsAppTemplates::defaults(WhatsAppDesk::language()), $reason, trim($message));
        }
        if (!$settings['notify_reply']) {
            return;
        }
        $mapping = WhatsAppOwner::follow($mapping, $ticket, $settings); // to the ticket's owner as it is now
        $text = WhatsAppTemplates::render($settings['texts']['reply_message'], [
            'ticket_number' => $ticket->getNumber(), 'ticket_subject' => WhatsAppText::withEmoji($ticket->getSubject()), 'message' => trim($message),
        ]);
        self::queue($mapping, $text, 'entry:' . $entry->getId(), $settings);
        // The reply's files after its text, each its own message with its own key and status.
        foreach ($entry->getAttachments() as $attachment) {
            $file = $attachment->inline ? null : self::file($attachment->file_id, $attachment->getFilename());
            if ($file) {
                self::queue($mapping, $file['name'], self::fileKey($entry->getId(), $attachment->file_id), $settings, $file);
            }
        }
    }

    /** "entry:<entry id>:file:<file id>": what cron needs to find the bytes again. */
    private static function fileKey($entryId, $fileId)
    {
        return sprintf('entry:%d:file:%d', $entryId, $fileId);
    }

    /** An osTicket file as the service takes it, or null when it is gone. */
    private static function file($fileId, $name = null)
    {
        $file = AttachmentFile::lookup((int) $fileId);
        return $file ? ['name' => $name ?: $file->getName(), 'type' => $file->getType() ?: 'application/octet-stream', 'data' => $file->getData()] : null;
    }

    public static function onObjectCreated($object, $data, callable $settingsOf)
    {
        if (!$object instanceof Ticket || !is_array($data) || !isset($data['type']) || $data['type'] !== 'closed') {
            return;
        }
        $mapping = WhatsAppStore::mappingForTicket($object->getId());
        // closeTicket() changes the mapping once: the signal may fire more than once for one close.
        if (!$mapping || !WhatsAppStore::closeTicket($object->getId()) || self::$closedByCustomer == $object->getId()) {
            return;
        }
        $settings = $settingsOf((int) $mapping['instance_id']);
        if ($settings && $settings['notify_close']) {
            $mapping = WhatsAppOwner::follow(WhatsAppStore::mapping($mapping['id']), $object, $settings);
            $text = WhatsAppTemplates::render($settings['texts']['closed_message'], [
                'ticket_number' => $object->getNumber(), 'ticket_subject' => WhatsAppText::withEmoji($object->getSubject()),
            ]);
            self::queue($mapping, $text, sprintf('closed:%d:%d', $object->getId(), time()), $settings);
        }
    }

    /** A `status` event from the service (docs/contract.md 2.2). */
    public static function onStatus(array $status, array $settings)
    {
        $key = $status['key'];
        $error = isset($status['error']) && is_string($status['error']) ? $status['error'] : null;
        $changed = WhatsAppStore::recordStatus($key, $status['state'], isset($status['whatsapp_id']) && is_string($status['whatsapp_id']) ? $status['whatsapp_id'] : null, $error);
        if ($changed && $status['state'] === 'failed') {
            self::tellTheAgent($key, $error ?: 'WhatsApp reported an error', $settings);
        }
    }

    /** osTicket's cron: hand this number's pending messages to its service again. */
    public static function retryPending(array $settings)
    {
        foreach (WhatsAppStore::pendingOutbound($settings['instance_id']) as $row) {
            $content = WhatsAppText::fromUtf8mb3($row['content']);
            $isFile = (bool) preg_match('/^entry:\d+:file:(\d+)$/', $row['message_id'], $m);
            $file = $isFile ? self::file($m[1], $content) : null;
            if ($isFile && !$file) {
                WhatsAppStore::update('out', $row['message_id'], ['status' => 'failed', 'error' => 'the file was deleted in osTicket before it could be sent']);
                self::tellTheAgent($row['message_id'], 'the file was deleted in osTicket before it could be sent', $settings);
                continue;
            }
            self::deliver($row['phone'], $file ? '' : $content, $row['message_id'], (int) $row['attempts'], $settings, $file);
        }
    }

    /** A text, or a file (`$text` then is its name, as logged). */
    private static function queue(array $mapping, $text, $key, array $settings, ?array $file = null)
    {
        $type = $file === null ? 'text' : (strpos($file['type'], 'image/') === 0 ? 'image' : 'document');
        // Logged first: if the service is down, the row is what cron retries.
        if (WhatsAppStore::log($settings['instance_id'], 'out', $mapping['phone'], $key, $type, $text, 'pending', $mapping['id'])) {
            self::deliver($mapping['phone'], $file === null ? $text : '', $key, 0, $settings, $file);
        }
    }

    private static function deliver($chat, $text, $key, $attempts, array $settings, ?array $file = null)
    {
        $client = new WhatsAppServiceClient($settings['service_url'], $settings['api_key']);
        $result = $client->send($chat, $text, $key, $file);
        $error = $result['error'] === null ? null : mb_substr((string) $result['error'], 0, 255);
        switch ($result['outcome']) {
            case 'queued':
                WhatsAppStore::update('out', $key, ['status' => 'queued', 'error' => null, 'attempts' => $attempts + 1]);
                WhatsAppServiceHealth::ok($settings['instance_id']);
                return;
            case 'failed':
                WhatsAppStore::update('out', $key, ['status' => 'failed', 'error' => $error, 'attempts' => $attempts + 1]);
                self::tellTheAgent($key, $error, $settings);
                return;
            default: // retry, configuration: kept for cron, and the administrator is told why
                WhatsAppStore::update('out', $key, ['status' => 'pending', 'error' => $error, 'attempts' => $attempts + 1]);
                WhatsAppServiceHealth::problem($settings['instance_id'], $result['outcome'] === 'configuration'
                    ? 'The WhatsApp service refused the plugin (' . $error . '): check the API Key and Service URL. Replies wait and are sent once it is fixed.'
                    : 'The WhatsApp service cannot be reached (' . $error . '). Replies wait and are sent from osTicket\'s cron once it is back.');
        }
    }

    /** The customer did not get a message: an internal note on the ticket says so, with the text. */
    private static function tellTheAgent($key, $reason, array $settings)
    {
        $row = WhatsAppStore::outbound($key);
        $mapping = $row && $row['mapping_id'] ? WhatsAppStore::mapping($row['mapping_id']) : null;
        $ticket = $mapping ? WhatsAppDesk::ticket($mapping['ticket_id']) : null;
        if (!$ticket) {
            return;
        }
        self::noteOnTicket($ticket, 'WhatsApp message not delivered', $settings['staff'], $reason, WhatsAppText::fromUtf8mb3($row['content']));
    }

    /** The internal note that tells agents a message did not reach the customer, with why and what. */
    private static function noteOnTicket(Ticket $ticket, $title, array $texts, $reason, $message)
    {
        WhatsAppDesk::note($ticket, $title, WhatsAppTemplates::render($texts['failed_note'], ['reason' => $reason, 'message' => $message]));
    }
}
