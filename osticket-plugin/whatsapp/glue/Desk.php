<?php
/**
 * Everything the plugin does to osTicket itself: users, tickets, thread
 * entries. The only place besides the signal glue that touches osTicket classes.
 */
final class WhatsAppDesk
{
    /** The osTicket user with this WhatsApp number, or a new one. */
    public static function customer($chat, $phone, $name, array $settings)
    {
        if ($phone !== null && ($user = self::userByPhone($phone, $settings['default_country_code']))) {
            return $user;
        }
        $local = $phone !== null ? $phone : str_replace(':', '', $chat);
        $email = sprintf('whatsapp+%s@%s', $local, $settings['email_domain']);
        if ($user = User::lookupByEmail($email)) {
            return $user;
        }
        // fromVars skips osTicket's DNS check of e-mail addresses, which a generated address would fail.
        return User::fromVars([
            'name' => $name !== '' ? WhatsAppText::readable($name) : ($phone !== null ? '+' . $phone : 'WhatsApp'),
            'email' => $email,
            'phone' => $phone !== null ? '+' . $phone : '',
        ]);
    }

    /** Users whose stored phone, in whatever format, is this number. */
    public static function userByPhone($phone, $defaultCountry)
    {
        $sql = sprintf(
            "SELECT e.object_id AS user_id, v.value
               FROM %sform_entry e
               JOIN %sform_entry_values v ON v.entry_id = e.id
               JOIN %sform_field f ON f.id = v.field_id
              WHERE e.object_type = 'U' AND f.name = 'phone' AND f.type = 'phone' AND v.value LIKE %s
              ORDER BY e.object_id",
            TABLE_PREFIX, TABLE_PREFIX, TABLE_PREFIX, db_input('%' . WhatsAppPhoneNumber::tail($phone) . '%')
        );
        $result = db_query($sql);
        while ($result && ($row = db_fetch_array($result))) {
            if (WhatsAppPhoneNumber::matches($row['value'], $phone, $defaultCountry) && ($user = User::lookup($row['user_id']))) {
                return $user;
            }
        }
        return null;
    }

    /** A new ticket; staff get the usual new-ticket alerts. Returns [Ticket|null, errors]. */
    public static function openTicket(User $user, $subject, $text, array $settings)
    {
        $vars = [
            'uid' => $user->getId(),
            'name' => $user->getName()->getOriginal(),
            'email' => $user->getEmail()->address,
            'subject' => $subject,
            'message' => new HtmlThreadEntryBody(WhatsAppText::toHtml($text)),
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
        return [$ticket ?: null, $errors];
    }

    /** Adds the customer's message to the ticket; returns the thread entry or null. */
    public static function addMessage(Ticket $ticket, User $user, $text)
    {
        $entry = $ticket->postMessage([
            'userId' => $user->getId(),
            'message' => new HtmlThreadEntryBody(WhatsAppText::toHtml($text)),
            'ip' => '',
        ], 'api');
        return $entry ?: null;
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
