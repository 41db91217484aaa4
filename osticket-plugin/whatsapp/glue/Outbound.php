<?php
/**
 * Agent replies and ticket closures out to WhatsApp, through the service's
 * /send-secure with an idempotency key. Agents never wait on the service: a
 * reply is written to the plugin's table as 'pending' in the agent's request
 * and handed over at its end — after the response where PHP-FPM can send it
 * first, otherwise within BOUND_SECONDS — and what is left is sent by
 * osTicket's cron. Per customer the oldest goes first, and nothing newer
 * overtakes what waits. A message the service cannot take now (down, wrong
 * key or URL) stays 'pending', the settings page says why; one WhatsApp will
 * never take becomes an internal note, so the agent can call or write.
 */
final class WhatsAppOutbound
{
    /** How long an agent's request may spend handing replies to the service (mod_php: before the page is sent). */
    const BOUND_SECONDS = 2.0;
    /** After the response (PHP-FPM): how long the worker may still spend handing replies over. */
    const AFTER_RESPONSE_SECONDS = 10.0;
    /** osTicket's cron: how long one run spends on one number's waiting replies. */
    const CRON_SECONDS = 50;
    /** The longest one call to the service may take: a hung service holds no worker for long. */
    const CALL_SECONDS = 5.0;
    /** No call is started with less time than this left. */
    const MIN_CALL_SECONDS = 1.0;

    /** Set while a customer's close command closes a ticket: they get the close answer instead. */
    public static $closedByCustomer = null;

    /** Conversations with replies written in this request: [settings, chat] by instance and chat. */
    private static $due = [];

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
            // Not a WhatsApp ticket — or one whose conversation was erased: then the agent hears it.
            // (A canned reply inside Ticket::create comes before the conversation: sent by sendEarlierReplies.)
            if ($ticket instanceof Ticket && !WhatsAppProgress::isMaking($ticket->getId()) && self::isGenerated($ticket->getEmail())
                    && !(preg_match('/^whatsapp\+(\d+)@/i', (string) $ticket->getEmail(), $m) && WhatsAppStore::optedOutAnywhere($m[1]))) { // (opted out: said when the ticket was opened)
                $texts = WhatsAppTemplates::defaults(WhatsAppDesk::language());
                self::noteOnTicket($ticket, 'WhatsApp message not sent', $texts, $texts['no_conversation_reason'], WhatsAppDesk::plainText($entry));
            }
            return;
        }
        $message = WhatsAppDesk::plainText($entry);
        $settings = $settingsOf((int) $mapping['instance_id']);
        if ($settings === null) {
            // The number this customer wrote to is switched off: the agent hears it now, not never.
            $reason = 'the WhatsApp number of this conversation (plugin instance ' . $mapping['instance_id'] . ') is disabled';
            return self::noteOnTicket($ticket, 'WhatsApp message not sent', WhatsAppTemplates::defaults(WhatsAppDesk::language()), $reason, $message);
        }
        if (!$settings['notify_reply']) {
            return;
        }
        $mapping = WhatsAppOwner::follow($mapping, $ticket, $settings); // to the ticket's owner as it is now
        if (($reason = self::optedOut($mapping, $settings)) !== null) {
            return self::noteOnTicket($ticket, 'WhatsApp message not sent', $settings['staff'], $reason, $message);
        }
        $text = WhatsAppTemplates::render($settings['texts']['reply_message'], [
            'ticket_number' => $ticket->getNumber(), 'ticket_subject' => WhatsAppText::withEmoji($ticket->getSubject()), 'message' => $message,
        ]);
        self::queue($mapping, $text, 'entry:' . $entry->getId(), $settings);
        // The reply's files after its text, each its own message with its own key and status.
        foreach ($entry->getAttachments() as $attachment) {
            if (!$attachment->inline && ($file = $attachment->getFile())) {
                self::queue($mapping, $attachment->getFilename(), self::fileKey($entry->getId(), $attachment->file_id), $settings, $file->getType() ?: 'application/octet-stream');
            }
        }
    }

    /** Whether this is an address the plugin generated (on any active instance's domain). */
    private static function isGenerated($address)
    {
        foreach (WhatsAppPlugin::emailDomains() as $domain) {
            if (WhatsAppMailGuard::isWhatsAppOnly($address, $domain)) {
                return true;
            }
        }
        return false;
    }

    /** "entry:<entry id>:file:<file id>": what cron needs to find the bytes again. */
    private static function fileKey($entryId, $fileId)
    {
        return sprintf('entry:%d:file:%d', $entryId, $fileId);
    }

    /** An osTicket file as the service client streams it (chunk by chunk, never whole in memory), or null when it is gone. */
    private static function file($fileId, $name = null)
    {
        $file = AttachmentFile::lookup((int) $fileId);
        if (!$file) {
            return null;
        }
        return ['name' => $name ?: $file->getName(), 'type' => $file->getType() ?: 'application/octet-stream', 'chunks' => function () use ($file) {
            $storage = $file->open();
            while (($chunk = $storage->read()) !== false && $chunk !== '') {
                yield $chunk;
            }
        }];
    }

    public static function onObjectCreated($object, $data, callable $settingsOf)
    {
        if (!$object instanceof Ticket || !is_array($data) || !isset($data['type']) || $data['type'] !== 'closed') {
            return;
        }
        if (self::onMaybeMerged($object, $settingsOf)) {
            return; // closed by a merge: the conversation went on in the parent
        }
        $mapping = WhatsAppStore::mappingForTicket($object->getId());
        // closeTicket() changes the mapping once: the signal may fire more than once for one close.
        if (!$mapping || !WhatsAppStore::closeTicket($object->getId()) || self::$closedByCustomer == $object->getId()) {
            return;
        }
        // A conversation the customer had switched away from: writing again goes to their other ticket, and no rating is asked.
        $wasActive = $mapping['status'] === 'open';
        $settings = $settingsOf((int) $mapping['instance_id']);
        $ask = $wasActive && $settings && $settings['csat'];
        if (!$settings || !($settings['notify_close'] || $ask)) {
            return;
        }
        $mapping = WhatsAppOwner::follow(WhatsAppStore::mapping($mapping['id']), $object, $settings);
        if (self::optedOut($mapping, $settings) !== null) {
            return; // (a close notice and a rating question are the business's word, not an answer)
        }
        if ($settings['notify_close']) {
            $text = WhatsAppTemplates::render($settings['texts']['closed_message'], [
                'ticket_number' => $object->getNumber(), 'ticket_subject' => WhatsAppText::withEmoji($object->getSubject()),
                'write_again' => WhatsAppDesk::writeAgain($object, $settings, $wasActive),
            ]);
            self::queue($mapping, $text, sprintf('closed:%d:%d', $object->getId(), time()), $settings);
        }
        global $thisstaff;
        if ($ask && ($question = self::askRating($mapping, $object, $settings, $thisstaff instanceof Staff ? $thisstaff->getId() : null))) {
            self::queue($mapping, $question[0], $question[1], $settings);
        }
    }

    /**
     * After a close (an agent's, or the customer's command: closed by 0): the rating question, once per
     * close, with a note on the ticket; [text, key], or null when ratings are off or the
     * customer opted out. Asked again for the same close (a retried webhook) it answers the same.
     */
    public static function askRating(array $mapping, Ticket $ticket, array $settings, $closedBy)
    {
        if (!$settings['csat'] || self::optedOut($mapping, $settings) !== null || $ticket->isChild()) {
            return null; // (a merge is not a resolution)
        }
        // One question per close: the close time and the last reopen time tell two closes apart, also within one second.
        $digits = function ($time) {
            return is_string($time) ? preg_replace('/\D/', '', $time) : '';
        };
        $key = sprintf('rating:%d:%s:%s', $ticket->getId(), $digits($ticket->getCloseDate()), $digits($ticket->getReopenDate()));
        WhatsAppStore::askRating($settings['instance_id'], $ticket->getId(), $mapping['phone'], $key, $closedBy, $ticket->getDeptId());
        WhatsAppDesk::note($ticket, $settings['staff']['whatsapp_title'], $settings['staff']['rating_asked_note'], 'SYSTEM', WhatsAppDesk::messageId($key, 'note'));
        return [WhatsAppTemplates::render($settings['texts']['csat_question'], [
            'ticket_number' => $ticket->getNumber(), 'ticket_subject' => WhatsAppText::withEmoji($ticket->getSubject()),
        ]), $key];
    }

    /**
     * A ticket was merged into another (osTicket closes the child, class.ticket.php merge()):
     * its conversations go on in the parent (followed up to the ticket that is not itself
     * merged), and a customer whose active ticket it was is told the new number — when that
     * ticket is open and belongs to the same customer. Otherwise the child's close is told
     * as any close, and the agents learn why. Whether the conversation went on (idempotent:
     * once moved, the child has none).
     */
    public static function onMaybeMerged(Ticket $child, callable $settingsOf)
    {
        $parent = $child;
        for ($hops = 0; $parent && $parent->getPid() && $parent->getMergeType() !== 'visual' && $hops < 10; $hops++) {
            $parent = Ticket::lookup($parent->getPid());
        }
        $rows = $parent && $parent !== $child ? WhatsAppStore::mappingsForTicket($child->getId()) : [];
        $moved = false;
        foreach ($rows as $mapping) {
            $settings = $settingsOf((int) $mapping['instance_id']);
            $texts = $settings ? $settings['staff'] : WhatsAppTemplates::defaults(WhatsAppDesk::language());
            $vars = ['old_ticket_number' => $child->getNumber(), 'ticket_number' => $parent->getNumber(), 'ticket_subject' => WhatsAppText::withEmoji($parent->getSubject())];
            $noteId = WhatsAppDesk::messageId(sprintf('merge.%d.%d', $child->getId(), $mapping['id']), 'note');
            if ((int) $parent->getOwnerId() !== (int) $mapping['user_id'] || $parent->isClosed()
                    || !($row = WhatsAppStore::moveToTicket($mapping, $parent->getId(), $parent->getNumber()))) {
                WhatsAppDesk::note($parent, $texts['whatsapp_title'], WhatsAppTemplates::render($texts['merge_not_moved_note'], $vars + ['user' => (string) $child->getOwner()->getName()]), 'SYSTEM', $noteId);
                continue; // the child's close goes to the customer as any close
            }
            $moved = true;
            WhatsAppDesk::note($parent, $texts['whatsapp_title'], WhatsAppTemplates::render($texts['merged_note'], $vars), 'SYSTEM', $noteId);
            if ($settings && $mapping['status'] === 'open' && self::optedOut($row, $settings) === null) {
                self::queue($row, WhatsAppTemplates::render($settings['texts']['merged_message'], $vars), sprintf('merged:%d:%d', $child->getId(), $mapping['id']), $settings);
            }
        }
        return $moved;
    }

    /**
     * Replies osTicket posted while it created the ticket, before its conversation existed
     * (a filter's canned reply, inside Ticket::create): sent now that it does. Idempotent.
     */
    public static function sendEarlierReplies(Ticket $ticket, callable $settingsOf)
    {
        foreach (ThreadEntry::objects()->filter(['thread_id' => $ticket->getThreadId(), 'type' => 'R'])->order_by('id') as $entry) {
            self::onThreadEntry($entry, $settingsOf);
        }
    }

    /** A `status` event from the service (docs/contract.md 2.2). */
    public static function onStatus(array $status, array $settings)
    {
        $key = $status['key'];
        $error = isset($status['error']) && is_string($status['error']) ? $status['error'] : null;
        $changed = WhatsAppStore::recordStatus($key, $status['state'], isset($status['whatsapp_id']) && is_string($status['whatsapp_id']) ? $status['whatsapp_id'] : null, $error,
            isset($status['timestamp']) && is_int($status['timestamp']) ? $status['timestamp'] : null);
        if ($changed) {
            self::showState($key);
        }
        if ($changed && $status['state'] === 'failed') {
            self::tellTheAgent($key, $error ?: 'WhatsApp reported an error', $settings);
        }
        if ($changed && $status['state'] === 'held') {
            self::tellTheAgent($key, $error ?: 'outside WhatsApp\'s 24-hour window', $settings, 'held_note');
        }
    }

    /** osTicket's cron: hand this number's waiting replies to its service, per customer in order. */
    public static function retryPending(array $settings)
    {
        self::deliverWaiting($settings, self::CRON_SECONDS);
    }

    /**
     * The service said hello (it started or reconnected): this number's waiting replies are handed
     * over now, per customer in order, within `$seconds`. Returns how many it took.
     */
    public static function deliverWaiting(array $settings, $seconds)
    {
        $deadline = microtime(true) + $seconds;
        $handed = 0;
        foreach (self::waitingChats($settings, 500) as $chat) {
            $handed += self::deliverChat($settings, $chat, $deadline);
        }
        return $handed;
    }

    /** Any call from the service: this number's waiting replies (if any) follow at the end of the request. */
    public static function deliverWaitingSoon(array $settings)
    {
        foreach (self::waitingChats($settings, 50) as $chat) {
            self::deliverSoon($settings, $chat);
        }
    }

    /** The customers of this number with replies waiting, oldest first (among the first `$rows` waiting replies). */
    private static function waitingChats(array $settings, $rows)
    {
        return array_unique(array_column(WhatsAppStore::pendingOutbound($settings['instance_id'], $rows), 'phone'));
    }

    /** Why nothing the business starts may go to this conversation's customer (they wrote STOP), or null. */
    public static function optedOut(array $mapping, array $settings)
    {
        $at = WhatsAppStore::optedOutAt($mapping['instance_id'], $mapping['phone']);
        return $at === null ? null : WhatsAppTemplates::render($settings['staff']['optout_reason'], ['time' => Format::datetime($at, false)]);
    }

    /** A text for the customer of this conversation, sent once per key (after what waits for them). */
    public static function tell(array $mapping, $text, $key, array $settings)
    {
        self::queue($mapping, $text, $key, $settings);
    }

    /** A text, or a file (`$text` then is its name, as logged): written now, handed over at the end of the request. */
    private static function queue(array $mapping, $text, $key, array $settings, $fileType = null)
    {
        $type = $fileType === null ? 'text' : (strpos($fileType, 'image/') === 0 ? 'image' : 'document');
        if (WhatsAppStore::log($settings['instance_id'], 'out', $mapping['phone'], $key, $type, $text, 'pending', $mapping['id'])) {
            self::showState($key);
            self::deliverSoon($settings, $mapping['phone']);
        }
    }

    /**
     * An agent's reply changed its state: the ticket's "WhatsApp" field says what became of its
     * newest reply, read again under the ticket's lock (status reports of one ticket may come in parallel).
     */
    private static function showState($key)
    {
        if (!preg_match('/^entry:\d+$/', $key) || !($row = WhatsAppStore::outbound($key)) || !($mapping = WhatsAppStore::mapping($row['mapping_id']))) {
            return;
        }
        $lock = 'state:' . $mapping['ticket_id'];
        if (!WhatsAppStore::lock($lock, 5)) {
            return; // the next report writes it
        }
        try {
            $newest = WhatsAppStore::newestReplyOfTicket($mapping['ticket_id']);
            if ($newest !== null) {
                WhatsAppTicketFields::recordLastReply($mapping['ticket_id'], WhatsAppStore::outbound($newest)['status']);
            }
        } finally {
            WhatsAppStore::unlock($lock);
        }
    }

    private static function deliverSoon(array $settings, $chat)
    {
        if (!self::$due) {
            register_shutdown_function([__CLASS__, 'deliverDue']);
        }
        self::$due[$settings['instance_id'] . ':' . $chat] = [$settings, $chat];
    }

    /** At the end of the request: after the response where PHP-FPM allows it, else within a short bound. */
    public static function deliverDue()
    {
        $after = function_exists('fastcgi_finish_request') && fastcgi_finish_request();
        $deadline = microtime(true) + ($after ? self::AFTER_RESPONSE_SECONDS : self::BOUND_SECONDS);
        foreach (self::$due as list($settings, $chat)) {
            self::deliverChat($settings, $chat, $deadline);
        }
        self::$due = [];
    }

    /**
     * Hands one customer's waiting messages to the service, oldest first, until
     * one cannot go now (it and everything after it wait: order is kept) or the
     * deadline is reached. Returns how many the service took.
     */
    private static function deliverChat(array $settings, $chat, $deadline)
    {
        $handed = 0;
        foreach (WhatsAppStore::pendingOutbound($settings['instance_id'], 50, $chat) as $row) {
            $left = $deadline - microtime(true);
            if ($left < self::MIN_CALL_SECONDS) {
                return $handed; // a call cut short would look like a service that cannot be reached
            }
            $content = WhatsAppText::fromUtf8mb3($row['content']);
            // Written before the customer wrote STOP: it stays with the agents now.
            if (($reason = self::optedOut(['instance_id' => $settings['instance_id'], 'phone' => $chat], $settings)) !== null) {
                WhatsAppStore::update('out', $row['message_id'], ['status' => 'failed', 'error' => mb_substr($reason, 0, 255)]);
                if (!((int) $row['attempts'] > 0 && self::waitedNoteFailed($row['message_id'], $reason, $settings))) {
                    self::tellTheAgent($row['message_id'], $reason, $settings);
                }
                self::showState($row['message_id']);
                continue;
            }
            $file = null;
            if (preg_match('/^entry:\d+:file:(\d+)$/', $row['message_id'], $m) && !($file = self::file($m[1], $content))) {
                WhatsAppStore::update('out', $row['message_id'], ['status' => 'failed', 'error' => 'the file was deleted in osTicket before it could be sent']);
                self::tellTheAgent($row['message_id'], 'the file was deleted in osTicket before it could be sent', $settings);
                continue;
            }
            $outcome = self::deliver($chat, $file ? '' : $content, $row['message_id'], (int) $row['attempts'], $settings, $file, min($left, $file ? self::CRON_SECONDS : self::CALL_SECONDS), $row['ticket_number']);
            if ($outcome === 'wait') {
                return $handed;
            }
            $handed += $outcome === 'queued' ? 1 : 0;
        }
        return $handed;
    }

    /** One attempt: 'queued', 'failed', or 'wait' when it must wait (and everything after it with it). */
    private static function deliver($chat, $text, $key, $attempts, array $settings, ?array $file, $seconds, $ticketNumber)
    {
        $client = new WhatsAppServiceClient($settings['service_url'], $settings['api_key'], $seconds);
        $result = $client->send($chat, $text, $key, $file, $ticketNumber);
        $error = $result['error'] === null ? null : mb_substr((string) $result['error'], 0, 255);
        switch ($result['outcome']) {
            case 'queued':
                // The note first: killed after it, the row is still pending and is handed over (and the note written) again.
                if ($attempts > 0) {
                    self::waitedNoteDone($key, $settings);
                }
                // A status report may have come in before this answer (the service sends at once): never step back from it.
                WhatsAppStore::update('out', $key, [
                    'error' => ['sql' => "IF(status = 'pending', NULL, error)"], 'status' => ['sql' => "IF(status = 'pending', 'queued', status)"], 'attempts' => $attempts + 1,
                ]);
                self::showState($key);
                WhatsAppServiceHealth::ok($settings['instance_id']);
                return 'queued';
            case 'failed':
                // A reply that waited: its note now says it failed, and why; otherwise a note of its own.
                if (!($attempts > 0 && self::waitedNoteFailed($key, $error, $settings))) {
                    self::tellTheAgent($key, $error, $settings);
                }
                WhatsAppStore::update('out', $key, ['status' => 'failed', 'error' => $error, 'attempts' => $attempts + 1]);
                self::showState($key);
                return 'failed';
            default: // retry, configuration: kept until the service is back, and the administrator and the agent are told why
                WhatsAppStore::update('out', $key, ['status' => 'pending', 'error' => $error, 'attempts' => $attempts + 1]);
                $why = $result['outcome'] === 'configuration'
                    ? 'The WhatsApp service refused the plugin (' . $error . '): check the API Key and Service URL. Replies wait and are sent once it is fixed.'
                    : 'The WhatsApp service cannot be reached (' . $error . '). Replies wait and are sent when it is back (it says hello when it starts; osTicket\'s cron tries too).';
                WhatsAppServiceHealth::problem($settings['instance_id'], $why);
                if ($attempts === 0) {
                    self::tellTheAgent($key, $why, $settings, 'pending_note');
                }
                return 'wait';
        }
    }

    /** The note that said a reply waits now says when it went (one note, changed: the ticket shows its state, not its history). */
    private static function waitedNoteDone($key, array $settings)
    {
        self::rewriteWaitedNote($key, 'WhatsApp reply sent after waiting', 'pending_sent_note', ['time' => date('Y-m-d H:i')], $settings);
    }

    /** ... or that it failed, and why. Whether there was such a note. */
    private static function waitedNoteFailed($key, $reason, array $settings)
    {
        return self::rewriteWaitedNote($key, 'WhatsApp message not delivered', 'failed_note', ['reason' => $reason], $settings);
    }

    private static function rewriteWaitedNote($key, $title, $text, array $vars, array $settings)
    {
        $row = WhatsAppStore::outbound($key);
        return $row && WhatsAppDesk::rewriteNote(self::waitingNoteId($key), $title,
            WhatsAppTemplates::render($settings['staff'][$text], $vars + ['message' => WhatsAppText::fromUtf8mb3($row['content'])]));
    }

    /** The message id of the note that tells agents this reply waits. */
    private static function waitingNoteId($key)
    {
        return WhatsAppDesk::messageId('waiting.' . $key, 'note');
    }

    /** The customer did not get a message: an internal note on the ticket says so, with the text. */
    private static function tellTheAgent($key, $reason, array $settings, $text = 'failed_note')
    {
        $row = WhatsAppStore::outbound($key);
        $mapping = $row && $row['mapping_id'] ? WhatsAppStore::mapping($row['mapping_id']) : null;
        $ticket = $mapping ? WhatsAppDesk::ticket($mapping['ticket_id']) : null;
        if (!$ticket) {
            return;
        }
        $titles = ['held_note' => 'WhatsApp reply waiting for the customer', 'pending_note' => 'WhatsApp reply waiting for the service'];
        $title = isset($titles[$text]) ? $titles[$text] : 'WhatsApp message not delivered';
        self::noteOnTicket($ticket, $title, $settings['staff'], $reason, WhatsAppText::fromUtf8mb3($row['content']), $text,
            $text === 'pending_note' ? self::waitingNoteId($key) : null);
    }

    /** The internal note that tells agents a message did not reach the customer (or not yet), with why and what. */
    private static function noteOnTicket(Ticket $ticket, $title, array $texts, $reason, $message, $text = 'failed_note', $mid = null)
    {
        WhatsAppDesk::note($ticket, $title, WhatsAppTemplates::render($texts[$text], ['reason' => $reason, 'message' => $message]), 'SYSTEM', $mid);
    }
}
