<?php
/**
 * The plugin's two tables, created when the plugin is enabled and upgraded
 * by a schema version kept in osTicket's config table.
 */
final class WhatsAppSchema
{
    const VERSION = 2;

    public static function mappingTable()
    {
        return TABLE_PREFIX . 'whatsapp_mapping';
    }

    public static function messagesTable()
    {
        return TABLE_PREFIX . 'whatsapp_messages';
    }

    public static function phoneIndexTable()
    {
        return TABLE_PREFIX . 'whatsapp_phone_index';
    }

    /** Creates or upgrades the tables when the stored version is behind. Cheap when current. */
    public static function ensure()
    {
        $config = new Config('plugin.whatsapp.schema');
        $installed = (int) $config->get('version', 0);
        if ($installed >= self::VERSION) {
            return true;
        }
        foreach (self::migrations() as $version => $statements) {
            if ($version <= $installed) {
                continue;
            }
            foreach ($statements as $sql) {
                if (is_array($sql) ? !self::addColumn($sql[0], $sql[1], $sql[2]) : !db_query($sql)) {
                    return false;
                }
            }
            $config->set('version', $version);
        }
        return true;
    }

    /** ALTER TABLE ... ADD, skipped when the column exists: a migration killed half way can run again. */
    private static function addColumn($table, $column, $definition)
    {
        $exists = db_query(sprintf("SHOW COLUMNS FROM `%s` LIKE '%s'", $table, $column));
        return ($exists && db_num_rows($exists) > 0) || db_query(sprintf('ALTER TABLE `%s` ADD `%s` %s', $table, $column, $definition));
    }

    /** Numbered like the service's migrations: append, never edit. [table, column, definition] adds a column. */
    private static function migrations()
    {
        $mapping = self::mappingTable();
        $messages = self::messagesTable();
        $phones = self::phoneIndexTable();
        return [
            1 => [
                // status: open = the phone's active ticket, inactive = switched away, closed.
                // active_phone is the phone while open and NULL otherwise: UNIQUE makes one active ticket per phone.
                "CREATE TABLE IF NOT EXISTS `$mapping` (
                    `id` int(11) unsigned NOT NULL AUTO_INCREMENT,
                    `phone` varchar(64) NOT NULL,
                    `ticket_id` int(11) unsigned NOT NULL,
                    `ticket_number` varchar(32) NOT NULL,
                    `user_id` int(11) unsigned NOT NULL,
                    `status` enum('open','closed','inactive') NOT NULL DEFAULT 'open',
                    `active_phone` varchar(64) DEFAULT NULL,
                    `created` datetime NOT NULL,
                    `updated` datetime NOT NULL,
                    PRIMARY KEY (`id`),
                    UNIQUE KEY `active_phone` (`active_phone`),
                    UNIQUE KEY `phone_ticket` (`phone`, `ticket_id`),
                    KEY `ticket_id` (`ticket_id`)
                ) DEFAULT CHARSET=utf8",
                // message_id: WhatsApp's id for 'in', our idempotency key for 'out'; unique per direction,
                // so a message is processed once. content keeps 4-byte characters as &#x...; entities.
                "CREATE TABLE IF NOT EXISTS `$messages` (
                    `id` int(11) unsigned NOT NULL AUTO_INCREMENT,
                    `mapping_id` int(11) unsigned DEFAULT NULL,
                    `phone` varchar(64) NOT NULL,
                    `direction` enum('in','out') NOT NULL,
                    `message_id` varchar(191) NOT NULL,
                    `type` varchar(16) NOT NULL DEFAULT 'text',
                    `content` mediumtext NOT NULL,
                    `status` varchar(16) NOT NULL,
                    `replies` mediumtext DEFAULT NULL,
                    `error` varchar(255) DEFAULT NULL,
                    `whatsapp_id` varchar(128) DEFAULT NULL,
                    `thread_entry_id` int(11) unsigned DEFAULT NULL,
                    `attempts` int(11) unsigned NOT NULL DEFAULT 0,
                    `created` datetime NOT NULL,
                    `updated` datetime NOT NULL,
                    PRIMARY KEY (`id`),
                    UNIQUE KEY `direction_message` (`direction`, `message_id`),
                    KEY `mapping_id` (`mapping_id`),
                    KEY `status` (`direction`, `status`)
                ) DEFAULT CHARSET=utf8",
            ],
            2 => [
                // Progress of an inbound message, recorded before its side effects: a retried
                // webhook resumes the same action on the same ticket instead of deciding anew.
                [$messages, 'action', "varchar(16) DEFAULT NULL AFTER `status`"],
                [$messages, 'ticket_id', "int(11) unsigned DEFAULT NULL AFTER `action`"],
                // One media hint per ticket and window, not one per picture.
                [$mapping, 'media_hint_at', 'datetime DEFAULT NULL'],
                [$mapping, 'media_hint_by', 'varchar(191) DEFAULT NULL'],
                // Phone (international digits) -> osTicket user, so a first contact needs no scan of all users.
                "CREATE TABLE IF NOT EXISTS `$phones` (
                    `phone` varchar(20) NOT NULL,
                    `user_id` int(11) unsigned NOT NULL,
                    PRIMARY KEY (`phone`, `user_id`),
                    KEY `user_id` (`user_id`)
                ) DEFAULT CHARSET=utf8",
            ],
        ];
    }
}
