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
        $lock = 'whatsapp:' . $chat;
        if (db_result(db_query(sprintf('SELECT GET_LOCK(%s, 30)', db_input($lock)))) != 1) {
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
            try {
                list($mappingId, $entryId, $texts) = self::converse($message, $row, $settings);
            } catch (WhatsAppRefused $refusal) {
                // Refused for good: the customer hears so at once and their next message goes on.
                $status = 'refused';
                $error = $refusal->getMessage();
                $texts = [WhatsAppTemplates::render($settings['texts']['refused_message'], ['support_email' => $settings['support_email']])];
                global $ost;
                $ost && $ost->logWarning('WhatsApp: message refused by osTicket', sprintf('From %s: %s', $chat, $error), false);
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
            db_query(sprintf('SELECT RELEASE_LOCK(%s)', db_input($lock)));
        }
    }

    /**
     * Carries out the conversation's decision; returns [mapping id, thread entry id, reply texts].
     * The decision is recorded on the message's log row before anything is done, and every step
     * looks for its own earlier result first: a request killed at any point is completed by the
     * retry, with one ticket, one thread entry per message and one confirmation.
     */
    private static function converse(array $message, array $row, array $settings)
    {
        $chat = $message['chat'];
        $phone = isset($message['phone']) ? $message['phone'] : null;
        $name = isset($message['name']) ? trim($message['name']) : '';
        $t = $settings['texts'];

        if ($row['action']) {
            $decision = WhatsAppConversation::decide($message, true, WhatsAppCommandParser::fromTexts($t));
            $decision['action'] = $row['action'];
            $ticket = $row['ticket_id'] ? WhatsAppDesk::ticket($row['ticket_id']) : null;
            $mapping = $ticket ? WhatsAppStore::mappingForTicket($ticket->getId()) : null;
        } else {
            $mapping = WhatsAppStore::activeMapping($settings['instance_id'], $chat);
            $ticket = $mapping ? WhatsAppDesk::ticket($mapping['ticket_id']) : null;
            if ($mapping && (!$ticket || $ticket->isClosed())) {
                WhatsAppStore::closeTicket($mapping['ticket_id']); // closed in osTicket meanwhile: a new message opens a new ticket
                $mapping = $ticket = null;
            }
            $decision = WhatsAppConversation::decide($message, $ticket !== null, WhatsAppCommandParser::fromTexts($t));
            WhatsAppStore::update('in', $message['id'], ['action' => $decision['action'], 'ticket_id' => $ticket ? $ticket->getId() : null]);
        }
        $vars = function ($ticket) use ($t, $name) {
            return [
                'ticket_number' => $ticket->getNumber(), 'ticket_subject' => WhatsAppText::withEmoji($ticket->getSubject()), 'name' => $name,
                'close_keyword' => $t['close_keyword'], 'switch_keyword' => $t['switch_keyword'],
            ];
        };

        switch ($decision['action']) {
            case 'nothing_to_close':
                return [null, null, [$t['nothing_to_close']]];
            case 'close':
                if ($ticket) {
                    WhatsAppOutbound::$closedByCustomer = $ticket->getId();
                    WhatsAppDesk::note($ticket, $settings['staff']['whatsapp_title'],
                        WhatsAppTemplates::render($settings['staff']['closed_by_customer'], ['text' => trim((string) $message['text'])]), $name);
                    WhatsAppDesk::close($ticket);
                    WhatsAppStore::closeTicket($ticket->getId());
                }
                return [$mapping ? $mapping['id'] : null, null, $ticket ? [WhatsAppTemplates::render($t['close_success'], $vars($ticket))] : [$t['nothing_to_close']]];
            case 'switch':
                $user = WhatsAppDesk::customer($chat, $phone, $name, $settings);
                $target = WhatsAppDesk::ticketByNumber($decision['number']);
                // A foreign ticket is answered exactly like an unknown one: nothing about other customers leaks.
                // A ticket of the customer's conversation on another number is not switched to: it answers there.
                $elsewhere = $target ? WhatsAppStore::mappingForTicket($target->getId()) : null;
                if (!$target || $target->getUserId() != $user->getId()
                        || ($elsewhere && (int) $elsewhere['instance_id'] !== $settings['instance_id'])) {
                    return [$mapping ? $mapping['id'] : null, null, [WhatsAppTemplates::render($t['switch_error'], ['ticket_number' => $decision['number']])]];
                }
                if ($target->isClosed()) {
                    return [$mapping ? $mapping['id'] : null, null, [WhatsAppTemplates::render($t['switch_closed'], $vars($target))]];
                }
                $switched = WhatsAppStore::activate($settings['instance_id'], $chat, $target->getId(), $target->getNumber(), $user->getId());
                return [$switched['id'], null, [WhatsAppTemplates::render($t['switch_success'], $vars($target))]];
        }

        // A known conversation knows its user; only a first contact looks the phone up.
        $user = ($decision['action'] === 'append' && $mapping ? WhatsAppDesk::user($mapping['user_id']) : null)
            ?: WhatsAppDesk::customer($chat, $phone, $name, $settings);
        WhatsAppFault::at('after_user');
        $first = WhatsAppDesk::entryByMessageId(WhatsAppDesk::messageId($message['id']));
        // The customer's file, fetched from the service and saved by osTicket's rules, once: a retry finds the entry.
        list($files, $mediaNote) = $first ? [[], null] : self::customerFiles($message, $settings);
        $attached = $files || ($first && $first->getAttachments()->count() > 0);
        $parts = WhatsAppConversation::ticketParts($message, $settings['staff'], $settings['desk_language'], $mediaNote);
        if ($decision['action'] === 'open') {
            if ($first) {
                $ticket = WhatsAppDesk::ticketOf($first);
            } else {
                $subject = WhatsAppText::subject(isset($message['text']) ? $message['text'] : '',
                    WhatsAppTemplates::render($settings['staff']['subject_fallback'], ['name' => $name !== '' ? $name : '+' . $phone]));
                $ticket = WhatsAppDesk::openTicket($user, $subject, $parts[0], WhatsAppDesk::messageId($message['id']), $settings, $files);
                $first = WhatsAppDesk::entryByMessageId(WhatsAppDesk::messageId($message['id']));
            }
            WhatsAppStore::update('in', $message['id'], ['ticket_id' => $ticket->getId()]);
            WhatsAppFault::at('after_ticket');
        } elseif (!$ticket) {
            throw new RuntimeException('the ticket of this conversation is gone');
        } elseif (!$first) {
            $first = WhatsAppDesk::addMessage($ticket, $user, $parts[0], WhatsAppDesk::messageId($message['id']), $settings['staff']['whatsapp_title'], $files);
        }
        // The rest of a message too long for one thread entry, each part once.
        foreach (array_slice($parts, 1, null, true) as $index => $part) {
            $mid = WhatsAppDesk::messageId($message['id'], $index + 1);
            if (!WhatsAppDesk::entryByMessageId($mid)) {
                WhatsAppDesk::addMessage($ticket, $user, $part, $mid, $settings['staff']['whatsapp_title']);
            }
        }
        WhatsAppFault::at('after_message');

        $mapping = $decision['action'] === 'open' ? WhatsAppStore::activate($settings['instance_id'], $chat, $ticket->getId(), $ticket->getNumber(), $user->getId()) : $mapping;
        WhatsAppFault::at('after_mapping');
        $replies = [];
        if ($decision['action'] === 'open' && $settings['auto_confirm']) {
            $replies[] = WhatsAppTemplates::render($t['confirm_message'], $vars($ticket));
        }
        // The e-mail link: when files are not taken over WhatsApp, or this one could not be attached.
        if ($decision['media'] && !$attached && WhatsAppStore::takeMediaHint($mapping['id'], $settings['media_hint_minutes'], $message['id'])) {
            $subjectLine = WhatsAppTemplates::render($t['mail_subject'], $vars($ticket));
            $replies[] = WhatsAppTemplates::render($t['media_reply'], $vars($ticket) + [
                'support_email' => $settings['support_email'],
                'email_link' => WhatsAppTemplates::emailLink($settings['support_email'], $subjectLine),
            ]);
        }
        return [$mapping['id'], $first ? $first->getId() : null, $replies];
    }

    /**
     * The customer's file as osTicket attachments: [[file], null], or [[], a line for the ticket
     * saying which file was sent and why it is not attached]. With "E-mail link only", nothing.
     */
    private static function customerFiles(array $message, array $settings)
    {
        $media = isset($message['media']) ? $message['media'] : null;
        if (!$media || $settings['media_handling'] !== 'attach') {
            return [[], null];
        }
        $locale = $settings['desk_language'];
        list($upload, $maxBytes) = WhatsAppDesk::attachmentRules();
        if (isset($media['error'])) {
            $why = WhatsAppTemplates::mediaReason($media['error'], $locale, ['max' => 'MEDIA_MAX_MB']);
        } elseif (!$upload) {
            $why = WhatsAppTemplates::mediaReason('disabled', $locale);
        } elseif ($media['size'] > $maxBytes) {
            $why = WhatsAppTemplates::mediaReason('too_large', $locale, ['max' => WhatsAppTemplates::fileSize($maxBytes)]);
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
            } else {
                list($file, $why) = WhatsAppDesk::saveFile($upload, $media['filename'], $media['mimetype'], $data);
                if ($file) {
                    return [[$file], null];
                }
                if ($why === null) {
                    throw new RuntimeException('osTicket could not store the customer\'s file'); // its storage, not the file
                }
            }
        }
        return [[], WhatsAppTemplates::render($settings['staff']['media_not_attached'], [
            'file' => $media['filename'], 'size' => WhatsAppTemplates::fileSize($media['size']), 'reason' => $why,
        ])];
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
