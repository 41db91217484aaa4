<?php
/** osTicket said no to this one message, for good: answered, logged, never retried. */
final class WhatsAppRefused extends RuntimeException
{
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
     * thread_entry_email, as for e-mail). Part 1 of a long message is "p1".
     */
    public static function messageId($whatsappId, $part = 1)
    {
        return sprintf('<%s.p%d@whatsapp.osticket>', preg_replace('/[^A-Za-z0-9._-]/', '.', $whatsappId), $part);
    }

    /** The thread entry posted with this message id, if any. */
    public static function entryByMessageId($mid)
    {
        return ThreadEntry::objects()->filter(['email_info__mid' => $mid])->order_by('id')->first() ?: null;
    }

    /** The ticket a thread entry belongs to. */
    public static function ticketOf(ThreadEntry $entry)
    {
        $object = $entry->getThread() ? $entry->getThread()->getObject() : null;
        return $object instanceof Ticket ? $object : null;
    }

    /** An internal note (never sent to the customer), from the system or in a customer's name; plain text, line breaks kept. */
    public static function note(Ticket $ticket, $title, $text, $poster = 'SYSTEM')
    {
        return $ticket->logNote($title, new TextThreadEntryBody($text), $poster ?: 'SYSTEM', false);
    }

    /** The osTicket user with this WhatsApp number, or a new one. Throws WhatsAppRefused. */
    public static function customer($chat, $phone, $name, array $settings)
    {
        if ($phone !== null && ($user = WhatsAppPhoneIndex::user($phone, $settings['default_country_code']))) {
            return $user;
        }
        $local = $phone !== null ? $phone : str_replace(':', '', $chat);
        $email = sprintf('whatsapp+%s@%s', $local, $settings['email_domain']);
        if (!($user = User::lookupByEmail($email))) {
            // fromVars skips osTicket's DNS check of e-mail addresses, which a generated address would fail.
            $user = User::fromVars([
                'name' => $name !== '' ? WhatsAppText::readable($name) : ($phone !== null ? '+' . $phone : 'WhatsApp'),
                'email' => $email,
                'phone' => $phone !== null ? '+' . $phone : '',
            ]);
        }
        if (!$user) {
            self::refused('osTicket could not create the user', []);
        }
        if ($phone !== null) {
            WhatsAppPhoneIndex::remember($phone, $user->getId());
        }
        return $user;
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
            'message' => self::body($text),
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

    /** Adds the customer's message to the ticket; returns the thread entry. Throws WhatsAppRefused. */
    public static function addMessage(Ticket $ticket, User $user, $text, $mid, $title, array $files = [])
    {
        $entry = $ticket->postMessage(['userId' => $user->getId(), 'title' => $title, 'message' => self::body($text), 'mid' => $mid, 'attachments' => $files, 'ip' => ''], 'api');
        if (!$entry) {
            self::refused('osTicket refused the message', []);
        }
        return $entry;
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
        $file = ['name' => $name, 'type' => $type, 'data' => $data];
        try {
            $saved = $upload->uploadAttachment($file);
            return [['id' => $saved->getId(), 'name' => $name], null];
        } catch (FileUploadError $error) {
            return [null, $error->getMessage() === __('Unable to save file') ? null : $error->getMessage()];
        }
    }

    /** Customer text is plain text: shown escaped, plain URLs clickable, no markup of theirs ever active. */
    private static function body($text)
    {
        return new TextThreadEntryBody(WhatsAppText::readable($text));
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

    /** Closes the ticket on the customer's word, with the first status whose state is "closed". */
    public static function close(Ticket $ticket)
    {
        if ($ticket->isClosed()) {
            return true;
        }
        $status = TicketStatus::objects()->filter(['state' => 'closed'])->order_by('sort')->first();
        $errors = [];
        return $status && $ticket->setStatus($status, '', $errors, false, true);
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

    /** The language customer texts default to. */
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
