<?php
/**
 * Phone (international digits) -> osTicket user, per default country code,
 * in a table of the plugin's own, so that a first contact costs one indexed
 * lookup instead of a scan over every user's phone field.
 *
 * A phone in a user's profile is a claim, not a proof (lib/PhoneTrust.php).
 * Each entry says how the number got there, and only trusted ones identify a
 * WhatsApp customer:
 * - staff:    saved by an agent or administrator (staff panel, import);
 * - whatsapp: the plugin's own user for a number (one that wrote on WhatsApp, or a phone-only customer an agent added);
 * - agent:    an agent linked a WhatsApp conversation to the user (changed the ticket's owner);
 * - claim:    anything else (a guest's web ticket, a client's own profile, the API) — never trusted.
 *
 * The index of a country is built from osTicket's cron or the administrator's
 * Save, never inside a customer's request: into a table of its own, then swapped
 * in within one transaction, so a lookup sees the old index or the new one. Until
 * it is built, a lookup reads osTicket's users directly. Numbers saved while the
 * plugin was disabled (no signal reached it) are caught up by cron.
 */
final class WhatsAppPhoneIndex
{
    const BATCH = 1000;
    /** Users looked at per cron run when catching up (the rest next run). */
    const CATCH_UP = 500;

    /**
     * Who this WhatsApp number is: ['user' => the one user it identifies or null,
     * 'ambiguous' => names of users it identifies when more than one (never guessed between),
     * 'claims' => names of users who only typed it].
     */
    public static function match($phone, $country)
    {
        $rows = self::isBuilt($country)
            ? self::rows('country = ' . WhatsAppStore::quote($country) . ' AND phone = ' . WhatsAppStore::quote($phone))
            : self::scan($country, $phone);
        $real = $generated = $claims = [];
        foreach ($rows as $row) {
            if (!($user = User::lookup($row['user_id']))) {
                self::forgetUser($row['user_id']); // deleted meanwhile
                continue;
            }
            if (!WhatsAppPhoneTrust::trusted($row['source'])) {
                $claims[$user->getId()] = $user;
            } elseif ($row['source'] === 'whatsapp') {
                $generated[$user->getId()] = $user;
            } else {
                $real[$user->getId()] = $user;
            }
        }
        // A user staff gave the number to wins over the plugin's own user for it.
        $trusted = $real ?: $generated;
        $names = function (array $users) {
            return array_values(array_map(function ($user) {
                return (string) $user->getName() . ' <' . $user->getEmail() . '>';
            }, $users));
        };
        return [
            'user' => count($trusted) === 1 ? reset($trusted) : null,
            'ambiguous' => count($trusted) > 1 ? $names($trusted) : [],
            'claims' => $names(array_diff_key($claims, $trusted)),
        ];
    }

    /** The trusted numbers of a user (international digits) for this country code. */
    public static function numbersOf($userId, $country)
    {
        $rows = self::isBuilt($country)
            ? self::rows(sprintf('country = %s AND user_id = %d', WhatsAppStore::quote($country), $userId))
            : self::scan($country, null, $userId);
        $numbers = [];
        foreach ($rows as $row) {
            if (WhatsAppPhoneTrust::trusted($row['source'])) {
                $numbers[] = $row['phone'];
            }
        }
        return array_values(array_unique($numbers));
    }

    /** The plugin's own user for a number, or a number an agent linked to a user: trusted in every built country. */
    public static function remember($phone, $userId, $source)
    {
        foreach (array_unique(array_merge(self::builtCountries(), WhatsAppPlugin::countries())) as $country) {
            db_query(sprintf('INSERT INTO `%s` (country, phone, user_id, source) VALUES (%s, %s, %d, %s) ON DUPLICATE KEY UPDATE source = VALUES(source)',
                WhatsAppSchema::phoneIndexTable(), WhatsAppStore::quote($country), WhatsAppStore::quote($phone), $userId, WhatsAppStore::quote($source)));
        }
    }

    /** osTicket saved a form answer: when it is a user's phone, that user is indexed anew, judged by who saved it. */
    public static function onAnswerSaved($answer)
    {
        global $thisstaff;
        if (!$answer instanceof DynamicFormEntryAnswer) {
            return;
        }
        $field = $answer->getField();
        $entry = $answer->getEntry();
        if ($field && $entry && $field->get('name') === 'phone' && $field->get('type') === 'phone' && $entry->get('object_type') === 'U' && $entry->get('object_id')) {
            self::reindexUser((int) $entry->get('object_id'), WhatsAppPhoneTrust::ofSaver($thisstaff instanceof Staff));
        }
    }

    /**
     * A user's phone was saved: their entries are replaced by what osTicket now stores,
     * with $source, or judged as at a build when nobody saw who saved it (null).
     */
    private static function reindexUser($userId, $source)
    {
        // The plugin's own numbers and agents' links stay, whoever edits the profile's phone field.
        $kept = self::rows(sprintf("user_id = %d AND source IN ('whatsapp', 'agent')", $userId));
        self::forgetUser($userId);
        foreach (self::builtCountries() as $country) {
            foreach (self::storedPhones('e.object_id = ' . (int) $userId, 'e.object_id', null, $source === null ? WhatsAppPlugin::emailDomains() : null) as $row) {
                if (($international = WhatsAppPhoneNumber::international($row['value'], $country)) !== null) {
                    self::insert($country, $international, $userId, $source === null ? $row['source'] : $source);
                }
            }
        }
        foreach ($kept as $row) {
            self::insert($row['country'], $row['phone'], $userId, $row['source']);
        }
    }

    /**
     * osTicket's cron and the administrator's Save: builds the index of each country code
     * that has none yet, and catches up with phones saved while the plugin was not listening.
     * One build at a time; a second caller does not wait for it.
     *
     * @param string[] $countries the default country codes of the active instances
     * @param string[] $domains the e-mail domains of the plugin's generated addresses
     */
    public static function maintain(array $countries, array $domains)
    {
        if (!WhatsAppStore::lock('phone-index', 0)) {
            return;
        }
        try {
            foreach (array_unique(array_filter($countries, 'strlen')) as $country) {
                if (!self::isBuilt($country)) {
                    self::build((string) $country, $domains);
                }
            }
            self::catchUp($domains);
        } finally {
            WhatsAppStore::unlock('phone-index');
        }
    }

    /** Into the build table, then swapped in within one transaction: a lookup never sees half an index. */
    private static function build($country, array $domains)
    {
        $table = WhatsAppSchema::phoneIndexTable();
        $staging = $table . '_build';
        $started = db_result(db_query('SELECT NOW()'));
        db_query(sprintf('CREATE TABLE IF NOT EXISTS `%s` LIKE `%s`', $staging, $table));
        db_query(sprintf('TRUNCATE TABLE `%s`', $staging));
        $last = 0;
        do {
            $rows = self::storedPhones('v.entry_id > ' . $last, 'v.entry_id', self::BATCH, $domains);
            $values = [];
            foreach ($rows as $row) {
                $last = max($last, (int) $row['entry_id']);
                $international = WhatsAppPhoneNumber::international($row['value'], $country);
                if ($international !== null) {
                    $values[] = sprintf('(%s, %s, %d, %s)', WhatsAppStore::quote($country), WhatsAppStore::quote($international), $row['user_id'], WhatsAppStore::quote($row['source']));
                }
            }
            if ($values) {
                db_query(sprintf('INSERT IGNORE INTO `%s` (country, phone, user_id, source) VALUES %s', $staging, implode(', ', $values)));
            }
        } while (count($rows) === self::BATCH);
        // An agent's link holds in every country and outlives a rebuild (the plugin's own users are judged by their address).
        db_query(sprintf("INSERT INTO `%s` (country, phone, user_id, source) SELECT %s, phone, user_id, source FROM `%s` WHERE source = 'agent'
            ON DUPLICATE KEY UPDATE source = VALUES(source)", $staging, WhatsAppStore::quote($country), $table));
        db_query('START TRANSACTION');
        $swapped = db_query(sprintf('DELETE FROM `%s` WHERE country = %s', $table, WhatsAppStore::quote($country)))
            && db_query(sprintf('INSERT INTO `%s` (country, phone, user_id, source) SELECT country, phone, user_id, source FROM `%s`', $table, $staging));
        if (!$swapped) {
            db_query('ROLLBACK'); // the old index stays; the next cron run builds again
            return;
        }
        self::state()->set('built_for', implode(',', array_merge(self::builtCountries(), [(string) $country])));
        if (!self::state()->get('synced_at')) {
            // What was saved before the build is in it; what was saved during it is caught up by the next run.
            self::state()->set('synced_at', $started);
        }
        db_query('COMMIT');
        db_query(sprintf('DROP TABLE IF EXISTS `%s`', $staging));
    }

    /**
     * Users saved since the last look whose phones the index does not show as osTicket
     * stores them now: the signal that keeps the index current did not reach the plugin
     * (disabled, or a build running). They are indexed as at a build. At most CATCH_UP
     * users a run, in the order they were saved; the next run goes on from there.
     */
    private static function catchUp(array $domains)
    {
        $state = self::state();
        $now = db_result(db_query('SELECT NOW()'));
        $since = $state->get('synced_at');
        if (!$since || !self::builtCountries()) {
            return;
        }
        $afterId = (int) $state->get('synced_id', 0);
        $users = db_query(sprintf('SELECT id, updated FROM `%1$suser` WHERE updated > %2$s OR (updated = %2$s AND id > %3$d) ORDER BY updated, id LIMIT %4$d',
            TABLE_PREFIX, WhatsAppStore::quote($since), $afterId, self::CATCH_UP));
        $seen = 0;
        while ($users && ($user = db_fetch_array($users))) {
            $seen++;
            $since = $user['updated'];
            $afterId = (int) $user['id'];
            if (self::indexedAsStored($afterId, $domains)) {
                continue;
            }
            self::reindexUser($afterId, null);
        }
        // A full batch: go on after its last user next time; else everything up to now is seen.
        $state->set('synced_at', $seen === self::CATCH_UP ? $since : $now);
        $state->set('synced_id', $seen === self::CATCH_UP ? $afterId : 0);
    }

    /** Whether the index holds this user's phones (other than the plugin's and agents' own) as osTicket stores them now. */
    private static function indexedAsStored($userId, array $domains)
    {
        $indexed = $stored = [];
        foreach (self::rows(sprintf("user_id = %d AND source NOT IN ('whatsapp', 'agent')", $userId)) as $row) {
            $indexed[] = $row['country'] . ':' . $row['phone'];
        }
        $judged = self::storedPhones('e.object_id = ' . (int) $userId, 'e.object_id', null, $domains);
        foreach (self::builtCountries() as $country) {
            foreach ($judged as $row) {
                if ($row['source'] !== 'whatsapp' && ($international = WhatsAppPhoneNumber::international($row['value'], $country)) !== null) {
                    $stored[] = $country . ':' . $international;
                }
            }
        }
        $indexed = array_values(array_unique($indexed));
        $stored = array_values(array_unique($stored));
        sort($indexed);
        sort($stored);
        return $indexed === $stored;
    }

    private static function isBuilt($country)
    {
        return in_array((string) $country, self::builtCountries(), true);
    }

    private static function builtCountries()
    {
        // Read afresh: another request may have built one meanwhile.
        return array_values(array_filter(explode(',', (string) self::state()->get('built_for', '')), 'strlen'));
    }

    private static function insert($country, $phone, $userId, $source)
    {
        db_query(sprintf('INSERT IGNORE INTO `%s` (country, phone, user_id, source) VALUES (%s, %s, %d, %s)',
            WhatsAppSchema::phoneIndexTable(), WhatsAppStore::quote($country), WhatsAppStore::quote($phone), $userId, WhatsAppStore::quote($source)));
    }

    private static function rows($where)
    {
        return WhatsAppStore::rows(sprintf('SELECT * FROM `%s` WHERE %s ORDER BY user_id', WhatsAppSchema::phoneIndexTable(), $where));
    }

    /**
     * Before the country's index is built: osTicket's users read directly, judged as at a
     * build, as index rows (country, phone, user_id, source) — of $phone, or of the user $userId.
     */
    private static function scan($country, $phone, $userId = null)
    {
        $rows = self::rows(sprintf("country = %s AND source IN ('whatsapp', 'agent') AND %s", WhatsAppStore::quote($country),
            $phone !== null ? 'phone = ' . WhatsAppStore::quote($phone) : 'user_id = ' . (int) $userId));
        $where = $phone !== null ? 'v.value LIKE ' . WhatsAppStore::quote('%' . WhatsAppPhoneNumber::tail($phone) . '%') : 'e.object_id = ' . (int) $userId;
        foreach (self::storedPhones($where, 'e.object_id', null, WhatsAppPlugin::emailDomains()) as $row) {
            $international = WhatsAppPhoneNumber::international($row['value'], $country);
            if ($international !== null && ($phone === null || $international === $phone)) {
                $rows[] = ['country' => $country, 'phone' => $international, 'user_id' => $row['user_id'], 'source' => $row['source']];
            }
        }
        return $rows;
    }

    /**
     * Users' phone values as osTicket stores them (form_entry_values of the user form's phone field);
     * with $domains, each judged as a number nobody watched being saved (WhatsAppPhoneTrust::ofExisting).
     */
    private static function storedPhones($where, $order = 'e.object_id', $limit = null, ?array $domains = null)
    {
        $p = TABLE_PREFIX;
        $facts = $domains !== null ? ", ue.address AS email,
                EXISTS (SELECT 1 FROM `{$p}user_account` a WHERE a.user_id = e.object_id) AS has_account,
                EXISTS (SELECT 1 FROM `{$p}ticket` t WHERE t.user_id = e.object_id AND t.source IN ('Web', 'API')
                        AND t.created BETWEEN u.created - INTERVAL 1 MINUTE AND u.created + INTERVAL 1 MINUTE) AS guest_ticket,
                (SELECT COUNT(*) FROM `{$p}ticket` t WHERE t.user_id = e.object_id) AS tickets" : '';
        $result = db_query(sprintf(
            "SELECT e.object_id AS user_id, v.entry_id, v.value%s
               FROM `{$p}form_entry` e
               JOIN `{$p}form_entry_values` v ON v.entry_id = e.id
               JOIN `{$p}form_field` f ON f.id = v.field_id
               %s
              WHERE e.object_type = 'U' AND f.name = 'phone' AND f.type = 'phone' AND v.value <> '' AND %s
              ORDER BY %s%s",
            $facts,
            $domains !== null ? "JOIN `{$p}user` u ON u.id = e.object_id LEFT JOIN `{$p}user_email` ue ON ue.id = u.default_email_id" : '',
            $where, $order, $limit ? ' LIMIT ' . (int) $limit : ''
        ));
        $rows = [];
        while ($result && ($row = db_fetch_array($result))) {
            if ($domains !== null) {
                $row['source'] = WhatsAppPhoneTrust::ofExisting($row['email'], $domains, (bool) $row['has_account'], (bool) $row['guest_ticket'], (int) $row['tickets']);
            }
            $rows[] = $row;
        }
        return $rows;
    }

    public static function forgetUser($userId)
    {
        db_query(sprintf('DELETE FROM `%s` WHERE user_id = %d', WhatsAppSchema::phoneIndexTable(), $userId));
    }

    private static function state()
    {
        return new Config('plugin.whatsapp.phones');
    }
}
