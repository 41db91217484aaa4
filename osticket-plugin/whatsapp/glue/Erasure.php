<?php
/**
 * Data protection: what the plugin and its services hold about WhatsApp
 * customers goes when osTicket's data goes (a ticket or user deleted), when
 * it is older than the instance's retention, and when an administrator
 * erases one phone number. The services are told to forget their copies
 * (POST /forget); a service that cannot be reached is told again by cron,
 * and nothing pending is sent meanwhile (the plugin's pending rows are gone).
 */
final class WhatsAppErasure
{
    /** A ticket was deleted: its conversation, its messages and replies (pending ones included). */
    public static function ticketDeleted($ticketId)
    {
        $ticketId = (int) $ticketId;
        $mappings = self::rows(sprintf('SELECT id, instance_id FROM `%s` WHERE ticket_id = %d', WhatsAppSchema::mappingTable(), $ticketId));
        $mappingIds = array_map('intval', array_column($mappings, 'id')) ?: [0];
        // Messages still waiting to be processed are not the ticket's yet: they open a new ticket.
        $messages = self::rows(sprintf("SELECT id, instance_id, direction, message_id FROM `%s`
            WHERE (direction = 'in' AND ticket_id = %d AND status IN ('processed', 'refused')) OR mapping_id IN (%s)",
            WhatsAppSchema::messagesTable(), $ticketId, implode(',', $mappingIds)));
        self::forgetRows($messages, $mappings);
    }

    /**
     * A user was deleted: each of their numbers — their conversations' (their tickets usually
     * went first, and their conversations with them) and those the phone index knows as theirs —
     * is forgotten, here and by every service.
     */
    public static function userDeleted($userId)
    {
        $userId = (int) $userId;
        $phones = array_merge(
            array_column(self::rows(sprintf('SELECT DISTINCT phone FROM `%s` WHERE user_id = %d', WhatsAppSchema::mappingTable(), $userId)), 'phone'),
            array_column(self::rows(sprintf("SELECT DISTINCT phone FROM `%s` WHERE user_id = %d AND source <> 'claim'", WhatsAppSchema::phoneIndexTable(), $userId)), 'phone')
        );
        foreach (array_unique($phones) as $phone) {
            foreach (WhatsAppPlugin::instanceIds() as $instanceId) {
                self::phoneOnInstance($phone, $instanceId);
            }
        }
        WhatsAppPhoneIndex::forgetUser($userId);
    }

    /**
     * An administrator's erasure of one number: the plugin's rows of it on every number
     * (instance), the phone index's WhatsApp entries for it, and each service forgets it.
     * @return array counts: conversations, messages
     */
    public static function phone($phone)
    {
        $instances = self::rows(sprintf('SELECT DISTINCT instance_id FROM `%s` WHERE phone = %s UNION SELECT DISTINCT instance_id FROM `%s` WHERE phone = %s',
            WhatsAppSchema::mappingTable(), WhatsAppStore::quote($phone), WhatsAppSchema::messagesTable(), WhatsAppStore::quote($phone)));
        $counts = ['conversations' => 0, 'messages' => 0];
        foreach (array_unique(array_merge(array_map('intval', array_column($instances, 'instance_id')), WhatsAppPlugin::instanceIds())) as $instanceId) {
            $done = self::phoneOnInstance($phone, $instanceId);
            $counts['conversations'] += $done['conversations'];
            $counts['messages'] += $done['messages'];
        }
        db_query(sprintf("DELETE FROM `%s` WHERE phone = %s AND source IN ('whatsapp', 'agent')", WhatsAppSchema::phoneIndexTable(), WhatsAppStore::quote($phone)));
        return $counts;
    }

    /** Retention: what is older than the instance's retention days goes, here and at its service. */
    public static function purge(array $settings)
    {
        $days = (int) $settings['retention_days'];
        if ($days <= 0) {
            return;
        }
        $instanceId = (int) $settings['instance_id'];
        db_query(sprintf("DELETE FROM `%s` WHERE instance_id = %d AND updated < NOW() - INTERVAL %d DAY AND status NOT IN ('pending', 'received')",
            WhatsAppSchema::messagesTable(), $instanceId, $days));
        db_query(sprintf("DELETE FROM `%s` WHERE instance_id = %d AND status <> 'open' AND updated < NOW() - INTERVAL %d DAY",
            WhatsAppSchema::mappingTable(), $instanceId, $days));
        self::tell($instanceId, ['before' => time() - $days * 86400]);
    }

    /** osTicket's cron: requests a service could not take before are sent again. */
    public static function retry(callable $settingsOf)
    {
        $result = db_query(sprintf('SELECT * FROM `%s` ORDER BY id LIMIT 100', WhatsAppSchema::erasuresTable()));
        while ($result && ($row = db_fetch_array($result))) {
            $settings = $settingsOf((int) $row['instance_id']);
            // Sent, or its number (instance) was deleted, and with it its service's place here: done.
            if (($settings && self::send($settings, json_decode($row['request'], true))) || !PluginInstance::lookup((int) $row['instance_id'])) {
                db_query(sprintf('DELETE FROM `%s` WHERE id = %d', WhatsAppSchema::erasuresTable(), $row['id']));
            }
        }
    }

    /** One number on one instance: its rows here, and its service forgets the whole chat. */
    private static function phoneOnInstance($phone, $instanceId)
    {
        $quoted = WhatsAppStore::quote($phone);
        db_query(sprintf('DELETE FROM `%s` WHERE instance_id = %d AND phone = %s', WhatsAppSchema::messagesTable(), $instanceId, $quoted));
        $messages = db_affected_rows();
        db_query(sprintf('DELETE FROM `%s` WHERE instance_id = %d AND phone = %s', WhatsAppSchema::mappingTable(), $instanceId, $quoted));
        $conversations = db_affected_rows();
        self::tell($instanceId, ['phone' => $phone]);
        return ['conversations' => $conversations, 'messages' => $messages];
    }

    /** Deletes message and mapping rows, and tells each instance's service to forget its part. */
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

    /** Sends a forget request to the instance's service now, or keeps it for cron. */
    private static function tell($instanceId, array $request)
    {
        $settings = WhatsAppPlugin::settings($instanceId);
        if (!$settings || !self::send($settings, $request)) {
            db_query(sprintf('INSERT INTO `%s` (instance_id, request, created) VALUES (%d, %s, NOW())',
                WhatsAppSchema::erasuresTable(), $instanceId, WhatsAppStore::quote(json_encode($request))));
        }
    }

    private static function send(array $settings, array $request)
    {
        return (new WhatsAppServiceClient($settings['service_url'], $settings['api_key'], 3))->forget($request);
    }

    private static function rows($sql)
    {
        $rows = [];
        $result = db_query($sql);
        while ($result && ($row = db_fetch_array($result))) {
            $rows[] = $row;
        }
        return $rows;
    }
}
