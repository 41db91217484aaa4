<?php
/**
 * Phone (international digits) -> osTicket user, in a table of the plugin's
 * own, so that a message from a number seen for the first time costs one
 * indexed lookup instead of a scan over every user's phone field. Built from
 * osTicket's user phones by cron (for the configured default country code),
 * kept current when a user's phone is saved; until it is built, lookups scan.
 */
final class WhatsAppPhoneIndex
{
    const BATCH = 1000;

    /** The user with this WhatsApp number, or null. */
    public static function user($phone, $defaultCountry)
    {
        if (!self::isBuilt($defaultCountry)) {
            return self::scan($phone, $defaultCountry);
        }
        $result = db_query(sprintf('SELECT user_id FROM `%s` WHERE phone = %s ORDER BY user_id',
            WhatsAppSchema::phoneIndexTable(), db_input($phone)));
        while ($result && ($row = db_fetch_array($result))) {
            $user = User::lookup($row['user_id']);
            if ($user) {
                return $user;
            }
            self::forgetUser($row['user_id']); // deleted meanwhile
        }
        return null;
    }

    /** Adds a user we created or found; harmless when known. */
    public static function remember($phone, $userId)
    {
        db_query(sprintf('INSERT IGNORE INTO `%s` (phone, user_id) VALUES (%s, %d)', WhatsAppSchema::phoneIndexTable(), db_input($phone), $userId));
    }

    /** A user's phone was saved: their entry is replaced by what osTicket now stores. */
    public static function reindexUser($userId, $defaultCountry)
    {
        self::forgetUser($userId);
        foreach (self::storedPhones('e.object_id = ' . (int) $userId) as $row) {
            $international = WhatsAppPhoneNumber::international($row['value'], $defaultCountry);
            if ($international !== null) {
                self::remember($international, $row['user_id']);
            }
        }
    }

    /** osTicket saved a form answer: when it is a user's phone, that user is indexed anew. */
    public static function onAnswerSaved($answer, $defaultCountry)
    {
        if (!$answer instanceof DynamicFormEntryAnswer) {
            return;
        }
        $field = $answer->getField();
        $entry = $answer->getEntry();
        if ($field && $entry && $field->get('name') === 'phone' && $field->get('type') === 'phone' && $entry->get('object_type') === 'U' && $entry->get('object_id')) {
            self::reindexUser($entry->get('object_id'), $defaultCountry);
        }
    }

    /** From cron: (re)builds the index when it was never built or the default country code changed. */
    public static function buildIfNeeded($defaultCountry)
    {
        if (self::isBuilt($defaultCountry)) {
            return;
        }
        db_query(sprintf('DELETE FROM `%s`', WhatsAppSchema::phoneIndexTable()));
        $last = 0;
        do {
            $rows = self::storedPhones('v.entry_id > ' . $last, 'v.entry_id', self::BATCH);
            $values = [];
            foreach ($rows as $row) {
                $last = max($last, (int) $row['entry_id']);
                $international = WhatsAppPhoneNumber::international($row['value'], $defaultCountry);
                if ($international !== null) {
                    $values[] = sprintf('(%s, %d)', db_input($international), $row['user_id']);
                }
            }
            if ($values) {
                db_query(sprintf('INSERT IGNORE INTO `%s` (phone, user_id) VALUES %s', WhatsAppSchema::phoneIndexTable(), implode(', ', $values)));
            }
        } while (count($rows) === self::BATCH);
        self::state()->set('built_for', $defaultCountry);
    }

    private static function isBuilt($defaultCountry)
    {
        return (string) self::state()->get('built_for', '') === (string) $defaultCountry && $defaultCountry !== '';
    }

    /** Without the index: every stored phone that ends like this number, checked in PHP. */
    private static function scan($phone, $defaultCountry)
    {
        $like = db_input('%' . WhatsAppPhoneNumber::tail($phone) . '%');
        foreach (self::storedPhones('v.value LIKE ' . $like) as $row) {
            if (WhatsAppPhoneNumber::matches($row['value'], $phone, $defaultCountry) && ($user = User::lookup($row['user_id']))) {
                self::remember($phone, $user->getId());
                return $user;
            }
        }
        return null;
    }

    /** Users' phone values as osTicket stores them (form_entry_values of the user form's phone field). */
    private static function storedPhones($where, $order = 'e.object_id', $limit = null)
    {
        $result = db_query(sprintf(
            "SELECT e.object_id AS user_id, v.entry_id, v.value
               FROM `%sform_entry` e
               JOIN `%sform_entry_values` v ON v.entry_id = e.id
               JOIN `%sform_field` f ON f.id = v.field_id
              WHERE e.object_type = 'U' AND f.name = 'phone' AND f.type = 'phone' AND v.value <> '' AND %s
              ORDER BY %s%s",
            TABLE_PREFIX, TABLE_PREFIX, TABLE_PREFIX, $where, $order, $limit ? ' LIMIT ' . (int) $limit : ''
        ));
        $rows = [];
        while ($result && ($row = db_fetch_array($result))) {
            $rows[] = $row;
        }
        return $rows;
    }

    private static function forgetUser($userId)
    {
        db_query(sprintf('DELETE FROM `%s` WHERE user_id = %d', WhatsAppSchema::phoneIndexTable(), $userId));
    }

    private static function state()
    {
        return new Config('plugin.whatsapp.phones');
    }
}
