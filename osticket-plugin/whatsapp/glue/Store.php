<?php
/**
 * Rows of ost_whatsapp_mapping and ost_whatsapp_messages.
 */
final class WhatsAppStore
{
    /** The phone's active (open) mapping on this number (plugin instance), or null. */
    public static function activeMapping($instanceId, $phone)
    {
        return self::row(sprintf('SELECT * FROM `%s` WHERE instance_id = %d AND active_phone = %s', WhatsAppSchema::mappingTable(), $instanceId, db_input($phone)));
    }

    public static function mappingForTicket($ticketId)
    {
        return self::row(sprintf('SELECT * FROM `%s` WHERE ticket_id = %d ORDER BY id DESC LIMIT 1', WhatsAppSchema::mappingTable(), $ticketId));
    }

    /** Makes a ticket the phone's active one on this number (the previous active one becomes inactive). */
    public static function activate($instanceId, $phone, $ticketId, $ticketNumber, $userId)
    {
        $table = WhatsAppSchema::mappingTable();
        db_query(sprintf("UPDATE `%s` SET status = 'inactive', active_phone = NULL, updated = NOW() WHERE instance_id = %d AND active_phone = %s AND ticket_id <> %d",
            $table, $instanceId, db_input($phone), $ticketId));
        db_query(sprintf("INSERT INTO `%s` (instance_id, phone, ticket_id, ticket_number, user_id, status, active_phone, created, updated)
            VALUES (%d, %s, %d, %s, %d, 'open', %s, NOW(), NOW())
            ON DUPLICATE KEY UPDATE status = 'open', active_phone = VALUES(active_phone), ticket_number = VALUES(ticket_number), updated = NOW()",
            $table, $instanceId, db_input($phone), $ticketId, db_input($ticketNumber), $userId, db_input($phone)));
        return self::row(sprintf('SELECT * FROM `%s` WHERE phone = %s AND ticket_id = %d', $table, db_input($phone), $ticketId));
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
        return self::row(sprintf("SELECT * FROM `%s` WHERE direction = 'out' AND message_id = %s", WhatsAppSchema::messagesTable(), db_input($key)));
    }

    public static function mapping($id)
    {
        return self::row(sprintf('SELECT * FROM `%s` WHERE id = %d', WhatsAppSchema::mappingTable(), $id));
    }

    public static function inbound($messageId)
    {
        return self::row(sprintf("SELECT * FROM `%s` WHERE direction = 'in' AND message_id = %s", WhatsAppSchema::messagesTable(), db_input($messageId)));
    }

    /** Logs a message of this number; returns false if (direction, message id) is already logged. */
    public static function log($instanceId, $direction, $phone, $messageId, $type, $content, $status, $mappingId = null)
    {
        $sql = sprintf("INSERT IGNORE INTO `%s` (instance_id, mapping_id, phone, direction, message_id, type, content, status, created, updated)
            VALUES (%d, %s, %s, %s, %s, %s, %s, %s, NOW(), NOW())",
            WhatsAppSchema::messagesTable(), $instanceId, $mappingId ? (int) $mappingId : 'NULL', db_input($phone), db_input($direction),
            db_input($messageId), db_input($type), db_input(WhatsAppText::safeForUtf8mb3($content)), db_input($status));
        return db_query($sql) && db_affected_rows() > 0;
    }

    public static function update($direction, $messageId, array $fields)
    {
        $sets = ['updated = NOW()'];
        foreach ($fields as $column => $value) {
            $sets[] = sprintf('`%s` = %s', $column, $value === null ? 'NULL' : db_input($value));
        }
        db_query(sprintf('UPDATE `%s` SET %s WHERE direction = %s AND message_id = %s',
            WhatsAppSchema::messagesTable(), implode(', ', $sets), db_input($direction), db_input($messageId)));
    }

    /** Outbound messages of this number the service has not accepted yet, oldest first. */
    public static function pendingOutbound($instanceId, $limit = 50)
    {
        $rows = [];
        $result = db_query(sprintf("SELECT * FROM `%s` WHERE instance_id = %d AND direction = 'out' AND status = 'pending' ORDER BY id LIMIT %d",
            WhatsAppSchema::messagesTable(), $instanceId, $limit));
        while ($result && ($row = db_fetch_array($result))) {
            $rows[] = $row;
        }
        return $rows;
    }

    /** Delivery reports only move forward (docs/contract.md 2.2). Returns whether the row changed. */
    public static function recordStatus($key, $state, $whatsappId, $error)
    {
        $order = "FIELD(status, 'pending', 'queued', 'sent', 'delivered', 'read')";
        db_query(sprintf("UPDATE `%s` SET status = %s, whatsapp_id = COALESCE(%s, whatsapp_id), error = %s, updated = NOW()
            WHERE direction = 'out' AND message_id = %s AND status <> 'failed' AND (%s = 'failed' OR %s < FIELD(%s, 'pending', 'queued', 'sent', 'delivered', 'read'))",
            WhatsAppSchema::messagesTable(), db_input($state), $whatsappId === null ? 'NULL' : db_input($whatsappId),
            $error === null ? 'NULL' : db_input(mb_substr($error, 0, 255)), db_input($key), db_input($state), $order, db_input($state)));
        return db_affected_rows() > 0;
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
            $table, db_input($messageId), $mappingId, db_input($messageId), (int) $windowMinutes));
        $row = self::row(sprintf('SELECT media_hint_by FROM `%s` WHERE id = %d', $table, $mappingId));
        return $row && $row['media_hint_by'] === $messageId;
    }

    private static function row($sql)
    {
        $result = db_query($sql);
        return $result ? (db_fetch_array($result) ?: null) : null;
    }
}
