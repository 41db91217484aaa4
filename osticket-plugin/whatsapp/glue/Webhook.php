<?php
/**
 * POST /api/whatsapp/webhook.php: events from the WhatsApp service
 * (docs/contract.md, section 2). Verifies the signature, then handles one
 * customer message at a time per phone, idempotently by WhatsApp message id.
 */
final class WhatsAppWebhook
{
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
        $event = json_decode($body, true);
        $kind = is_array($event) && isset($event['event']) ? $event['event'] : null;
        if ($kind === 'message' && self::validMessage(isset($event['message']) ? $event['message'] : null)) {
            try {
                $replies = self::onMessage($event['message'], $settings);
            } catch (Throwable $error) {
                // 500: the service keeps the message and tries again later.
                global $ost;
                $ost && $ost->logError('WhatsApp: message not processed', $error->getMessage(), false);
                self::respond(500, ['error' => ['code' => 'internal', 'message' => 'the message could not be processed, see the osTicket system log']]);
            }
            self::respond(200, ['ok' => true, 'replies' => $replies]);
        }
        if ($kind === 'status' && isset($event['status']['key'], $event['status']['state'])) {
            $status = $event['status'];
            WhatsAppStore::recordStatus((string) $status['key'], (string) $status['state'],
                isset($status['whatsapp_id']) ? (string) $status['whatsapp_id'] : null, isset($status['error']) ? (string) $status['error'] : null);
            self::respond(200, ['ok' => true]);
        }
        self::respond(400, ['error' => ['code' => 'bad_request', 'message' => 'not a message or status event']]);
    }

    private static function validMessage($message)
    {
        return is_array($message) && isset($message['id'], $message['chat']) && is_string($message['id']) && $message['id'] !== ''
            && is_string($message['chat']) && preg_match('/^(\d{6,15}|lid:\d{5,25})$/', $message['chat']);
    }

    /** @return array the replies for the service to send */
    private static function onMessage(array $message, array $settings)
    {
        $chat = $message['chat'];
        // One message per phone at a time: three quick messages make one ticket, never three.
        $lock = 'whatsapp:' . $chat;
        if (db_result(db_query(sprintf('SELECT GET_LOCK(%s, 30)', db_input($lock)))) != 1) {
            self::respond(503, ['error' => ['code' => 'busy', 'message' => 'another message of this phone is being processed']]);
        }
        try {
            $known = WhatsAppStore::inbound($message['id']);
            if ($known && $known['status'] === 'processed') {
                return json_decode($known['replies'], true) ?: [];
            }
            $type = isset($message['type']) ? (string) $message['type'] : 'text';
            $text = isset($message['text']) ? (string) $message['text'] : '';
            WhatsAppStore::log('in', $chat, $message['id'], $type, $text, 'received');

            list($mappingId, $entryId, $texts) = self::converse($message, $settings);
            $replies = [];
            foreach ($texts as $index => $replyText) {
                $key = sprintf('reply:%s:%d', $message['id'], $index);
                $replies[] = ['text' => $replyText, 'key' => $key];
                WhatsAppStore::log('out', $chat, $key, 'text', $replyText, 'queued', $mappingId);
            }
            // json_encode escapes non-ASCII, so the 3-byte connection keeps every character.
            WhatsAppStore::update('in', $message['id'], [
                'status' => 'processed', 'mapping_id' => $mappingId, 'thread_entry_id' => $entryId, 'replies' => json_encode($replies),
            ]);
            return $replies;
        } finally {
            db_query(sprintf('SELECT RELEASE_LOCK(%s)', db_input($lock)));
        }
    }

    /** Carries out the conversation's decision; returns [mapping id, thread entry id, reply texts]. */
    private static function converse(array $message, array $settings)
    {
        $chat = $message['chat'];
        $phone = isset($message['phone']) && is_string($message['phone']) ? $message['phone'] : null;
        $name = isset($message['name']) ? trim((string) $message['name']) : '';
        $t = $settings['texts'];
        $parser = new WhatsAppCommandParser(array_merge([$t['close_keyword']], WhatsAppCommandParser::lines($t['close_keywords_alt'])), $t['switch_keyword']);

        $mapping = WhatsAppStore::activeMapping($chat);
        $ticket = $mapping ? WhatsAppDesk::ticket($mapping['ticket_id']) : null;
        if ($mapping && (!$ticket || $ticket->isClosed())) {
            WhatsAppStore::closeTicket($mapping['ticket_id']); // closed in osTicket meanwhile: a new message opens a new ticket
            $mapping = $ticket = null;
        }
        $decision = WhatsAppConversation::decide($message, $ticket !== null, $parser);
        $vars = function ($ticket) use ($t, $name) {
            return [
                'ticket_number' => $ticket->getNumber(), 'ticket_subject' => $ticket->getSubject(), 'name' => $name,
                'close_keyword' => $t['close_keyword'], 'switch_keyword' => $t['switch_keyword'],
            ];
        };

        switch ($decision['action']) {
            case 'nothing_to_close':
                return [null, null, [$t['nothing_to_close']]];
            case 'close':
                WhatsAppOutbound::$closedByCustomer = $ticket->getId();
                WhatsAppDesk::close($ticket);
                WhatsAppStore::closeTicket($ticket->getId());
                return [$mapping['id'], null, [WhatsAppTemplates::render($t['close_success'], $vars($ticket))]];
            case 'switch':
                $user = WhatsAppDesk::customer($chat, $phone, $name, $settings);
                $target = WhatsAppDesk::ticketByNumber($decision['number']);
                // A foreign ticket is answered exactly like an unknown one: nothing about other customers leaks.
                if (!$user || !$target || $target->getUserId() != $user->getId() || $target->isClosed()) {
                    return [$mapping ? $mapping['id'] : null, null, [WhatsAppTemplates::render($t['switch_error'], ['ticket_number' => $decision['number']])]];
                }
                $switched = WhatsAppStore::activate($chat, $target->getId(), $target->getNumber(), $user->getId());
                return [$switched['id'], null, [WhatsAppTemplates::render($t['switch_success'], $vars($target))]];
        }

        $user = WhatsAppDesk::customer($chat, $phone, $name, $settings);
        if (!$user) {
            throw new RuntimeException('could not find or create the osTicket user');
        }
        $locale = $settings['language'];
        $ticketText = WhatsAppConversation::ticketText($message, $t, $locale);
        $replies = [];
        if ($decision['action'] === 'open') {
            $subject = WhatsAppText::subject(isset($message['text']) ? $message['text'] : '',
                WhatsAppTemplates::render($t['subject_fallback'], ['name' => $name !== '' ? $name : '+' . $phone]));
            list($ticket, $errors) = WhatsAppDesk::openTicket($user, $subject, $ticketText, $settings);
            if (!$ticket) {
                throw new RuntimeException('osTicket refused the ticket: ' . json_encode($errors));
            }
            $mapping = WhatsAppStore::activate($chat, $ticket->getId(), $ticket->getNumber(), $user->getId());
            $entry = $ticket->getThread() ? $ticket->getThread()->getEntries()->filter(['type' => 'M'])->order_by('-id')->first() : null;
            if ($settings['auto_confirm']) {
                $replies[] = WhatsAppTemplates::render($t['confirm_message'], $vars($ticket));
            }
        } else {
            $entry = WhatsAppDesk::addMessage($ticket, $user, $ticketText);
        }
        if ($decision['media']) {
            $subjectLine = WhatsAppTemplates::render($t['mail_subject'], $vars($ticket));
            $replies[] = WhatsAppTemplates::render($t['media_reply'], $vars($ticket) + [
                'support_email' => $settings['support_email'],
                'email_link' => WhatsAppTemplates::emailLink($settings['support_email'], $subjectLine),
            ]);
        }
        return [$mapping['id'], $entry ? $entry->getId() : null, $replies];
    }

    private static function respond($status, array $body)
    {
        http_response_code($status);
        header('Content-Type: application/json; charset=utf-8');
        header('Cache-Control: no-store');
        echo json_encode($body);
        exit;
    }
}
