<?php
/**
 * Rows of ost_whatsapp_mapping and ost_whatsapp_messages. Every string goes
 * into SQL quoted (osTicket's db_input leaves digit strings bare, and a phone
 * compared as a number scans the table and fails in MySQL's strict mode).
 */
final class WhatsAppStore
{
    /** A string as an SQL string literal, always quoted. */
    public static function quote($value)
    {
        return db_real_escape((string) $value, true);
    }

    /** Takes a named lock (MySQL's GET_LOCK, this database only), waiting up to $seconds; whether it was taken. */
    public static function lock($name, $seconds)
    {
        return db_result(db_query(sprintf('SELECT GET_LOCK(%s, %d)', self::quote(WhatsAppLockName::of(DBNAME, $name)), $seconds))) == 1;
    }

    public static function unlock($name)
    {
        db_query(sprintf('SELECT RELEASE_LOCK(%s)', self::quote(WhatsAppLockName::of(DBNAME, $name))));
    }

    /** The phone's active (open) mapping on this number (plugin instance), or null. */
    public static function activeMapping($instanceId, $phone)
    {
        return self::row(sprintf('SELECT * FROM `%s` WHERE instance_id = %d AND active_phone = %s', WhatsAppSchema::mappingTable(), $instanceId, self::quote($phone)));
    }

    /** The ticket's conversation replies go to: the active one, else the newest. */
    public static function mappingForTicket($ticketId)
    {
        return self::row(sprintf("SELECT * FROM `%s` WHERE ticket_id = %d ORDER BY status = 'open' DESC, id DESC LIMIT 1", WhatsAppSchema::mappingTable(), $ticketId));
    }

    /** The phones this user wrote from on this number, most recent first. */
    public static function phonesOfUser($instanceId, $userId)
    {
        return array_values(array_unique(array_column(self::rows(sprintf("SELECT phone FROM `%s` WHERE user_id = %d AND instance_id = %d AND phone REGEXP '^[0-9]+$' ORDER BY updated DESC, id DESC",
            WhatsAppSchema::mappingTable(), $userId, $instanceId)), 'phone')));
    }

    /** Makes a ticket the phone's active one on this number (the previous active one becomes inactive). */
    public static function activate($instanceId, $phone, $ticketId, $ticketNumber, $userId)
    {
        $table = WhatsAppSchema::mappingTable();
        db_query(sprintf("UPDATE `%s` SET status = 'inactive', active_phone = NULL, updated = NOW() WHERE instance_id = %d AND active_phone = %s AND ticket_id <> %d",
            $table, $instanceId, self::quote($phone), $ticketId));
        db_query(sprintf("INSERT INTO `%s` (instance_id, phone, ticket_id, ticket_number, user_id, status, active_phone, created, updated)
            VALUES (%d, %s, %d, %s, %d, 'open', %s, NOW(), NOW())
            ON DUPLICATE KEY UPDATE status = 'open', active_phone = VALUES(active_phone), ticket_number = VALUES(ticket_number), user_id = VALUES(user_id), updated = NOW()",
            $table, $instanceId, self::quote($phone), $ticketId, self::quote($ticketNumber), $userId, self::quote($phone)));
        return self::row(sprintf('SELECT * FROM `%s` WHERE phone = %s AND ticket_id = %d', $table, self::quote($phone), $ticketId));
    }

    /**
     * The ticket's conversation moves to another phone and user (the agent changed the
     * ticket's owner): active for that phone only when it has no other active ticket.
     */
    public static function moveConversation(array $mapping, $phone, $userId)
    {
        $table = WhatsAppSchema::mappingTable();
        // (phone, ticket) is unique: a row of that phone for this ticket from before is the one that stays.
        $existing = self::row(sprintf('SELECT * FROM `%s` WHERE phone = %s AND ticket_id = %d AND id <> %d', $table, self::quote($phone), $mapping['ticket_id'], $mapping['id']));
        if ($existing) {
            db_query(sprintf('DELETE FROM `%s` WHERE id = %d', $table, $mapping['id']));
            $mapping = array_merge($existing, ['status' => $mapping['status']]);
        }
        $free = !self::activeMapping($mapping['instance_id'], $phone);
        $open = $mapping['status'] !== 'closed';
        db_query(sprintf("UPDATE `%s` SET phone = %s, user_id = %d, status = %s, active_phone = %s, updated = NOW() WHERE id = %d",
            $table, self::quote($phone), $userId, self::quote($open ? ($free ? 'open' : 'inactive') : 'closed'),
            $open && $free ? self::quote($phone) : 'NULL', $mapping['id']));
        return self::mapping($mapping['id']);
    }

    /** The phone's most recent conversation on this number, whatever its state, or null. */
    public static function lastConversation($instanceId, $phone)
    {
        return self::row(sprintf('SELECT * FROM `%s` WHERE instance_id = %d AND phone = %s ORDER BY updated DESC, id DESC LIMIT 1',
            WhatsAppSchema::mappingTable(), $instanceId, self::quote($phone)));
    }

    /** The phone's conversation (mapping row) with this ticket, on whichever number, or null. */
    public static function mappingForPhoneAndTicket($phone, $ticketId)
    {
        return self::row(sprintf('SELECT * FROM `%s` WHERE phone = %s AND ticket_id = %d', WhatsAppSchema::mappingTable(), self::quote($phone), $ticketId));
    }

    /** Every conversation (mapping row) of a ticket: one per phone that wrote to it. */
    public static function mappingsForTicket($ticketId)
    {
        return self::rows(sprintf('SELECT * FROM `%s` WHERE ticket_id = %d ORDER BY id', WhatsAppSchema::mappingTable(), $ticketId));
    }

    /**
     * The conversation continues in another ticket (a merge), with its messages: active there
     * when it was active, and a row the phone already had for that ticket on this number is
     * the one that stays. Null when the phone's row for that ticket belongs to another number.
     */
    public static function moveToTicket(array $mapping, $ticketId, $ticketNumber)
    {
        $table = WhatsAppSchema::mappingTable();
        $messages = WhatsAppSchema::messagesTable();
        $existing = self::row(sprintf('SELECT * FROM `%s` WHERE phone = %s AND ticket_id = %d', $table, self::quote($mapping['phone']), $ticketId));
        if ($existing && (int) $existing['instance_id'] !== (int) $mapping['instance_id']) {
            return null;
        }
        db_query(sprintf('UPDATE `%s` SET ticket_id = %d WHERE ticket_id = %d AND phone = %s', $messages, $ticketId, $mapping['ticket_id'], self::quote($mapping['phone'])));
        if ($existing) {
            db_query(sprintf('UPDATE `%s` SET mapping_id = %d WHERE mapping_id = %d', $messages, $existing['id'], $mapping['id']));
            db_query(sprintf('DELETE FROM `%s` WHERE id = %d', $table, $mapping['id']));
        } else {
            db_query(sprintf('UPDATE `%s` SET ticket_id = %d, ticket_number = %s, updated = NOW() WHERE id = %d', $table, $ticketId, self::quote($ticketNumber), $mapping['id']));
        }
        return $mapping['status'] === 'open'
            ? self::activate($mapping['instance_id'], $mapping['phone'], $ticketId, $ticketNumber, $mapping['user_id'])
            : self::row(sprintf('SELECT * FROM `%s` WHERE phone = %s AND ticket_id = %d', $table, self::quote($mapping['phone']), $ticketId));
    }

    /** The conversation stays on its phone but belongs to another user now. */
    public static function setMappingUser($mappingId, $userId)
    {
        db_query(sprintf('UPDATE `%s` SET user_id = %d, updated = NOW() WHERE id = %d', WhatsAppSchema::mappingTable(), $userId, $mappingId));
        return self::mapping($mappingId);
    }

    /** The ticket is closed: no phone keeps it active. */
    public static function closeTicket($ticketId)
    {
        db_query(sprintf("UPDATE `%s` SET status = 'closed', active_phone = NULL, updated = NOW() WHERE ticket_id = %d AND status <> 'closed'",
            WhatsAppSchema::mappingTable(), $ticketId));
        return db_affected_rows() > 0;
    }

    public static function outbound($key)
    {
        return self::row(sprintf("SELECT * FROM `%s` WHERE direction = 'out' AND message_id = %s", WhatsAppSchema::messagesTable(), self::quote($key)));
    }

    public static function mapping($id)
    {
        return self::row(sprintf('SELECT * FROM `%s` WHERE id = %d', WhatsAppSchema::mappingTable(), $id));
    }

    public static function inbound($messageId)
    {
        return self::row(sprintf("SELECT * FROM `%s` WHERE direction = 'in' AND message_id = %s", WhatsAppSchema::messagesTable(), self::quote($messageId)));
    }

    /** Logs a message of this number; returns false if (direction, message id) is already logged. */
    public static function log($instanceId, $direction, $phone, $messageId, $type, $content, $status, $mappingId = null)
    {
        $sql = sprintf("INSERT IGNORE INTO `%s` (instance_id, mapping_id, phone, direction, message_id, type, content, status, created, updated)
            VALUES (%d, %s, %s, %s, %s, %s, %s, %s, NOW(), NOW())",
            WhatsAppSchema::messagesTable(), $instanceId, $mappingId ? (int) $mappingId : 'NULL', self::quote($phone), self::quote($direction),
            self::quote($messageId), self::quote($type), self::quote(WhatsAppText::safeForUtf8mb3($content)), self::quote($status));
        return db_query($sql) && db_affected_rows() > 0;
    }

    /** Sets columns of a logged message; values are strings, numbers (ids), null, or ['sql' => expression]. */
    public static function update($direction, $messageId, array $fields)
    {
        $sets = ['updated = NOW()'];
        foreach ($fields as $column => $value) {
            $sets[] = sprintf('`%s` = %s', $column, $value === null ? 'NULL' : (is_array($value) ? $value['sql'] : (is_int($value) ? $value : self::quote($value))));
        }
        db_query(sprintf('UPDATE `%s` SET %s WHERE direction = %s AND message_id = %s',
            WhatsAppSchema::messagesTable(), implode(', ', $sets), self::quote($direction), self::quote($messageId)));
    }

    /** Outbound messages of this number (and customer) the service has not accepted yet, oldest first. */
    public static function pendingOutbound($instanceId, $limit = 50, $phone = null)
    {
        // With the ticket number (the Cloud API's invitation template names it).
        return self::rows(sprintf("SELECT m.*, t.ticket_number FROM `%s` m LEFT JOIN `%s` t ON t.id = m.mapping_id
            WHERE m.direction = 'out' AND m.status = 'pending' AND m.instance_id = %d%s ORDER BY m.id LIMIT %d",
            WhatsAppSchema::messagesTable(), WhatsAppSchema::mappingTable(), $instanceId, $phone === null ? '' : ' AND m.phone = ' . self::quote($phone), $limit));
    }

    /**
     * Delivery reports only move forward (docs/contract.md 2.2); one of the same state may add a note.
     * `held` (waiting for the customer, outside WhatsApp's 24-hour window) may follow `sent`, and `sent` follows it.
     * Returns whether the row changed.
     */
    public static function recordStatus($key, $state, $whatsappId, $error, $at = null)
    {
        $steps = "'pending', 'queued', 'held', 'sent', 'delivered', 'read'";
        $note = $error === null ? 'NULL' : self::quote(mb_substr($error, 0, 255));
        // When WhatsApp said so (the event's time, else now); a read message was delivered too.
        $when = $at !== null && $at > 0 ? sprintf('FROM_UNIXTIME(%d)', $at) : 'NOW()';
        $times = [];
        foreach (['sent_at' => ['sent', 'delivered', 'read'], 'delivered_at' => ['delivered', 'read'], 'read_at' => ['read']] as $column => $states) {
            if (in_array($state, $states, true)) {
                $times[] = sprintf('%s = COALESCE(%s, %s)', $column, $column, $when);
            }
        }
        db_query(sprintf("UPDATE `%s` SET status = %s, whatsapp_id = COALESCE(%s, whatsapp_id), error = %s, updated = NOW()%s
            WHERE direction = 'out' AND message_id = %s AND status <> 'failed'
              AND (%s = 'failed' OR FIELD(status, %s) < FIELD(%s, %s) OR (%s = 'held' AND status = 'sent') OR (status = %s AND %s IS NOT NULL AND NOT (error <=> %s)))",
            WhatsAppSchema::messagesTable(), self::quote($state), $whatsappId === null ? 'NULL' : self::quote($whatsappId),
            $note, $times ? ', ' . implode(', ', $times) : '', self::quote($key), self::quote($state), $steps, self::quote($state), $steps,
            self::quote($state), self::quote($state), $note, $note));
        return db_affected_rows() > 0;
    }

    /** The key of the newest agent reply (not a file) sent in a ticket's conversations, or null. */
    public static function newestReplyOfTicket($ticketId)
    {
        $row = self::row(sprintf("SELECT m.message_id FROM `%s` m JOIN `%s` c ON c.id = m.mapping_id
            WHERE c.ticket_id = %d AND m.direction = 'out' AND m.message_id REGEXP '^entry:[0-9]+$' ORDER BY m.id DESC LIMIT 1",
            WhatsAppSchema::messagesTable(), WhatsAppSchema::mappingTable(), $ticketId));
        return $row ? $row['message_id'] : null;
    }

    /**
     * What WhatsApp made of the messages sent in a ticket's conversations, and the customer
     * entries the plugin's answers belong to: ['out' => rows, 'answered' => [inbound message id => entry id]].
     * Times as unix seconds. Two indexed queries: the ticket view asks every few seconds.
     */
    public static function deliveryOfTicket($ticketId)
    {
        $out = self::rows(sprintf("SELECT m.message_id, m.type, m.content, m.status, m.error, UNIX_TIMESTAMP(m.created) AS created_at,
                UNIX_TIMESTAMP(m.sent_at) AS sent_at, UNIX_TIMESTAMP(m.delivered_at) AS delivered_at, UNIX_TIMESTAMP(m.read_at) AS read_at
            FROM `%s` m JOIN `%s` c ON c.id = m.mapping_id WHERE c.ticket_id = %d AND m.direction = 'out' ORDER BY m.id",
            WhatsAppSchema::messagesTable(), WhatsAppSchema::mappingTable(), $ticketId));
        $answered = [];
        foreach (self::rows(sprintf("SELECT message_id, thread_entry_id FROM `%s` WHERE ticket_id = %d AND direction = 'in' AND thread_entry_id IS NOT NULL",
                WhatsAppSchema::messagesTable(), $ticketId)) as $row) {
            $answered[$row['message_id']] = (int) $row['thread_entry_id'];
        }
        return ['out' => $out, 'answered' => $answered];
    }

    /**
     * Whether this message may send the media hint: one per ticket and window.
     * The message that took it keeps it, so a retried webhook answers the same.
     */
    public static function takeMediaHint($mappingId, $windowMinutes, $messageId)
    {
        if ((int) $windowMinutes <= 0) {
            return true;
        }
        $table = WhatsAppSchema::mappingTable();
        db_query(sprintf('UPDATE `%s` SET media_hint_at = NOW(), media_hint_by = %s
            WHERE id = %d AND (media_hint_by = %s OR media_hint_at IS NULL OR media_hint_at < NOW() - INTERVAL %d MINUTE)',
            $table, self::quote($messageId), $mappingId, self::quote($messageId), (int) $windowMinutes));
        $row = self::row(sprintf('SELECT media_hint_by FROM `%s` WHERE id = %d', $table, $mappingId));
        return $row && $row['media_hint_by'] === $messageId;
    }

    /** The customer wrote STOP on this number: remembered with the time they wrote it (the first time stays). */
    public static function optOut($instanceId, $phone, $at)
    {
        db_query(sprintf('INSERT IGNORE INTO `%s` (instance_id, phone, opted_out_at) VALUES (%d, %s, FROM_UNIXTIME(%d))',
            WhatsAppSchema::optOutsTable(), $instanceId, self::quote($phone), $at));
    }

    /** The customer wrote of their own accord (or START): opted in again. Whether they had opted out. */
    public static function optIn($instanceId, $phone)
    {
        db_query(sprintf('DELETE FROM `%s` WHERE instance_id = %d AND phone = %s', WhatsAppSchema::optOutsTable(), $instanceId, self::quote($phone)));
        return db_affected_rows() > 0;
    }

    /** Whether this phone opted out on any number (instance). */
    public static function optedOutAnywhere($phone)
    {
        return (bool) self::row(sprintf('SELECT 1 FROM `%s` WHERE phone = %s LIMIT 1', WhatsAppSchema::optOutsTable(), self::quote($phone)));
    }

    /** When the customer opted out on this number (unix time), or null. */
    public static function optedOutAt($instanceId, $phone)
    {
        $row = self::row(sprintf('SELECT UNIX_TIMESTAMP(opted_out_at) AS at FROM `%s` WHERE instance_id = %d AND phone = %s',
            WhatsAppSchema::optOutsTable(), $instanceId, self::quote($phone)));
        return $row ? (int) $row['at'] : null;
    }

    /** A rating asked for a close, once per key; whether this call asked. */
    public static function askRating($instanceId, $ticketId, $phone, $key, $closedBy, $deptId)
    {
        db_query(sprintf('INSERT IGNORE INTO `%s` (instance_id, ticket_id, phone, ask_key, closed_by, dept_id, asked_at) VALUES (%d, %d, %s, %s, %s, %s, NOW())',
            WhatsAppSchema::ratingsTable(), $instanceId, $ticketId, self::quote($phone), self::quote($key),
            $closedBy === null ? 'NULL' : (int) $closedBy, $deptId ? (int) $deptId : 'NULL'));
        return db_affected_rows() > 0;
    }

    /**
     * The newest question of this phone asked within `$days` (or the one this message already answered),
     * with `open`: not answered yet and asked within `$openDays`, or answered by this very message.
     */
    public static function recentAsk($instanceId, $phone, $days, $openDays, $messageId)
    {
        $mid = self::quote($messageId);
        $row = self::row(sprintf('SELECT *, (rated_by <=> %s OR (rating IS NULL AND asked_at >= NOW() - INTERVAL %d DAY)) AS open FROM `%s`
            WHERE instance_id = %d AND phone = %s AND (rated_by <=> %s OR asked_at >= NOW() - INTERVAL %d DAY) ORDER BY rated_by <=> %s DESC, id DESC LIMIT 1',
            $mid, $openDays, WhatsAppSchema::ratingsTable(), $instanceId, self::quote($phone), $mid, $days, $mid));
        return $row ? ['open' => (bool) $row['open']] + $row : null;
    }

    /** The customer's answer. */
    public static function rate($askId, $stars, $messageId)
    {
        db_query(sprintf('UPDATE `%s` SET rating = %d, rated_at = NOW(), rated_by = %s WHERE id = %d AND (rating IS NULL OR rated_by = %s)',
            WhatsAppSchema::ratingsTable(), $stars, self::quote($messageId), $askId, self::quote($messageId)));
    }

    /** All rows of a query, as arrays. */
    public static function rows($sql)
    {
        $rows = [];
        $result = db_query($sql);
        while ($result && ($row = db_fetch_array($result))) {
            $rows[] = $row;
        }
        return $rows;
    }

    private static function row($sql)
    {
        $result = db_query($sql);
        return $result ? (db_fetch_array($result) ?: null) : null;
    }
}
