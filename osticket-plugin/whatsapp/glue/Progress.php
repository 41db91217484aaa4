<?php
/**
 * What osTicket made for one customer message, recorded as it makes it, so that
 * a request killed half way (web server restart, FPM timeout, slow SMTP during
 * the alerts) is finished or undone exactly — never by guessing from times.
 *
 * While a message is being processed, every ticket and thread entry osTicket
 * creates is written to the message's row (`made`) the moment its row exists.
 * A retry then knows: an entry of ours without its message id is half made and
 * goes; a ticket whose opening entry never became complete goes, unless an agent
 * or the customer has touched it since; and when the step itself ran but the
 * request died before osTicket finished it (`completed` not set), what is missing
 * is done without posting again. Undo happens only within UNDO_WINDOW of the
 * first attempt: later, nothing is deleted.
 */
final class WhatsAppProgress
{
    const UNDO_WINDOW_SECONDS = 3600;

    /** The inbound message being processed in this request, and what was made for it. */
    private static $messageId = null;
    private static $made = null;

    /** From now on, what osTicket creates belongs to this message. */
    public static function begin($messageId, array $row)
    {
        self::$messageId = $messageId;
        self::$made = self::made($row);
    }

    /** What an earlier attempt made is dealt with (undone or complete): this attempt records afresh. */
    public static function restart()
    {
        self::$made = ['ticket' => null, 'entries' => [], 'at' => null];
        WhatsAppStore::update('in', self::$messageId, ['made' => null]);
    }

    /** Whether osTicket is creating this ticket for the message being processed right now. */
    public static function isMaking($ticketId)
    {
        return self::$messageId !== null && self::$made['ticket'] === (int) $ticketId;
    }

    public static function end()
    {
        self::$messageId = self::$made = null;
    }

    /** model.created of a Ticket or a ThreadEntry. */
    public static function created($object)
    {
        if (self::$messageId === null) {
            return;
        }
        if ($object instanceof Ticket && !self::$made['ticket']) {
            self::$made['ticket'] = (int) $object->getId();
        } elseif ($object instanceof ThreadEntry) {
            self::$made['entries'][] = (int) $object->getId();
        } else {
            return;
        }
        self::$made['at'] = self::$made['at'] ?: self::now();
        WhatsAppStore::update('in', self::$messageId, ['made' => json_encode(self::$made)]);
    }

    /** osTicket finished the message's step (the ticket with its alerts, or the follow-up with its own). */
    public static function completed($messageId)
    {
        WhatsAppStore::update('in', $messageId, ['completed' => 1]);
    }

    /** ['ticket' => id or null, 'entries' => ids] of a message's row. */
    public static function made(array $row)
    {
        $made = isset($row['made']) ? json_decode((string) $row['made'], true) : null;
        return ['ticket' => isset($made['ticket']) ? (int) $made['ticket'] : null, 'entries' => isset($made['entries']) ? array_map('intval', $made['entries']) : [],
            'at' => isset($made['at']) ? (int) $made['at'] : null];
    }

    /**
     * Before a retry carries on: entries this message made that never got their message id
     * are deleted (a part, a note, the opening entry); with $ticketToo, the ticket it opened
     * too when nothing complete is in it and nobody touched it. A kill can also fall between
     * osTicket saving a row and this record of it: then what the plugin's own kind of work
     * since the attempt began looks like is undone too. Only within the window; false when
     * it was too late (nothing undone, the record kept).
     */
    public static function undoHalfMade(array $row, $ticketToo, $ourTitle)
    {
        $made = self::made($row);
        $began = $made['at'] ?: ($row['attempt_at'] ? strtotime($row['attempt_at']) : null);
        if (!$began) {
            return true; // the first attempt
        }
        if ($began < self::now() - self::UNDO_WINDOW_SECONDS) {
            return false; // too long ago to be sure nobody built on it
        }
        $unrecorded = $row['attempt_at']
            ? WhatsAppDesk::unrecordedSince($row['user_id'], $row['ticket_id'] ?: $made['ticket'], $row['attempt_at'], $ourTitle)
            : ['tickets' => [], 'entries' => []];
        foreach (array_unique(array_merge($made['entries'], $unrecorded['entries'])) as $entryId) {
            WhatsAppDesk::deleteIncompleteEntry($entryId, $ourTitle);
        }
        if ($ticketToo) {
            foreach (array_unique(array_filter(array_merge([$made['ticket']], $unrecorded['tickets']))) as $ticketId) {
                WhatsAppDesk::deleteUntouchedTicket($ticketId, (int) $row['user_id'], $made['entries']);
            }
        }
        return true;
    }

    /** The database's clock, which attempt_at was written with. */
    private static function now()
    {
        return strtotime(db_result(db_query('SELECT NOW()')));
    }
}
