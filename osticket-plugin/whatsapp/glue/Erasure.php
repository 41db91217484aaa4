<?php
/**
 * Data protection: what the plugin and its services hold about WhatsApp
 * customers goes when osTicket's data goes (a ticket or user deleted), when
 * it is older than the instance's retention, and when an administrator
 * erases one phone number.
 *
 * Only what belongs to the deleted thing alone goes: a number another live
 * user or ticket still uses keeps its conversations (an agent who changed a
 * ticket's owner and then deletes the empty generated user loses nothing).
 * The services are told to forget their copies (POST /forget) from osTicket's
 * cron, never while an agent waits: each request is queued once and kept
 * until its service took it.
 */
final class WhatsAppErasure
{
    /** Forget requests sent per cron run, and the time one run may spend on them. */
    const PER_RUN = 50;
    const RUN_SECONDS = 20;

    /** A ticket was deleted: its conversation, its messages and replies (pending ones included). */
    public static function ticketDeleted($ticketId)
    {
        $ticketId = (int) $ticketId;
        db_query(sprintf('DELETE FROM `%s` WHERE ticket_id = %d', WhatsAppSchema::ratingsTable(), $ticketId));
        $mappings = WhatsAppStore::rows(sprintf('SELECT id, instance_id FROM `%s` WHERE ticket_id = %d', WhatsAppSchema::mappingTable(), $ticketId));
        $mappingIds = array_map('intval', array_column($mappings, 'id')) ?: [0];
        // Messages still waiting to be processed are not the ticket's yet: they open a new ticket.
        $messages = WhatsAppStore::rows(sprintf("SELECT id, instance_id, direction, message_id FROM `%s`
            WHERE (direction = 'in' AND ticket_id = %d AND status IN ('processed', 'refused')) OR mapping_id IN (%s)",
            WhatsAppSchema::messagesTable(), $ticketId, implode(',', $mappingIds)));
        self::forgetRows($messages, $mappings);
    }

    /**
     * A user was deleted (osTicket deletes only users without tickets): their conversations
     * whose tickets are gone, and their entries in the phone index. A number of theirs is
     * erased everywhere, services included, only when nothing live uses it any more: no
     * ticket with a conversation on it, no other user who has it as a trusted number.
     */
    public static function userDeleted($userId)
    {
        $userId = (int) $userId;
        $own = WhatsAppStore::rows(sprintf('SELECT id, instance_id, phone, ticket_id FROM `%s` WHERE user_id = %d', WhatsAppSchema::mappingTable(), $userId));
        $phones = array_merge(
            array_column($own, 'phone'),
            array_column(WhatsAppStore::rows(sprintf("SELECT DISTINCT phone FROM `%s` WHERE user_id = %d AND source <> 'claim'", WhatsAppSchema::phoneIndexTable(), $userId)), 'phone')
        );
        WhatsAppPhoneIndex::forgetUser($userId);
        $gone = array_filter($own, function ($mapping) {
            return !WhatsAppDesk::ticket($mapping['ticket_id']);
        });
        foreach ($gone as $mapping) {
            self::ticketDeleted($mapping['ticket_id']);
        }
        foreach (array_unique($phones) as $phone) {
            if (!self::inUse($phone)) {
                foreach (WhatsAppPlugin::instanceIds() as $instanceId) {
                    self::phoneOnInstance($phone, $instanceId);
                }
            }
        }
    }

    /** Whether a live ticket's conversation or another user's trusted number still uses this phone. */
    private static function inUse($phone)
    {
        foreach (WhatsAppStore::rows(sprintf('SELECT ticket_id FROM `%s` WHERE phone = %s', WhatsAppSchema::mappingTable(), WhatsAppStore::quote($phone))) as $mapping) {
            if (WhatsAppDesk::ticket($mapping['ticket_id'])) {
                return true;
            }
        }
        return (bool) WhatsAppStore::rows(sprintf("SELECT 1 FROM `%s` WHERE phone = %s AND source IN ('%s') LIMIT 1",
            WhatsAppSchema::phoneIndexTable(), WhatsAppStore::quote($phone), implode("', '", WhatsAppPhoneTrust::TRUSTED)));
    }

    /**
     * An administrator's erasure of one number: the plugin's rows of it on every number
     * (instance), the phone index's WhatsApp entries for it, and each service forgets it.
     * @return array counts: conversations, messages
     */
    public static function phone($phone)
    {
        $quoted = WhatsAppStore::quote($phone);
        $instances = WhatsAppStore::rows(sprintf('SELECT DISTINCT instance_id FROM `%s` WHERE phone = %s UNION SELECT DISTINCT instance_id FROM `%s` WHERE phone = %s
            UNION SELECT DISTINCT instance_id FROM `%s` WHERE phone = %s', WhatsAppSchema::mappingTable(), $quoted, WhatsAppSchema::messagesTable(), $quoted,
            WhatsAppSchema::optOutsTable(), $quoted)); // (an opt-out outlives the retention, also on a number since disabled)
        $counts = ['conversations' => 0, 'messages' => 0];
        foreach (array_unique(array_merge(array_map('intval', array_column($instances, 'instance_id')), WhatsAppPlugin::instanceIds())) as $instanceId) {
            $done = self::phoneOnInstance($phone, $instanceId);
            $counts['conversations'] += $done['conversations'];
            $counts['messages'] += $done['messages'];
        }
        db_query(sprintf("DELETE FROM `%s` WHERE phone = %s AND source IN ('whatsapp', 'agent')", WhatsAppSchema::phoneIndexTable(), WhatsAppStore::quote($phone)));
        return $counts;
    }

    /**
     * Retention: messages older than the instance's retention days go (whatever their state),
     * and conversations whose ticket is gone or has been closed that long. A conversation of a
     * ticket that is open stays, however old: replies on it must still reach the customer.
     */
    public static function purge(array $settings)
    {
        $instanceId = (int) $settings['instance_id'];
        // A rating's phone is needed only while its question is open (whatever the retention).
        db_query(sprintf('UPDATE `%s` SET phone = NULL, rated_by = NULL WHERE phone IS NOT NULL AND asked_at < NOW() - INTERVAL %d DAY',
            WhatsAppSchema::ratingsTable(), max(WhatsAppWebhook::RATING_DAYS, (int) $settings['reopen_days']) + 1)); // (every instance's, also a disabled one's)
        $days = (int) $settings['retention_days'];
        if ($days <= 0) {
            return;
        }
        db_query(sprintf('DELETE FROM `%s` WHERE instance_id = %d AND updated < NOW() - INTERVAL %d DAY',
            WhatsAppSchema::messagesTable(), $instanceId, $days));
        $p = TABLE_PREFIX;
        db_query(sprintf("DELETE m FROM `%s` m LEFT JOIN `{$p}ticket` t ON t.ticket_id = m.ticket_id LEFT JOIN `{$p}ticket_status` s ON s.id = t.status_id
            WHERE m.instance_id = %d AND m.status <> 'open' AND m.updated < NOW() - INTERVAL %d DAY
              AND (t.ticket_id IS NULL OR (s.state = 'closed' AND t.closed < NOW() - INTERVAL %d DAY))",
            WhatsAppSchema::mappingTable(), $instanceId, $days, $days));
        // One standing request per instance, replaced by the newest: never a growing queue.
        self::tell($instanceId, ['before' => time() - $days * 86400], 'purge');
    }

    /**
     * osTicket's cron: queued requests go to their services, oldest first, a bounded
     * number per run; an instance whose service cannot take one now is tried next run.
     */
    public static function sendQueued(callable $settingsOf, $uninstalling = false)
    {
        $deadline = microtime(true) + self::RUN_SECONDS;
        $unreachable = [];
        $result = db_query(sprintf('SELECT * FROM `%s` ORDER BY attempts, id LIMIT %d', WhatsAppSchema::erasuresTable(), self::PER_RUN));
        while ($result && ($row = db_fetch_array($result)) && microtime(true) < $deadline) {
            $instanceId = (int) $row['instance_id'];
            if (isset($unreachable[$instanceId])) {
                continue;
            }
            $settings = $settingsOf($instanceId);
            // Sent, or its number (instance) was deleted, and with it its service's place here: done.
            if (($settings && self::send($settings, json_decode($row['request'], true))) || (!$uninstalling && !PluginInstance::lookup($instanceId))) {
                db_query(sprintf('DELETE FROM `%s` WHERE id = %d', WhatsAppSchema::erasuresTable(), $row['id']));
            } else {
                $unreachable[$instanceId] = true;
                db_query(sprintf('UPDATE `%s` SET attempts = attempts + 1 WHERE id = %d', WhatsAppSchema::erasuresTable(), $row['id']));
            }
        }
    }

    /** How many requests wait for their services (an erasure at Save and the uninstall say so). */
    public static function queued()
    {
        $rows = WhatsAppStore::rows(sprintf('SELECT COUNT(*) AS n FROM `%s`', WhatsAppSchema::erasuresTable()));
        return $rows ? (int) $rows[0]['n'] : 0;
    }

    /** One number on one instance: its rows here, and its service forgets the whole chat. */
    private static function phoneOnInstance($phone, $instanceId)
    {
        $quoted = WhatsAppStore::quote($phone);
        db_query(sprintf('DELETE FROM `%s` WHERE instance_id = %d AND phone = %s', WhatsAppSchema::messagesTable(), $instanceId, $quoted));
        $messages = db_affected_rows();
        db_query(sprintf('DELETE FROM `%s` WHERE instance_id = %d AND phone = %s', WhatsAppSchema::mappingTable(), $instanceId, $quoted));
        $conversations = db_affected_rows();
        db_query(sprintf('DELETE FROM `%s` WHERE instance_id = %d AND phone = %s', WhatsAppSchema::optOutsTable(), $instanceId, $quoted));
        db_query(sprintf('UPDATE `%s` SET phone = NULL WHERE instance_id = %d AND phone = %s', WhatsAppSchema::ratingsTable(), $instanceId, $quoted));
        self::tell($instanceId, ['phone' => $phone]);
        return ['conversations' => $conversations, 'messages' => $messages];
    }

    /** Deletes message and mapping rows, and queues for each instance's service to forget its part. */
    private static function forgetRows(array $messages, array $mappings)
    {
        $perInstance = [];
        foreach ($messages as $row) {
            $perInstance[(int) $row['instance_id']][$row['direction'] === 'in' ? 'messages' : 'keys'][] = $row['message_id'];
        }
        foreach (array_chunk(array_map('intval', array_column($messages, 'id')), 500) as $ids) {
            db_query(sprintf('DELETE FROM `%s` WHERE id IN (%s)', WhatsAppSchema::messagesTable(), implode(',', $ids)));
        }
        foreach ($mappings as $mapping) {
            db_query(sprintf('DELETE FROM `%s` WHERE id = %d', WhatsAppSchema::mappingTable(), $mapping['id']));
        }
        foreach ($perInstance as $instanceId => $request) {
            self::tell($instanceId, $request);
        }
    }

    /**
     * Queues a forget request for the instance's service, once: the same request again is
     * the same row; one with a $slot replaces the slot's earlier request.
     */
    private static function tell($instanceId, array $request, $slot = null)
    {
        $body = json_encode($request);
        db_query(sprintf('INSERT INTO `%s` (instance_id, request, request_hash, created) VALUES (%d, %s, %s, NOW()) ON DUPLICATE KEY UPDATE request = VALUES(request)',
            WhatsAppSchema::erasuresTable(), $instanceId, WhatsAppStore::quote($body), WhatsAppStore::quote(sha1($instanceId . ':' . ($slot !== null ? $slot : $body)))));
    }

    private static function send(array $settings, array $request)
    {
        return (new WhatsAppServiceClient($settings['service_url'], $settings['api_key'], 3))->forget($request);
    }
}
