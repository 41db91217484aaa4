<?php
/** osTicket said no to this one message, for good: answered, logged, never retried. */
final class WhatsAppRefused extends RuntimeException
{
}

/**
 * A customer's text as a text thread body that keeps every character:
 * osTicket's TextThreadEntryBody balances the text as if it were HTML, so
 * "a<b" would be stored as "a". Stored escaped (also an "&lt;" the customer
 * typed), and shown by osTicket's own text display without double escaping.
 */
final class WhatsAppTextBody extends TextThreadEntryBody
{
    public function getClean()
    {
        return WhatsAppText::escaped($this->body);
    }
}

/**
 * Everything the plugin does to osTicket itself: users, tickets, thread
 * entries. The only place besides the signal glue that touches osTicket classes.
 */
final class WhatsAppDesk
{
    /**
     * The e-mail message id our thread entries carry, so that a retried webhook
     * finds what an interrupted one already posted (osTicket keeps it in
     * thread_entry_email, as for e-mail). Part 1 of a long message is "p1";
     * notes of a command have their own suffix.
     */
    public static function messageId($whatsappId, $part = 1)
    {
        return sprintf('<%s.%s@whatsapp.osticket>', preg_replace('/[^A-Za-z0-9._-]/', '.', $whatsappId), is_int($part) ? 'p' . $part : $part);
    }

    /** The thread entry posted with this message id, if any. */
    public static function entryByMessageId($mid)
    {
        return ThreadEntry::objects()->filter(['email_info__mid' => $mid])->order_by('id')->first() ?: null;
    }

    /** A thread entry by its id, or null. */
    public static function entry($entryId)
    {
        return ThreadEntry::lookup((int) $entryId) ?: null;
    }

    /** An entry's text as WhatsApp shows it: paragraphs, lists, links and emphasis, never hard-wrapped. */
    public static function plainText(ThreadEntry $entry)
    {
        $body = $entry->getBody();
        return trim($body->getType() === 'html'
            ? WhatsAppMarkup::toWhatsApp($body->getClean())
            : html_entity_decode((string) $body->getClean(), ENT_QUOTES | ENT_HTML5, 'UTF-8'));
    }

    /** The ticket a thread entry belongs to. */
    public static function ticketOf(ThreadEntry $entry)
    {
        $object = $entry->getThread() ? $entry->getThread()->getObject() : null;
        return $object instanceof Ticket ? $object : null;
    }

    /** Whether the entry is the first customer message of its ticket (the one that opened it). */
    public static function opensItsTicket(ThreadEntry $entry)
    {
        $first = ThreadEntry::objects()->filter(['thread_id' => $entry->thread_id, 'type' => 'M'])->order_by('id')->first();
        return $first && (int) $first->getId() === (int) $entry->getId();
    }

    /**
     * An internal note (never sent to the customer), as plain text with its line
     * breaks, from the system or in a customer's name; with $mid, at most once.
     */
    public static function note(Ticket $ticket, $title, $text, $poster = 'SYSTEM', $mid = null)
    {
        if ($mid !== null && ($existing = self::entryByMessageId($mid))) {
            return $existing;
        }
        $errors = [];
        // osTicket's connection stores no 4-byte characters (it would cut the note there): emoji by name.
        $vars = ['title' => $title, 'note' => new WhatsAppTextBody(WhatsAppText::readable($text))];
        if ($mid !== null) {
            $vars['mid'] = $mid;
        }
        return $ticket->postNote($vars, $errors, $poster ?: 'SYSTEM', false);
    }

    /**
     * A note posted with this message id says something else now (a state that changed). Stored as
     * ThreadEntry::create stores a text body (escaped, emoji by name). Whether there was one.
     */
    public static function rewriteNote($mid, $title, $text)
    {
        $note = self::entryByMessageId($mid);
        if ($note) {
            $note->title = $title;
            $note->setBody(new WhatsAppTextBody(WhatsAppText::escaped(WhatsAppText::readable($text))));
        }
        return (bool) $note;
    }

    /**
     * The osTicket user of this WhatsApp number, or a new one: ['user' => User,
     * 'doubt' => a line for the agents when the number points to several users
     * or was only typed by someone]. Throws WhatsAppRefused.
     */
    public static function customer($chat, $phone, $name, array $settings)
    {
        $found = $phone !== null ? WhatsAppPhoneIndex::match($phone, $settings['default_country_code']) : ['user' => null, 'ambiguous' => [], 'claims' => []];
        $doubt = null;
        if ($found['ambiguous']) {
            $doubt = WhatsAppTemplates::render($settings['staff']['ambiguous_note'], ['users' => implode(', ', $found['ambiguous'])]);
        } elseif ($found['claims']) {
            $doubt = WhatsAppTemplates::render($settings['staff']['claim_note'], ['users' => implode(', ', $found['claims'])]);
        }
        if ($found['user']) {
            return ['user' => $found['user'], 'doubt' => $doubt];
        }
        $local = $phone !== null ? $phone : str_replace(':', '', $chat);
        $email = sprintf('whatsapp+%s@%s', $local, $settings['email_domain']);
        if (!($user = User::lookupByEmail($email))) {
            $readable = WhatsAppText::personName($name);
            // fromVars skips osTicket's DNS check of e-mail addresses, which a generated address would fail.
            $user = User::fromVars([
                'name' => $readable !== '' ? $readable : ($phone !== null ? '+' . $phone : 'WhatsApp'),
                'email' => $email,
                'phone' => $phone !== null ? '+' . $phone : '',
            ]);
        }
        if (!$user) {
            self::refused('osTicket could not create the user', []);
        }
        if ($phone !== null) {
            WhatsAppPhoneIndex::remember($phone, $user->getId(), 'whatsapp');
        }
        return ['user' => $user, 'doubt' => $doubt];
    }

    /** The user of a known conversation: no phone lookup at all. */
    public static function user($userId)
    {
        return User::lookup($userId) ?: null;
    }

    /**
     * A new ticket; staff get the usual new-ticket alerts. Throws
     * WhatsAppRefused when osTicket refuses it (filter, limit, validation).
     */
    public static function openTicket(User $user, $subject, $text, $mid, array $settings, array $files = [])
    {
        $vars = [
            'uid' => $user->getId(),
            'name' => $user->getName()->getOriginal(),
            'email' => $user->getEmail()->address,
            'subject' => $subject,
            'message' => new WhatsAppTextBody($text),
            'mid' => $mid,
            'attachments' => $files,
            'source' => 'Other',
            'ip' => '',
        ];
        if ($settings['help_topic_id']) {
            $vars['topicId'] = (int) $settings['help_topic_id'];
        }
        if ($settings['dept_id']) {
            $vars['deptId'] = (int) $settings['dept_id'];
        }
        $errors = [];
        // No autoresponse e-mail (the customer gets the WhatsApp confirmation); staff alerts stay on.
        $ticket = Ticket::create($vars, $errors, 'api', false, true);
        if (!$ticket) {
            self::refused('osTicket refused the ticket', $errors);
        }
        // osTicket titles the first entry with the subject; ours say where they came from, like every later one.
        if (($first = self::entryByMessageId($mid)) && $first->title !== $settings['staff']['whatsapp_title']) {
            $first->title = $settings['staff']['whatsapp_title'];
            $first->save();
        }
        return $ticket;
    }

    /**
     * Adds the customer's message to the ticket; returns the thread entry. Staff get
     * osTicket's new-message alert; a customer known only by a generated address gets
     * no e-mail auto-response (the department's setting is off for this call only,
     * in memory). Throws WhatsAppRefused.
     */
    public static function addMessage(Ticket $ticket, User $user, $text, $mid, $title, $emailDomain, array $files = [])
    {
        $dept = $ticket->getDept();
        $quiet = $dept && WhatsAppMailGuard::isWhatsAppOnly($ticket->getEmail(), $emailDomain);
        $autoResponse = $dept ? $dept->message_auto_response : null;
        if ($quiet) {
            $dept->message_auto_response = 0;
        }
        try {
            $entry = $ticket->postMessage(['userId' => $user->getId(), 'title' => $title, 'message' => new WhatsAppTextBody($text), 'mid' => $mid, 'attachments' => $files, 'ip' => ''], 'api');
        } finally {
            if ($quiet) {
                $dept->message_auto_response = $autoResponse;
                unset($dept->dirty['message_auto_response']); // never saved
            }
        }
        if (!$entry) {
            self::refused('osTicket refused the message', []);
        }
        return $entry;
    }

    /**
     * What a request killed before it could record anything may have left, since its attempt
     * began: the customer's tickets the plugin opens (source Other) without a conversation, and
     * the plugin's entries (its title) without a message id in the ticket it was writing to.
     * @return array ['tickets' => ids, 'entries' => ids]
     */
    public static function unrecordedSince($userId, $ticketId, $since, $ourTitle)
    {
        $p = TABLE_PREFIX;
        $ids = function ($sql) {
            return array_map('intval', array_column(WhatsAppStore::rows($sql), 'id'));
        };
        return [
            'tickets' => $userId ? $ids(sprintf("SELECT t.ticket_id AS id FROM `{$p}ticket` t WHERE t.user_id = %d AND t.created >= %s AND t.source = 'Other'
                AND NOT EXISTS (SELECT 1 FROM `%s` m WHERE m.ticket_id = t.ticket_id)", $userId, WhatsAppStore::quote($since), WhatsAppSchema::mappingTable())) : [],
            'entries' => $userId && ($ticket = $ticketId ? Ticket::lookup($ticketId) : null) ? $ids(sprintf("SELECT e.id FROM `{$p}thread_entry` e
                LEFT JOIN `{$p}thread_entry_email` m ON m.thread_entry_id = e.id
                WHERE e.thread_id = %d AND e.user_id = %d AND e.type = 'M' AND e.title = %s AND e.created >= %s AND m.id IS NULL",
                $ticket->getThreadId(), $userId, WhatsAppStore::quote($ourTitle), WhatsAppStore::quote($since))) : [],
        ];
    }

    /** A thread entry that never got its message id (osTicket was killed between the two): deleted with its files. */
    public static function deleteIncompleteEntry($entryId, $ourTitle)
    {
        $entry = ThreadEntry::lookup((int) $entryId);
        // Only what the plugin posts with a message id: a customer message or a note under its title
        // (osTicket's canned reply or an agent's note made in the same request never carry one).
        if (!$entry || $entry->getEmailMessageId() || !($entry->getType() === 'M' || ($entry->getType() === 'N' && $entry->getTitle() === $ourTitle))
                || ThreadEntry::objects()->filter(['pid' => $entry->getId()])->count() > 0) { // an agent edited it: theirs now
            return;
        }
        Attachment::objects()->filter(['type' => 'H', 'object_id' => $entry->getId()])->delete();
        $entry->delete();
    }

    /**
     * A ticket a killed request opened whose opening entry never became complete: deleted,
     * unless it holds anything complete from WhatsApp or anything but this customer's
     * unfinished messages and what this message made, or an agent acted on it (osTicket's
     * events by a staff member).
     */
    public static function deleteUntouchedTicket($ticketId, $userId, array $madeEntries)
    {
        $ticket = self::wholeEnoughToDelete((int) $ticketId);
        if (!$ticket || self::hasWhatsAppEntry($ticket)) {
            return;
        }
        $p = TABLE_PREFIX;
        $others = db_result(db_query(sprintf("SELECT COUNT(*) FROM `{$p}thread_entry` e LEFT JOIN `{$p}thread_entry_email` m ON m.thread_entry_id = e.id
            WHERE e.thread_id = %d AND e.id NOT IN (%s) AND NOT (e.type = 'M' AND e.user_id = %d AND m.id IS NULL)",
            $ticket->getThreadId(), implode(',', array_map('intval', $madeEntries ?: [0])), $userId)));
        $byStaff = db_result(db_query(sprintf("SELECT COUNT(*) FROM `%sthread_event` WHERE thread_id = %d AND uid_type = 'S' AND uid IS NOT NULL",
            TABLE_PREFIX, $ticket->getThreadId())));
        if (!$others && !$byStaff) {
            $ticket->delete();
        }
    }

    /**
     * The opening entry is complete but the request died before osTicket finished the new
     * ticket (Ticket::create after postMessage, class.ticket.php 1.17/1.18): what is missing
     * is done as osTicket does it — the original-message flag, the SLA, the help topic's
     * assignment, the due date, the staff alerts and the ticket.created signal — and nothing
     * is posted again. (What a filter decided in the dead request is not known any more.)
     */
    public static function finishNewTicket(Ticket $ticket, ThreadEntry $first)
    {
        if (!($first->flags & ThreadEntry::FLAG_ORIGINAL_MESSAGE)) {
            $first->setFlag(ThreadEntry::FLAG_ORIGINAL_MESSAGE);
            $first->save();
        }
        $topic = $ticket->getTopic();
        if (!$ticket->getSLAId()) {
            $ticket->selectSLAId($topic ? $topic->getSLAId() : null); // the topic's SLA first, as Ticket::create
        }
        if ($ticket->isOpen() && !$ticket->isAssigned() && $topic) {
            if ($topic->getStaffId()) {
                $ticket->assignToStaff($topic->getStaffId(), false, true, __('Ticket Filter'));
            } elseif ($topic->getTeamId()) {
                $ticket->assignToTeam($topic->getTeamId(), false, true, __('Ticket Filter'));
            }
        }
        $ticket->updateEstDueDate();
        $ticket->onNewTicket($first, false, true);
        Signal::send('ticket.created', $ticket);
    }

    /**
     * A customer's follow-up is complete but the request died before osTicket finished it
     * (Ticket::postMessage after the entry): unanswered and reopened as osTicket's onMessage
     * does, then the staff's new-message alert, built as postMessage builds it (it has no
     * method of its own to call).
     */
    public static function finishMessage(Ticket $ticket, ThreadEntry $message)
    {
        global $cfg;
        $ticket->onMessage($message, false, true);
        if ($cfg->notifyCollabsONNewMessage()) {
            $ticket->notifyCollaborators($message, ['signature' => '']);
        }
        self::alertNewMessage($ticket, $message);
        $type = ['type' => 'message', 'uid' => $message->getUserId()];
        Signal::send('object.created', $ticket, $type); // (its data is taken by reference)
    }

    /** osTicket's new-message alert to staff (Ticket::postMessage), for finishMessage. */
    private static function alertNewMessage(Ticket $ticket, ThreadEntry $message)
    {
        global $cfg;
        $dept = $ticket->getDept();
        if (!$cfg->alertONNewMessage() || !$dept || !($email = $dept->getAlertEmail()) || !($tpl = $dept->getTemplate())
                || !($template = $tpl->getNewMessageAlertMsgTemplate())) {
            return;
        }
        $msg = $ticket->replaceVars($template->asArray(), ['message' => $message, 'poster' => $ticket->getName()]);
        $recipients = [];
        if ($cfg->alertLastRespondentONNewMessage() && ($last = $ticket->getLastRespondent())) {
            $recipients[] = $last;
        }
        if ($cfg->alertAssignedONNewMessage() && $ticket->isAssigned()) {
            if ($staff = $ticket->getStaff()) {
                $recipients[] = $staff;
            } elseif ($team = $ticket->getTeam()) {
                $recipients = array_merge($recipients, $team->getMembersForAlerts());
            }
        }
        if ($cfg->alertDeptManagerONNewMessage() && ($manager = $dept->getManager())) {
            $recipients[] = $manager;
        }
        $org = $ticket->getOwner() ? $ticket->getOwner()->getOrganization() : null;
        if ($cfg->alertAcctManagerONNewMessage() && $org && ($manager = $org->getAccountManager())) {
            $recipients = $manager instanceof Team ? array_merge($recipients, $manager->getMembersForAlerts()) : array_merge($recipients, [$manager]);
        }
        $sent = [];
        foreach ($recipients as $staff) {
            if (!$staff || !$staff->getEmail() || !$staff->isAvailable() || in_array($staff->getEmail(), $sent)) {
                continue;
            }
            $alert = $ticket->replaceVars($msg, ['recipient' => $staff]);
            $email->sendAlert($staff, $alert['subj'], $alert['body'], null, ['thread' => $message]);
            $sent[] = $staff->getEmail();
        }
    }

    /**
     * A ticket Ticket::create left just after saving its row has no status and no
     * thread yet, and osTicket can neither look it up nor delete it: it gets
     * osTicket's default status and an empty thread, so that osTicket deletes it.
     */
    private static function wholeEnoughToDelete($ticketId)
    {
        global $cfg;
        if ($ticket = Ticket::lookup($ticketId)) {
            return $ticket;
        }
        if (!db_result(db_query(sprintf('SELECT COUNT(*) FROM `%sticket` WHERE ticket_id = %d', TABLE_PREFIX, $ticketId)))) {
            return null; // deleted meanwhile
        }
        db_query(sprintf('UPDATE `%sticket` SET status_id = %d WHERE ticket_id = %d AND status_id = 0', TABLE_PREFIX, $cfg->getDefaultTicketStatusId(), $ticketId));
        if (!db_result(db_query(sprintf("SELECT COUNT(*) FROM `%sthread` WHERE object_type = 'T' AND object_id = %d", TABLE_PREFIX, $ticketId)))) {
            TicketThread::create($ticketId);
        }
        return Ticket::lookup($ticketId);
    }

    /** Whether any entry of the ticket came complete from WhatsApp (carries one of our message ids). */
    private static function hasWhatsAppEntry(Ticket $ticket)
    {
        return $ticket->getThread() && ThreadEntry::objects()
            ->filter(['thread_id' => $ticket->getThreadId(), 'email_info__mid__endswith' => '@whatsapp.osticket>'])->count() > 0;
    }

    /**
     * What osTicket lets customers attach to a message, read from the ticket
     * form's message field as osTicket's own API does (api.tickets.php):
     * [upload field or null when attachments are off, largest size in bytes].
     */
    public static function attachmentRules()
    {
        $form = TicketForm::objects()->one();
        $message = $form ? $form->getForm()->getField('message') : null;
        if (!$message || !$message->isAttachmentsEnabled()) {
            return [null, 0];
        }
        $upload = $message->getWidget()->getAttachments();
        $config = $upload->getConfiguration();
        return [$upload, (int) $config['size']];
    }

    /**
     * Saves a customer's file as osTicket saves uploads (type and size rules
     * of the ticket form). Returns [['id' => file id, 'name' => name], null],
     * [null, why not] when osTicket refuses the file, or [null, null] when its storage failed.
     */
    public static function saveFile($upload, $name, $type, $data)
    {
        $detected = class_exists('finfo') ? (new finfo(FILEINFO_MIME_TYPE))->buffer($data) : null;
        $file = ['name' => $name, 'type' => WhatsAppFileType::forOsTicket($type, $detected ?: null), 'data' => $data];
        try {
            $saved = $upload->uploadAttachment($file);
            return [['id' => $saved->getId(), 'name' => $name], null];
        } catch (FileUploadError $error) {
            return [null, $error->getMessage() === __('Unable to save file') ? null : $error->getMessage()];
        }
    }

    /** A database failure is worth a retry; anything else osTicket said no to is its answer for good. */
    private static function refused($what, array $errors)
    {
        if (db_errno()) {
            throw new RuntimeException($what . ': database error ' . db_errno());
        }
        $reasons = [];
        array_walk_recursive($errors, function ($value, $key) use (&$reasons) {
            if ($key !== 'errno' && is_scalar($value) && (string) $value !== '') {
                $reasons[] = (string) $value;
            }
        });
        throw new WhatsAppRefused($what . ($reasons ? ': ' . implode('; ', array_unique($reasons)) : ''));
    }

    /**
     * Closes the ticket on the customer's word, as osTicket would let anyone close
     * it (open tasks, required fields: its own rules) and with an enabled closed
     * status. Returns null when it is closed, else osTicket's reason.
     */
    public static function close(Ticket $ticket)
    {
        if ($ticket->isClosed()) {
            return null;
        }
        $status = null;
        foreach (TicketStatus::objects()->filter(['state' => 'closed'])->order_by('sort') as $candidate) {
            if ($candidate->isEnabled()) {
                $status = $candidate;
                break;
            }
        }
        if (!$status) {
            return 'osTicket has no enabled status of the state "closed"';
        }
        $errors = [];
        if ($ticket->setStatus($status, '', $errors, false, false)) {
            return null;
        }
        return isset($errors['err']) ? strip_tags((string) $errors['err']) : 'osTicket did not allow it';
    }

    /** What writing again after this close does, in the customer's words: reopen within N days, or a new ticket. */
    public static function writeAgain(Ticket $ticket, array $settings, $wasActive = true)
    {
        $reopens = $wasActive && $settings['reopen_days'] > 0 && self::reopenable($ticket);
        return WhatsAppTemplates::render($settings['texts'][$reopens ? 'write_again_reopen' : 'write_again_new'], ['days' => $settings['reopen_days']]);
    }

    /**
     * Whether a message may reopen the ticket: osTicket's rule (status, department, topic), and not a
     * merged child (osTicket adds a child's messages to its parent, as its client portal knows).
     */
    public static function reopenable(Ticket $ticket)
    {
        return $ticket->isReopenable() && !($ticket->isChild() && $ticket->getMergeType() !== 'visual');
    }

    /** When a closed ticket was closed (unix time), or null. */
    public static function closedAt(Ticket $ticket)
    {
        return $ticket->isClosed() && $ticket->getCloseDate() ? Misc::db2gmtime($ticket->getCloseDate()) : null;
    }

    public static function ticket($ticketId)
    {
        return Ticket::lookup($ticketId) ?: null;
    }

    public static function ticketByNumber($number)
    {
        $number = ltrim((string) $number, '#');
        $id = Ticket::getIdByNumber($number);
        return $id ? Ticket::lookup($id) : null;
    }

    /** osTicket's language, which agents read tickets in. */
    public static function language()
    {
        global $cfg;
        return $cfg ? $cfg->getPrimaryLanguage() : 'en_US';
    }

    /** Help topics and departments for the settings form. */
    public static function topics()
    {
        return Topic::getHelpTopics(false, false);
    }

    public static function departments()
    {
        return Dept::getDepartments();
    }
}
