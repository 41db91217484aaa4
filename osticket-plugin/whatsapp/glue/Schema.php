<?php
/**
 * The plugin's two tables, created when the plugin is enabled and upgraded
 * by a schema version kept in osTicket's config table.
 */
final class WhatsAppSchema
{
    const VERSION = 9;

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

    public static function erasuresTable()
    {
        return TABLE_PREFIX . 'whatsapp_erasures';
    }

    public static function optOutsTable()
    {
        return TABLE_PREFIX . 'whatsapp_optouts';
    }

    public static function ratingsTable()
    {
        return TABLE_PREFIX . 'whatsapp_ratings';
    }

    /** Every table of the plugin, for an uninstall that removes its data. */
    public static function tables()
    {
        return [self::mappingTable(), self::messagesTable(), self::phoneIndexTable(), self::phoneIndexTable() . '_build', self::erasuresTable(), self::optOutsTable(), self::ratingsTable()];
    }

    /** Whether the tables are there and current (without creating them). */
    public static function isCurrent()
    {
        return (int) (new Config('plugin.whatsapp.schema'))->get('version', 0) >= self::VERSION;
    }

    /**
     * Creates or upgrades the tables when the stored version is behind. Cheap
     * when current. `$instanceId` (the instance being bootstrapped) is who
     * owns conversations from before there were several numbers.
     */
    public static function ensure($instanceId)
    {
        if ((int) $instanceId <= 0) {
            return false;
        }
        $config = new Config('plugin.whatsapp.schema');
        $installed = (int) $config->get('version', 0);
        if ($installed >= self::VERSION) {
            return true;
        }
        foreach (self::migrations((int) $instanceId) as $version => $statements) {
            if ($version <= $installed) {
                continue;
            }
            foreach ($statements as $step) {
                if (!(is_callable($step) ? $step() : (is_array($step) ? self::addColumn($step[0], $step[1], $step[2]) : db_query($step)))) {
                    return false;
                }
            }
            $config->set('version', $version);
        }
        return true;
    }

    /**
     * The plugin is deleted in the admin panel: its tables and its own settings go too
     * when an administrator chose "Delete the WhatsApp data" (Data on uninstall); kept otherwise.
     */
    public static function uninstall()
    {
        $choice = new Config('plugin.whatsapp.uninstall');
        if ($choice->get('data') !== 'delete') {
            return;
        }
        // The services forget their copies before the queue of such requests goes with the tables.
        WhatsAppErasure::sendQueued(['WhatsAppPlugin', 'settings'], true);
        if ($left = WhatsAppErasure::queued()) {
            global $ost;
            $message = sprintf('%d request(s) to forget WhatsApp data could not be delivered to the WhatsApp service before the plugin\'s tables were removed. '
                . 'Erase the numbers on the service itself (docs: POST /forget) or delete its DATA_DIR.', $left);
            $ost && $ost->logError('WhatsApp: services not told to forget', $message, false);
            $GLOBALS['warn'] = $message;
        }
        foreach (self::tables() as $table) {
            db_query(sprintf('DROP TABLE IF EXISTS `%s`', $table));
        }
        WhatsAppTicketFields::remove();
        db_query(sprintf("DELETE FROM `%sconfig` WHERE namespace LIKE 'plugin.whatsapp.%%'", TABLE_PREFIX));
    }

    /** ALTER TABLE ... ADD, skipped when the column exists: a migration killed half way can run again. */
    private static function addColumn($table, $column, $definition)
    {
        $exists = db_query(sprintf("SHOW COLUMNS FROM `%s` LIKE '%s'", $table, $column));
        return ($exists && db_num_rows($exists) > 0) || db_query(sprintf('ALTER TABLE `%s` ADD `%s` %s', $table, $column, $definition));
    }

    private static function hasKey($table, $key)
    {
        $result = db_query(sprintf("SHOW INDEX FROM `%s` WHERE Key_name = '%s'", $table, $key));
        return $result && db_num_rows($result) > 0;
    }

    /** ALTER TABLE ... ADD KEY, skipped when the key exists. */
    private static function addKey($table, $key, $columns)
    {
        return self::hasKey($table, $key) || db_query(sprintf('ALTER TABLE `%s` ADD KEY `%s` (%s)', $table, $key, $columns));
    }

    /** Replaces a unique key; each half is skipped when already done, so it can run again. */
    private static function replaceUniqueKey($table, $old, $new, $columns)
    {
        return (!self::hasKey($table, $old) || db_query(sprintf('ALTER TABLE `%s` DROP INDEX `%s`', $table, $old)))
            && (self::hasKey($table, $new) || db_query(sprintf('ALTER TABLE `%s` ADD UNIQUE KEY `%s` (%s)', $table, $new, $columns)));
    }

    /**
     * Numbered like the service's migrations: append, never edit. A string is SQL,
     * [table, column, definition] adds a column, a closure does the rest.
     */
    private static function migrations($instanceId)
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
            3 => [
                // Several WhatsApp numbers: every conversation and message belongs to the plugin instance
                // (the number) it came through; one active ticket per phone and number.
                [$mapping, 'instance_id', 'int(11) unsigned NOT NULL DEFAULT 0 AFTER `id`'],
                [$messages, 'instance_id', 'int(11) unsigned NOT NULL DEFAULT 0 AFTER `id`'],
                function () use ($mapping) {
                    return self::replaceUniqueKey($mapping, 'active_phone', 'instance_active_phone', '`instance_id`, `active_phone`');
                },
                // What was there before belongs to the instance that runs the upgrade (the only one then).
                "UPDATE `$mapping` SET instance_id = $instanceId WHERE instance_id = 0",
                "UPDATE `$messages` SET instance_id = $instanceId WHERE instance_id = 0",
            ],
            4 => [
                // Who a WhatsApp customer is: the phone index says per default country code which
                // user has a number and how it got there (staff, the user's own verified account,
                // the plugin, an agent linking a conversation, or only typed by a guest: "claim").
                "DROP TABLE IF EXISTS `$phones`",
                "CREATE TABLE `$phones` (
                    `country` varchar(4) NOT NULL,
                    `phone` varchar(20) NOT NULL,
                    `user_id` int(11) unsigned NOT NULL,
                    `source` varchar(16) NOT NULL,
                    PRIMARY KEY (`country`, `phone`, `user_id`),
                    KEY `user_id` (`user_id`)
                ) DEFAULT CHARSET=utf8",
                "DELETE FROM `" . TABLE_PREFIX . "config` WHERE namespace = 'plugin.whatsapp.phones'",
                // A ticket's owner is looked up by user (replies follow the ticket's current owner).
                function () use ($mapping) {
                    return self::addKey($mapping, 'user_id', '`user_id`');
                },
                // Progress of an inbound message inside osTicket: the customer used and when the attempt began,
                // so that what a killed request left half made is found and undone (glue/Progress.php).
                [$messages, 'user_id', 'int(11) unsigned DEFAULT NULL AFTER `ticket_id`'],
                [$messages, 'attempt_at', 'datetime DEFAULT NULL AFTER `user_id`'],
            ],
            5 => [
                // Requests to forget (POST /forget) a service could not take yet: cron sends them again.
                "CREATE TABLE IF NOT EXISTS `" . self::erasuresTable() . "` (
                    `id` int(11) unsigned NOT NULL AUTO_INCREMENT,
                    `instance_id` int(11) unsigned NOT NULL,
                    `request` mediumtext NOT NULL,
                    `created` datetime NOT NULL,
                    PRIMARY KEY (`id`)
                ) DEFAULT CHARSET=utf8",
            ],
            6 => [
                // Purge, erasure and deletions filter by these: no locking full scan on every cron run.
                function () use ($messages) {
                    return self::addKey($messages, 'instance_updated', '`instance_id`, `updated`')
                        && self::addKey($messages, 'ticket_id', '`ticket_id`')
                        && self::addKey($messages, 'phone', '`phone`, `instance_id`');
                },
                // What osTicket made for an inbound message, recorded as it is made, and whether its step
                // finished (alerts included): a killed request is undone or finished exactly (glue/Progress.php).
                [$messages, 'made', 'text DEFAULT NULL AFTER `attempt_at`'],
                [$messages, 'completed', 'tinyint(1) unsigned NOT NULL DEFAULT 0 AFTER `made`'],
                // Names of the plugin's users made before names were cleaned: no markup an agent's browser would run.
                "UPDATE `" . TABLE_PREFIX . "user` u JOIN `" . TABLE_PREFIX . "user_email` e ON e.id = u.default_email_id
                    SET u.name = TRIM(REPLACE(REPLACE(REPLACE(REPLACE(u.name, '<', ' '), '>', ' '), '&', ' '), '\"', ' '))
                    WHERE e.address LIKE 'whatsapp+%' AND u.name REGEXP '[<>&\"]'",
                // A client's own profile proves an e-mail address, not a phone: no longer trusted.
                "UPDATE `$phones` SET source = 'claim' WHERE source = 'account'",
                // "whatsapp" was given to any whatsapp+… address, on any domain: judged again (the plugin finds its own users by address).
                "DELETE FROM `$phones` WHERE source = 'whatsapp'",
                // Built again by cron with the stricter judgement (only the configured domain is the plugin's own).
                "DELETE FROM `" . TABLE_PREFIX . "config` WHERE namespace = 'plugin.whatsapp.phones' AND `key` = 'built_for'",
                // Erasure requests are queued once each (the same request again is one row) and sent from cron.
                [self::erasuresTable(), 'request_hash', "char(40) NOT NULL DEFAULT ''"],
                [self::erasuresTable(), 'attempts', 'int(11) unsigned NOT NULL DEFAULT 0'],
                "UPDATE `" . self::erasuresTable() . "` SET request_hash = SHA1(CONCAT(instance_id, ':', request)) WHERE request_hash = ''",
                "DELETE e FROM `" . self::erasuresTable() . "` e JOIN `" . self::erasuresTable() . "` f ON f.request_hash = e.request_hash AND f.id < e.id",
                function () {
                    return self::hasKey(self::erasuresTable(), 'request_hash') || db_query(sprintf('ALTER TABLE `%s` ADD UNIQUE KEY `request_hash` (`request_hash`)', self::erasuresTable()));
                },
            ],
            7 => [
                // When WhatsApp reported a message sent, delivered and read: the ticket view shows them to agents.
                [$messages, 'sent_at', 'datetime DEFAULT NULL AFTER `attempts`'],
                [$messages, 'delivered_at', 'datetime DEFAULT NULL AFTER `sent_at`'],
                [$messages, 'read_at', 'datetime DEFAULT NULL AFTER `delivered_at`'],
            ],
            8 => [
                // Customers who wrote STOP, per number (instance): nothing the business starts reaches them.
                // Kept past the retention (it is their wish), erased with the number.
                "CREATE TABLE IF NOT EXISTS `" . self::optOutsTable() . "` (
                    `instance_id` int(11) unsigned NOT NULL,
                    `phone` varchar(64) NOT NULL,
                    `opted_out_at` datetime NOT NULL,
                    PRIMARY KEY (`instance_id`, `phone`)
                ) DEFAULT CHARSET=utf8",
            ],
            9 => [
                // A rating asked after each close, and the customer's answer. The phone is kept only while the
                // ask is open (3 days): what stays is the ticket, who closed it, its department and the rating.
                "CREATE TABLE IF NOT EXISTS `" . self::ratingsTable() . "` (
                    `id` int(11) unsigned NOT NULL AUTO_INCREMENT,
                    `instance_id` int(11) unsigned NOT NULL,
                    `ticket_id` int(11) unsigned NOT NULL,
                    `phone` varchar(64) DEFAULT NULL,
                    `ask_key` varchar(191) NOT NULL,
                    `closed_by` int(11) unsigned DEFAULT NULL,
                    `dept_id` int(11) unsigned DEFAULT NULL,
                    `asked_at` datetime NOT NULL,
                    `rating` tinyint(1) unsigned DEFAULT NULL,
                    `rated_at` datetime DEFAULT NULL,
                    `rated_by` varchar(191) DEFAULT NULL,
                    PRIMARY KEY (`id`),
                    UNIQUE KEY `ask_key` (`ask_key`),
                    KEY `phone` (`instance_id`, `phone`),
                    KEY `ticket_id` (`ticket_id`)
                ) DEFAULT CHARSET=utf8",
            ],
        ];
    }
}
