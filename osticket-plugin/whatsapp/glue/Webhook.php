<?php
/**
 * POST /api/whatsapp/webhook.php: events from the WhatsApp service
 * (docs/contract.md, section 2). Verifies the signature, then handles one
 * customer message at a time per phone, idempotently by WhatsApp message id.
 */
final class WhatsAppWebhook
{
    /** How long after the question a rating is taken as the answer. */
    const RATING_DAYS = 3;

    /** The longest a `hello` spends handing waiting replies over (the service waits WEBHOOK_TIMEOUT_MS, 15 s by default). */
    const HELLO_SECONDS = 8.0;

    /** On every answer: the service tells the plugin's own errors from a web server's (docs/contract.md 2.3). */
    const HEADER = 'X-WhatsApp-Plugin: 1';

    public static function handle(array $settings)
    {
        $body = (string) file_get_contents('php://input');
        $verdict = WhatsAppSignature::verify(
            $settings['webhook_secret'],
            isset($_SERVER['HTTP_X_TIMESTAMP']) ? $_SERVER['HTTP_X_TIMESTAMP'] : null,
            isset($_SERVER['HTTP_X_SIGNATURE']) ? $_SERVER['HTTP_X_SIGNATURE'] : null,
            $body,
            time()
        );
        if ($verdict === 'no_secret') {
            self::respond(503, ['error' => ['code' => 'not_configured', 'message' => 'set the Webhook Secret in the plugin settings']]);
        }
        if ($verdict !== 'ok') {
            self::respond(401, ['error' => ['code' => 'bad_signature', 'message' => "signature check failed ($verdict)"]]);
        }
        WhatsAppServiceHealth::heard($settings['instance_id']);
        $event = json_decode($body, true);
        $kind = is_array($event) && isset($event['event']) ? $event['event'] : null;
        if ($kind === 'hello') {
            WhatsAppServiceHealth::hello($settings['instance_id'], isset($event['hello']['transport']) ? $event['hello']['transport'] : null);
            // The service started or reconnected: what waited for it goes now, while it listens for our answer
            // (within half of its time limit, so the answer is not cut off).
            $limit = isset($event['hello']['timeout_ms']) && is_int($event['hello']['timeout_ms']) ? $event['hello']['timeout_ms'] / 2000 : self::HELLO_SECONDS;
            $handedOver = WhatsAppOutbound::deliverWaiting($settings, min(self::HELLO_SECONDS, $limit));
            self::respond(200, ['ok' => true, 'hello' => ['instance' => $settings['instance_id'], 'handed_over' => $handedOver]]);
        }
        // Any call shows the service is there: replies that waited for it follow at the end of this request.
        WhatsAppOutbound::deliverWaitingSoon($settings);
        if ($kind === 'message') {
            $problems = WhatsAppMessageCheck::errors(isset($event['message']) ? $event['message'] : null);
            if ($problems) {
                self::respond(400, ['error' => ['code' => 'bad_request', 'message' => implode('; ', $problems)]]);
            }
            try {
                $replies = self::onMessage($event['message'], $settings);
            } catch (Throwable $error) {
                // 500: osTicket or its database is not ready; the service keeps the message and tries again.
                global $ost;
                $ost && $ost->logError('WhatsApp: message not processed, will be retried', $error->getMessage(), false);
                self::respond(500, ['error' => ['code' => 'internal', 'message' => 'the message could not be processed now, see the osTicket system log']]);
            }
            self::respond(200, ['ok' => true, 'replies' => $replies]);
        }
        if ($kind === 'status' && isset($event['status']['key'], $event['status']['state'])
                && is_string($event['status']['key']) && is_string($event['status']['state'])) {
            WhatsAppOutbound::onStatus($event['status'], $settings);
            self::respond(200, ['ok' => true]);
        }
        self::respond(400, ['error' => ['code' => 'bad_request', 'message' => 'not a message or status event']]);
    }

    /** @return array the replies for the service to send */
    private static function onMessage(array $message, array $settings)
    {
        $chat = $message['chat'];
        // One message per phone at a time: three quick messages make one ticket, never three.
        $lock = 'chat:' . $chat;
        if (!WhatsAppStore::lock($lock, 30)) {
            throw new RuntimeException('another message of this phone is being processed');
        }
        try {
            $row = WhatsAppStore::inbound($message['id']);
            if ($row && in_array($row['status'], ['processed', 'refused'], true)) {
                return json_decode($row['replies'], true) ?: [];
            }
            if (!$row) {
                $type = isset($message['type']) ? $message['type'] : 'text';
                WhatsAppStore::log($settings['instance_id'], 'in', $chat, $message['id'], $type, isset($message['text']) ? $message['text'] : '', 'received');
                $row = WhatsAppStore::inbound($message['id']);
            }
            WhatsAppFault::at('after_log');
            $mappingId = $entryId = $error = null;
            $status = 'processed';
            WhatsAppProgress::begin($message['id'], $row);
            try {
                list($mappingId, $entryId, $texts) = self::converse($message, $row, $settings);
            } catch (WhatsAppRefused $refusal) {
                // Refused for good: the customer hears so at once and their next message goes on.
                $status = 'refused';
                $error = $refusal->getMessage();
                $texts = [WhatsAppTemplates::render($settings['texts']['refused_message'], ['support_email' => $settings['support_email']])];
                global $ost;
                $ost && $ost->logWarning('WhatsApp: message refused by osTicket', sprintf('From %s: %s', $chat, $error), false);
            } finally {
                WhatsAppProgress::end();
            }
            $replies = [];
            foreach ($texts as $index => $replyText) {
                $key = sprintf('reply:%s:%d', $message['id'], $index);
                $replies[] = ['text' => $replyText, 'key' => $key];
                WhatsAppStore::log($settings['instance_id'], 'out', $chat, $key, 'text', $replyText, 'queued', $mappingId);
            }
            WhatsAppFault::at('before_processed');
            // json_encode escapes non-ASCII, so the 3-byte connection keeps every character.
            WhatsAppStore::update('in', $message['id'], [
                'status' => $status, 'mapping_id' => $mappingId, 'thread_entry_id' => $entryId, 'replies' => json_encode($replies),
                'error' => $error === null ? null : mb_substr($error, 0, 255),
            ]);
            return $replies;
        } finally {
            WhatsAppStore::unlock($lock);
        }
    }

    /**
     * Carries out what the message asks for; returns [mapping id, thread entry id, reply texts].
     *
     * Exactly once, also when PHP is killed inside osTicket (in Ticket::create, postMessage,
     * its alerts). Every entry the plugin posts carries a message id (thread_entry_email.mid),
     * and everything osTicket creates meanwhile is recorded on the message's row as it is
     * created (glue/Progress.php). A retry first undoes what the dead attempt left half made
     * (entries without their id; the ticket, when its opening entry never became complete and
     * nobody touched it), then goes on from what is complete: an opening entry whose step
     * osTicket did not finish gets the rest (alerts) without being posted again. Otherwise it
     * looks again, so a ticket deleted or closed meanwhile is treated like any other. Commands are
     * idempotent and carry their notes under their own message ids. (osTicket commits inside its
     * own code, e.g. for ticket number sequences, so a database transaction cannot span its work.)
     */
    private static function converse(array $message, array $row, array $settings)
    {
        $about = in_array(isset($message['type']) ? $message['type'] : 'text', WhatsAppMessageCheck::ABOUT_TYPES, true);
        $mid = WhatsAppDesk::messageId($message['id']);
        $first = $about ? null : WhatsAppDesk::entryByMessageId($mid);
        if (WhatsAppProgress::undoHalfMade($row, !$first, $settings['staff']['whatsapp_title'])) {
            WhatsAppProgress::restart(); // else what was made is kept on record: nothing is undone so late
        }
        WhatsAppStore::update('in', $message['id'], ['attempt_at' => ['sql' => 'COALESCE(attempt_at, NOW())']]);
        if ($about) {
            return self::annotate($message, $settings);
        }
        $chat = $message['chat'];
        $t = $settings['texts'];

        if ($first) {
            // The message is in a ticket: the rest (further parts, mapping, replies) is completed.
            $ticket = WhatsAppDesk::ticketOf($first);
            if (!$ticket) {
                throw new RuntimeException('the ticket of an entry of this message is gone');
            }
            $action = WhatsAppDesk::opensItsTicket($first) ? 'open' : 'append';
            if (!$row['completed']) {
                // Killed after the entry, before osTicket finished its step: the rest, not the entry again.
                $action === 'open' ? WhatsAppDesk::finishNewTicket($ticket, $first) : WhatsAppDesk::finishMessage($ticket, $first);
                WhatsAppProgress::completed($message['id']);
            }
            $mapping = $action === 'append' ? WhatsAppStore::mappingForTicket($ticket->getId()) : null;
            $user = WhatsAppDesk::user($first->user_id) ?: WhatsAppDesk::user($ticket->getOwnerId()); // deleted after Change Owner
            if (!$user) {
                throw new RuntimeException('neither the message\'s user nor the ticket\'s owner exists');
            }
            $doubt = $action === 'open' ? self::customer($message, $settings)['doubt'] : null;
            $parts = WhatsAppConversation::ticketParts($message, $settings['staff'], $settings['desk_language']);
            $attached = $first->getAttachments()->count() > 0;
            // What the dead request told the customer about a file it did not take, as far as it can be told again without fetching it.
            list($upload, $maxBytes) = WhatsAppDesk::attachmentRules();
            $decided = !$attached && !empty($message['media']) && $settings['media_handling'] === 'attach'
                ? self::notTakenBeforeFetching($message['media'], $settings, $upload, $maxBytes) : null;
            return self::welcomedBack(self::toldReopened(self::afterEntry($message, $settings, $action, $ticket, $mapping, $user, $first, $parts, $doubt, $attached, $decided ? $decided[1] : null),
                $row['action'] === 'reopen', $message, $ticket, $settings), self::optedInAgain($message, $row, $settings), $message, $ticket, $settings);
        }
        // Only a rating (1-5) after the question of a close, while the customer has no open ticket on WhatsApp:
        // recorded within 3 days, thanked later (a second or a late answer), never a ticket or a reopen.
        if ($settings['csat'] && ($stars = WhatsAppConversation::rating($message)) !== null && !self::talkingAboutAnOpenTicket($message['chat'], $settings)
                && ($ask = WhatsAppStore::recentAsk($settings['instance_id'], $message['chat'], max(self::RATING_DAYS, $settings['reopen_days']), self::RATING_DAYS, $message['id']))
                && ($asked = WhatsAppDesk::ticket($ask['ticket_id'])) && $asked->isClosed()) {
            WhatsAppStore::update('in', $message['id'], ['action' => 'rating', 'ticket_id' => (int) $ask['ticket_id']]);
            return self::rated($message, $settings, $ask, $stars);
        }
        if (in_array($row['action'], ['close', 'switch', 'optout', 'optin'], true)) {
            // A command whose request died: done again, idempotently, on what it was about.
            $ticket = $row['ticket_id'] ? WhatsAppDesk::ticket($row['ticket_id']) : null;
            $decision = WhatsAppConversation::decide($message, $ticket !== null, WhatsAppCommandParser::fromTexts($t));
            return self::command($message, $settings, $decision, $ticket, $ticket ? WhatsAppStore::mappingForTicket($ticket->getId()) : null);
        }

        $mapping = WhatsAppStore::activeMapping($settings['instance_id'], $chat);
        $ticket = $mapping ? WhatsAppDesk::ticket($mapping['ticket_id']) : null;
        if ($mapping && $ticket) {
            $mapping = WhatsAppOwner::follow($mapping, $ticket, $settings);
            if ($mapping['active_phone'] !== $chat) {
                $mapping = $ticket = null; // the conversation moved to the new owner's number
            }
        }
        if ($mapping && (!$ticket || $ticket->isClosed())) {
            WhatsAppStore::closeTicket($mapping['ticket_id']); // deleted or closed meanwhile: a new message opens a new ticket
            $mapping = $ticket = null;
        }
        $decision = WhatsAppConversation::decide($message, $ticket !== null, WhatsAppCommandParser::fromTexts($t));
        if ($decision['action'] === 'optin' && WhatsAppStore::optedOutAt($settings['instance_id'], $chat) === null) {
            // START from someone who never opted out (a click-to-chat text, a one-word answer): an ordinary message.
            $decision['action'] = $ticket !== null ? 'append' : 'open';
        }
        // No active ticket: the customer's last one may be closed recently enough to be reopened by this message.
        $closedBefore = null;
        $reopened = false;
        if ($decision['action'] === 'open' && ($last = self::lastClosed($chat, $settings))) {
            list($ticketBefore, $conversation, $verdict) = $last;
            if ($verdict === 'reopen') {
                // Active again before the message is added (which reopens it): a retried webhook appends to it as well.
                $mapping = WhatsAppStore::activate($settings['instance_id'], $chat, $ticketBefore->getId(), $ticketBefore->getNumber(), $conversation['user_id']);
                $ticket = $ticketBefore;
                $decision['action'] = 'append';
                $reopened = true;
            } elseif ($verdict !== 'off') {
                $closedBefore = [$ticketBefore, $verdict];
            }
        }
        WhatsAppStore::update('in', $message['id'], ['action' => $reopened ? 'reopen' : $decision['action'], 'ticket_id' => $ticket ? (int) $ticket->getId() : null]);
        if (in_array($decision['action'], ['close', 'switch', 'nothing_to_close', 'optout', 'optin'], true)) {
            return self::command($message, $settings, $decision, $ticket, $mapping);
        }
        $welcomeBack = self::optedInAgain($message, $row, $settings);

        // A known conversation knows its user; only a first contact looks the phone up.
        $doubt = null;
        $user = $decision['action'] === 'append' ? WhatsAppDesk::user($mapping['user_id']) : null;
        if (!$user) {
            list('user' => $user, 'doubt' => $doubt) = self::customer($message, $settings);
        }
        WhatsAppStore::update('in', $message['id'], ['user_id' => (int) $user->getId()]);
        WhatsAppFault::at('after_user');
        list($files, $mediaNote, $customerReason) = self::customerFiles($message, $settings);
        $parts = WhatsAppConversation::ticketParts($message, $settings['staff'], $settings['desk_language'], $mediaNote);
        if ($decision['action'] === 'open') {
            $name = isset($message['name']) ? trim($message['name']) : '';
            $subject = WhatsAppText::subject(isset($message['text']) ? $message['text'] : '',
                WhatsAppTemplates::render($settings['staff']['subject_fallback'], ['name' => $name !== '' ? $name : '+' . $message['phone']]));
            $ticket = WhatsAppDesk::openTicket($user, $subject, $parts[0], $mid, $settings, $files);
            WhatsAppStore::update('in', $message['id'], ['ticket_id' => (int) $ticket->getId(), 'completed' => 1]);
            WhatsAppFault::at('after_ticket');
            $first = WhatsAppDesk::entryByMessageId($mid);
            if ($closedBefore) {
                list($old, $verdict) = $closedBefore;
                WhatsAppDesk::note($ticket, $settings['staff']['whatsapp_title'], WhatsAppTemplates::render($settings['staff']['follows_note'], [
                    'old_ticket_number' => $old->getNumber(), 'closed' => Format::datetime(WhatsAppDesk::closedAt($old), false),
                    'why' => WhatsAppTemplates::render($settings['staff'][$verdict], ['days' => $settings['reopen_days']]),
                ]), 'SYSTEM', WhatsAppDesk::messageId($message['id'], 'follows'));
            }
        } else {
            $first = WhatsAppDesk::addMessage($ticket, $user, $parts[0], $mid, $settings['staff']['whatsapp_title'], $settings['email_domain'], $files);
            WhatsAppProgress::completed($message['id']);
        }
        if (!$first) {
            throw new RuntimeException('osTicket did not keep the message\'s entry');
        }
        return self::welcomedBack(self::toldReopened(self::afterEntry($message, $settings, $decision['action'], $ticket, $mapping, $user, $first, $parts, $doubt, (bool) $files, $customerReason),
            $reopened, $message, $ticket, $settings), $welcomeBack, $message, $ticket, $settings);
    }

    /**
     * The phone's last conversation on this number when its ticket is closed and the customer has none
     * active: [ticket, conversation row, WhatsAppConversation::afterClose verdict], or null.
     */
    private static function lastClosed($chat, array $settings)
    {
        $conversation = WhatsAppStore::lastConversation($settings['instance_id'], $chat);
        $ticket = $conversation ? WhatsAppDesk::ticket($conversation['ticket_id']) : null;
        if (!$ticket || !$ticket->isClosed() || (int) $ticket->getOwnerId() !== (int) $conversation['user_id'] || WhatsAppDesk::closedAt($ticket) === null) {
            return null; // (a ticket that is someone else's now is not theirs to reopen)
        }
        return [$ticket, $conversation, WhatsAppConversation::afterClose(WhatsAppDesk::closedAt($ticket), time(), $settings['reopen_days'], WhatsAppDesk::reopenable($ticket))];
    }

    /** A message that reopened its ticket: the customer is told which ticket it went to. */
    private static function toldReopened(array $outcome, $reopened, array $message, Ticket $ticket, array $settings)
    {
        if ($reopened) {
            array_unshift($outcome[2], WhatsAppTemplates::render($settings['texts']['reopened_message'], self::vars($ticket, $message, $settings)));
        }
        return $outcome;
    }

    /**
     * A customer who had opted out (STOP) wrote of their own accord: opted in again. Remembered on
     * the message's row, so that a retried webhook tells them as the first attempt would have.
     */
    private static function optedInAgain(array $message, array $row, array $settings)
    {
        $before = json_decode((string) $row['replies'], true);
        if (is_array($before) && !empty($before['opted_in'])) {
            WhatsAppStore::optIn($settings['instance_id'], $message['chat']); // (killed between the two: done now)
            return true;
        }
        $since = WhatsAppStore::optedOutAt($settings['instance_id'], $message['chat']);
        // Only what they wrote after the STOP: not a file or an unreadable notice of an earlier message that arrives late.
        if ($since === null || self::writtenAt($message) < $since || preg_match('/(\.file|:unreadable)$/', $message['id'])) {
            return false;
        }
        // The mark first: a request killed after it tells the customer on the retry.
        WhatsAppStore::update('in', $message['id'], ['replies' => json_encode(['opted_in' => true])]);
        WhatsAppStore::optIn($settings['instance_id'], $message['chat']);
        return true;
    }

    /** The replies of a message that opted the customer in again: they are told first, and the ticket gets a note. */
    private static function welcomedBack(array $outcome, $welcomeBack, array $message, Ticket $ticket, array $settings)
    {
        if (!$welcomeBack) {
            return $outcome;
        }
        WhatsAppDesk::note($ticket, $settings['staff']['whatsapp_title'], WhatsAppTemplates::render($settings['staff']['optin_note'], ['phone' => self::shownPhone($message['chat'])]),
            'SYSTEM', WhatsAppDesk::messageId($message['id'], 'optin'));
        array_unshift($outcome[2], $settings['texts']['optin_message']);
        return $outcome;
    }

    /** When the customer wrote the message (WhatsApp's time; now when it lacks one). */
    private static function writtenAt(array $message)
    {
        return isset($message['timestamp']) && is_int($message['timestamp']) && $message['timestamp'] > 0 ? $message['timestamp'] : time();
    }

    private static function shownPhone($chat)
    {
        return ctype_digit($chat) ? '+' . $chat : $chat;
    }

    /**
     * An edit, a deletion or a reaction: an internal note, quoting the message it is about, in that
     * message's ticket (for a reaction, the agent's reply; reactions to anything else are let be), else
     * in the conversation's current ticket. Never a ticket of its own, never a reply; idempotent by its id.
     */
    private static function annotate(array $message, array $settings)
    {
        $staff = $settings['staff'];
        if ($message['type'] === 'reaction') {
            $refKey = isset($message['ref_key']) ? (string) $message['ref_key'] : '';
            $about = preg_match('/^entry:(\d+)$/', $refKey, $match) ? WhatsAppDesk::entry($match[1]) : null;
            if (!$about) {
                return [null, null, []];
            }
        } else {
            $about = WhatsAppDesk::entryByMessageId(WhatsAppDesk::messageId($message['ref']));
        }
        $mapping = WhatsAppStore::activeMapping($settings['instance_id'], $message['chat']);
        $ticket = $about ? WhatsAppDesk::ticketOf($about) : null;
        if (!$ticket && $mapping) {
            $ticket = WhatsAppDesk::ticket($mapping['ticket_id']);
        }
        if (!$ticket) {
            return [null, null, []]; // nothing of this conversation is open in osTicket
        }
        $text = WhatsAppTemplates::render($staff[$message['type'] . '_note'], [
            'before' => $about ? WhatsAppText::excerpt(WhatsAppDesk::plainText($about)) : $staff['unknown_message'],
            'text' => trim((string) $message['text']),
        ]);
        // The poster is printed as HTML by osTicket: never the customer's profile name (the note's text says who).
        $note = WhatsAppDesk::note($ticket, $staff['whatsapp_title'], WhatsAppText::readable($text), $staff['whatsapp_title'], WhatsAppDesk::messageId($message['id'], 'note'));
        return [$mapping ? $mapping['id'] : null, $note ? $note->getId() : null, []];
    }

    /** The osTicket user of the message's sender (see WhatsAppDesk::customer). */
    private static function customer(array $message, array $settings)
    {
        return WhatsAppDesk::customer($message['chat'], isset($message['phone']) ? $message['phone'] : null, isset($message['name']) ? trim($message['name']) : '', $settings);
    }

    /** The message's first entry is in the ticket: the other parts, the conversation and the replies. */
    private static function afterEntry(array $message, array $settings, $action, Ticket $ticket, $mapping, User $user, ThreadEntry $first, array $parts, $doubt, $attached, $customerReason)
    {
        $chat = $message['chat'];
        $t = $settings['texts'];
        $staff = $settings['staff'];
        // The rest of a message too long for one thread entry, each part once.
        foreach (array_slice($parts, 1, null, true) as $index => $part) {
            $mid = WhatsAppDesk::messageId($message['id'], $index + 1);
            if (!WhatsAppDesk::entryByMessageId($mid)) {
                WhatsAppDesk::addMessage($ticket, $user, $part, $mid, $staff['whatsapp_title'], $settings['email_domain']);
            }
        }
        if ($doubt !== null) {
            WhatsAppDesk::note($ticket, $staff['whatsapp_title'], $doubt, 'SYSTEM', WhatsAppDesk::messageId($message['id'], 'identity'));
        }
        WhatsAppFault::at('after_message');

        $mapping = $action === 'open' ? WhatsAppStore::activate($settings['instance_id'], $chat, $ticket->getId(), $ticket->getNumber(), $user->getId()) : $mapping;
        if ($action === 'open') {
            WhatsAppOutbound::sendEarlierReplies($ticket, ['WhatsAppPlugin', 'settings']);
        }
        WhatsAppFault::at('after_mapping');
        $replies = [];
        if ($action === 'open' && $settings['auto_confirm']) {
            $replies[] = WhatsAppTemplates::render($t['confirm_message'], self::vars($ticket, $message, $settings));
        }
        // The e-mail link: when files are not taken over WhatsApp, or this one could not be attached.
        if (WhatsAppConversation::isMedia($message) && !$attached && !WhatsAppConversation::fileFollows($message) && WhatsAppStore::takeMediaHint($mapping['id'], $settings['media_hint_minutes'], $message['id'])) {
            // This file could not be taken: the customer hears why; files not taken at all: the specification's text.
            $subjectLine = WhatsAppTemplates::render($t['mail_subject'], self::vars($ticket, $message, $settings));
            $replies[] = WhatsAppTemplates::render($customerReason !== null ? $t['media_not_taken'] : $t['media_reply'], self::vars($ticket, $message, $settings) + [
                'support_email' => $settings['support_email'],
                'email_link' => WhatsAppTemplates::emailLink($settings['support_email'], $subjectLine),
                'mail_subject' => $subjectLine,
                'file' => isset($message['media']['filename']) ? $message['media']['filename'] : '',
                'reason' => $customerReason,
            ]);
        }
        return [$mapping['id'], $first->getId(), $replies];
    }

    /** Whether the phone's active conversation on this number is about an open ticket (a "2" there is an answer). */
    private static function talkingAboutAnOpenTicket($chat, array $settings)
    {
        $mapping = WhatsAppStore::activeMapping($settings['instance_id'], $chat);
        $ticket = $mapping ? WhatsAppDesk::ticket($mapping['ticket_id']) : null;
        return $ticket && !$ticket->isClosed();
    }

    /**
     * The customer's rating: on the ask's row, as a note and in the ticket's "WhatsApp rating" field,
     * when the question is open (3 days) and not answered yet; thanked in any case. Idempotent.
     */
    private static function rated(array $message, array $settings, array $ask, $stars)
    {
        if (!$ask['open']) {
            return [null, null, [$settings['texts']['csat_thanks']]]; // answered already, or too late: nothing changes
        }
        WhatsAppStore::rate($ask['id'], $stars, $message['id']);
        if ($ticket = WhatsAppDesk::ticket($ask['ticket_id'])) {
            WhatsAppDesk::note($ticket, $settings['staff']['whatsapp_title'], WhatsAppTemplates::render($settings['staff']['rated_note'], ['stars' => $stars]),
                'SYSTEM', WhatsAppDesk::messageId($message['id'], 'rating'));
            WhatsAppTicketFields::recordRating($ticket->getId(), $stars);
        }
        return [null, null, [$settings['texts']['csat_thanks']]];
    }

    /** Close and switch, idempotent: done again after a killed request, they answer the same. */
    private static function command(array $message, array $settings, array $decision, $ticket, $mapping)
    {
        $t = $settings['texts'];
        $staff = $settings['staff'];
        $chat = $message['chat'];
        $name = isset($message['name']) ? trim($message['name']) : '';
        $said = trim((string) $message['text']);
        $mappingId = $mapping ? $mapping['id'] : null;
        switch ($decision['action']) {
            case 'close':
                if (!$ticket) {
                    return [$mappingId, null, [$t['nothing_to_close']]];
                }
                WhatsAppOutbound::$closedByCustomer = $ticket->getId();
                $refusal = WhatsAppDesk::close($ticket);
                if ($refusal !== null) {
                    WhatsAppDesk::note($ticket, $staff['whatsapp_title'], WhatsAppTemplates::render($staff['close_refused_note'], ['text' => $said, 'reason' => $refusal]),
                        'SYSTEM', WhatsAppDesk::messageId($message['id'], 'close-refused'));
                    return [$mappingId, null, [WhatsAppTemplates::render($t['close_refused'], self::vars($ticket, $message, $settings))]];
                }
                WhatsAppDesk::note($ticket, $staff['whatsapp_title'], WhatsAppTemplates::render($staff['closed_by_customer'], ['text' => $said]),
                    $staff['whatsapp_title'], WhatsAppDesk::messageId($message['id'], 'close'));
                WhatsAppStore::closeTicket($ticket->getId());
                $replies = [WhatsAppTemplates::render($t['close_success'], self::vars($ticket, $message, $settings))];
                if ($mapping && ($ask = WhatsAppOutbound::askRating($mapping, $ticket, $settings, 0))) {
                    $replies[] = $ask[0];
                }
                return [$mappingId, null, $replies];
            case 'switch':
                $found = WhatsAppDesk::customer($chat, isset($message['phone']) ? $message['phone'] : null, $name, $settings);
                $user = $found['user'];
                $target = WhatsAppDesk::ticketByNumber($decision['number']);
                // A foreign ticket is answered exactly like an unknown one: nothing about other customers leaks.
                // A ticket of the customer's conversation on another number is not switched to: it answers there.
                $elsewhere = $target ? WhatsAppStore::mappingForTicket($target->getId()) : null;
                if (!$target || $target->getUserId() != $user->getId()
                        || ($elsewhere && (int) $elsewhere['instance_id'] !== $settings['instance_id'])) {
                    return [$mappingId, null, [WhatsAppTemplates::render($t['switch_error'], ['ticket_number' => $decision['number']])]];
                }
                if ($target->isClosed()) {
                    return [$mappingId, null, [WhatsAppTemplates::render($t['switch_closed'], self::vars($target, $message, $settings))]];
                }
                WhatsAppStore::update('in', $message['id'], ['ticket_id' => (int) $target->getId()]);
                $switched = WhatsAppStore::activate($settings['instance_id'], $chat, $target->getId(), $target->getNumber(), $user->getId());
                return [$switched['id'], null, [WhatsAppTemplates::render($t['switch_success'], self::vars($target, $message, $settings))]];
            case 'optout':
                // Nothing the business starts reaches them from now on; their own messages opt them in again.
                // (Replies still waiting for the service are kept from them when they are handed over.)
                WhatsAppStore::optOut($settings['instance_id'], $chat, self::writtenAt($message));
                if ($ticket) {
                    WhatsAppDesk::note($ticket, $staff['whatsapp_title'], WhatsAppTemplates::render($staff['optout_note'], ['text' => $said, 'phone' => self::shownPhone($chat)]),
                        'SYSTEM', WhatsAppDesk::messageId($message['id'], 'optout'));
                }
                return [$mappingId, null, [$t['optout_message']]];
            case 'optin':
                // The note before the opt-in: a retried webhook still finds the customer opted out and notes it once.
                if ($ticket && WhatsAppStore::optedOutAt($settings['instance_id'], $chat) !== null) {
                    WhatsAppDesk::note($ticket, $staff['whatsapp_title'], WhatsAppTemplates::render($staff['optin_note'], ['phone' => self::shownPhone($chat)]),
                        'SYSTEM', WhatsAppDesk::messageId($message['id'], 'optin'));
                }
                WhatsAppStore::optIn($settings['instance_id'], $chat);
                return [$mappingId, null, [$t['optin_message']]];
            default: // nothing_to_close
                return [$mappingId, null, [$t['nothing_to_close']]];
        }
    }

    /** The variables of the customer texts; the subject with its emoji again. */
    private static function vars(Ticket $ticket, array $message, array $settings)
    {
        $t = $settings['texts'];
        return [
            'ticket_number' => $ticket->getNumber(), 'ticket_subject' => WhatsAppText::withEmoji($ticket->getSubject()),
            'write_again' => WhatsAppDesk::writeAgain($ticket, $settings),
            'name' => isset($message['name']) ? trim($message['name']) : '',
            'close_keyword' => $t['close_keyword'], 'switch_keyword' => $t['switch_keyword'],
        ];
    }

    /**
     * The customer's file as osTicket attachments: [[file], null, null], or [[], a line for the ticket
     * saying which file was sent and why it is not attached, why in the customer's words (null when
     * files are not taken at all)]. With "E-mail link only", nothing.
     */
    private static function customerFiles(array $message, array $settings)
    {
        $media = isset($message['media']) ? $message['media'] : null;
        if (!$media || $settings['media_handling'] !== 'attach') {
            return [[], null, null];
        }
        list($upload, $maxBytes) = WhatsAppDesk::attachmentRules();
        $decided = self::notTakenBeforeFetching($media, $settings, $upload, $maxBytes);
        if ($decided !== null) {
            list($why, $customer) = $decided;
        } else {
            $client = new WhatsAppServiceClient($settings['service_url'], $settings['api_key']);
            $data = $client->media($media['id'], $media['sha256'], $maxBytes);
            if (isset($data['retry'])) {
                // Passing trouble or a wrong key: 500, the service keeps the message and tries again.
                if ($data['status'] === 401 || $data['status'] === 403) {
                    WhatsAppServiceHealth::problem($settings['instance_id'], 'The WhatsApp service refused to hand over a customer\'s file (HTTP ' . $data['status'] . '): check the API Key. The messages wait until it is fixed.');
                }
                throw new RuntimeException('could not fetch the customer\'s file: ' . $data['retry']);
            }
            if (is_array($data)) {
                // Purged: the message goes on without it, and says so.
                $why = $data['error'];
                $customer = WhatsAppTemplates::customerMediaReason('purged', $settings['language']);
            } else {
                list($file, $why) = WhatsAppDesk::saveFile($upload, $media['filename'], $media['mimetype'], $data);
                if ($file) {
                    return [[$file], null, null];
                }
                if ($why === null) {
                    throw new RuntimeException('osTicket could not store the customer\'s file'); // its storage, not the file
                }
                $customer = WhatsAppTemplates::customerMediaReason('refused', $settings['language']);
            }
        }
        return [[], WhatsAppTemplates::render($settings['staff']['media_not_attached'], [
            'file' => $media['filename'], 'size' => WhatsAppTemplates::fileSize($media['size']), 'reason' => $why,
        ]), $customer];
    }

    /**
     * Why a file is not taken, decided without fetching it (the service could not have it, osTicket
     * takes no files, it is over osTicket's limit): [line for the ticket, reason for the customer or
     * null], or null when it has to be fetched.
     */
    private static function notTakenBeforeFetching(array $media, array $settings, $upload, $maxBytes)
    {
        $locale = $settings['desk_language'];
        if (isset($media['error'])) {
            return [WhatsAppTemplates::mediaReason($media['error'], $locale, ['max' => 'MEDIA_MAX_MB']), $media['error'] === 'too_large'
                ? self::tooLarge($media['size'], isset($media['max']) ? (int) $media['max'] : null, $settings)
                : WhatsAppTemplates::customerMediaReason($media['error'], $settings['language'])];
        }
        if (!$upload) {
            return [WhatsAppTemplates::mediaReason('disabled', $locale), null];
        }
        if ($media['size'] > $maxBytes) {
            return [WhatsAppTemplates::mediaReason('too_large', $locale, ['max' => WhatsAppTemplates::fileSize($maxBytes)]), self::tooLarge($media['size'], $maxBytes, $settings)];
        }
        return null;
    }

    /** "it is 3.4 MB, the limit is 1 MB (2.4 MB too large)", or only that it is too large when a number is not known. */
    private static function tooLarge($size, $max, array $settings)
    {
        if ($size === null || $max === null || $size <= $max) {
            return WhatsAppTemplates::customerMediaReason('too_large_plain', $settings['language']);
        }
        return WhatsAppTemplates::customerMediaReason('too_large', $settings['language'], [
            'size' => WhatsAppTemplates::fileSize($size), 'max' => WhatsAppTemplates::fileSize($max), 'over' => WhatsAppTemplates::fileSize($size - $max),
        ]);
    }

    public static function respond($status, array $body)
    {
        http_response_code($status);
        header(self::HEADER);
        header('Content-Type: application/json; charset=utf-8');
        header('Cache-Control: no-store');
        echo json_encode($body);
        exit;
    }
}
