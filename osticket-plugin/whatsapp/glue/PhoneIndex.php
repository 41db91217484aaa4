<?php
/**
 * Phone (international digits) -> osTicket user, per default country code,
 * in a table of the plugin's own, so that a first contact costs one indexed
 * lookup instead of a scan over every user's phone field.
 *
 * A phone in a user's profile is a claim, not a proof: guests open tickets
 * with any number they type. Each entry therefore says how the number got
 * there, and only trusted ones identify a WhatsApp customer:
 * - staff:    saved by an agent or administrator (staff panel, import, API by staff);
 * - account:  saved by the user in their own confirmed client account;
 * - whatsapp: the plugin's own user for a number that wrote on WhatsApp;
 * - agent:    an agent linked a WhatsApp conversation to the user (changed the ticket's owner);
 * - claim:    anything else (a guest's web ticket, an unconfirmed account, the API) — never trusted.
 * Numbers saved before the plugin was installed are judged once, when the
 * index is built: a confirmed account counts as such, a user that came with a
 * guest's web or API ticket as a claim, every other one as entered by staff.
 */
final class WhatsAppPhoneIndex
{
    const BATCH = 1000;
    const TRUSTED = ['staff', 'account', 'whatsapp', 'agent'];

    /**
     * Who this WhatsApp number is: ['user' => the one user it identifies or null,
     * 'ambiguous' => names of users it identifies when more than one (never guessed between),
     * 'claims' => names of users who only typed it].
     */
    public static function match($phone, $country)
    {
        self::ensureBuilt($country);
        $real = $generated = $claims = [];
        foreach (self::rows('country = ' . WhatsAppStore::quote($country) . ' AND phone = ' . WhatsAppStore::quote($phone)) as $row) {
            if (!($user = User::lookup($row['user_id']))) {
                self::forgetUser($row['user_id']); // deleted meanwhile
                continue;
            }
            if ($row['source'] === 'claim') {
                $claims[$user->getId()] = $user;
            } elseif ($row['source'] === 'whatsapp') {
                $generated[$user->getId()] = $user;
            } else {
                $real[$user->getId()] = $user;
            }
        }
        // A user staff or the customer gave the number to wins over the plugin's own user for it.
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
        self::ensureBuilt($country);
        $numbers = [];
        foreach (self::rows(sprintf('country = %s AND user_id = %d', WhatsAppStore::quote($country), $userId)) as $row) {
            if (in_array($row['source'], self::TRUSTED, true)) {
                $numbers[] = $row['phone'];
            }
        }
        return $numbers;
    }

    /** The plugin's own user for a number, or a number an agent linked to a user: trusted in every built country. */
    public static function remember($phone, $userId, $source)
    {
        foreach (self::builtCountries() as $country) {
            db_query(sprintf('INSERT INTO `%s` (country, phone, user_id, source) VALUES (%s, %s, %d, %s) ON DUPLICATE KEY UPDATE source = VALUES(source)',
                WhatsAppSchema::phoneIndexTable(), WhatsAppStore::quote($country), WhatsAppStore::quote($phone), $userId, WhatsAppStore::quote($source)));
        }
    }

    /** osTicket saved a form answer: when it is a user's phone, that user is indexed anew, judged by who saved it. */
    public static function onAnswerSaved($answer)
    {
        if (!$answer instanceof DynamicFormEntryAnswer) {
            return;
        }
        $field = $answer->getField();
        $entry = $answer->getEntry();
        if ($field && $entry && $field->get('name') === 'phone' && $field->get('type') === 'phone' && $entry->get('object_type') === 'U' && $entry->get('object_id')) {
            self::reindexUser((int) $entry->get('object_id'), self::sourceOfThisRequest((int) $entry->get('object_id')));
        }
    }

    /** Who is saving in this request: an agent, the user in their own confirmed account, or someone whose word is a claim. */
    private static function sourceOfThisRequest($userId)
    {
        global $thisstaff, $thisclient;
        if ($thisstaff instanceof Staff) {
            return 'staff';
        }
        $account = $thisclient && method_exists($thisclient, 'getAccount') ? $thisclient->getAccount() : null;
        if ($account && $account->isConfirmed() && (int) $thisclient->getId() === (int) $userId) {
            return 'account';
        }
        return 'claim';
    }

    /** A user's phone was saved: their entries are replaced by what osTicket now stores. */
    private static function reindexUser($userId, $source)
    {
        // The plugin's own numbers and agents' links stay, whoever edits the profile's phone field.
        $kept = self::rows(sprintf("user_id = %d AND source IN ('whatsapp', 'agent')", $userId));
        self::forgetUser($userId);
        foreach (self::builtCountries() as $country) {
            foreach (self::storedPhones('e.object_id = ' . (int) $userId) as $row) {
                if (($international = WhatsAppPhoneNumber::international($row['value'], $country)) !== null) {
                    self::insert($country, $international, $userId, $source);
                }
            }
        }
        foreach ($kept as $row) {
            self::insert($row['country'], $row['phone'], $userId, $row['source']);
        }
    }

    /**
     * Builds the index for a country code when an instance with it starts (bootstrap, which
     * does not wait for a build another request is running: $wait 0) or, at the latest, at
     * its first lookup (which waits for it). One build at a time.
     */
    public static function ensureBuilt($country, $wait = 30)
    {
        if ($country === '' || in_array((string) $country, self::builtCountries(), true)) {
            return;
        }
        $lock = WhatsAppStore::quote('whatsapp:phone-index');
        if (db_result(db_query(sprintf('SELECT GET_LOCK(%s, %d)', $lock, $wait))) != 1) {
            return;
        }
        try {
            if (!in_array((string) $country, self::builtCountries(), true)) {
                self::build($country);
            }
        } finally {
            db_query(sprintf('SELECT RELEASE_LOCK(%s)', $lock));
        }
    }

    private static function build($country)
    {
        $table = WhatsAppSchema::phoneIndexTable();
        db_query(sprintf('DELETE FROM `%s` WHERE country = %s', $table, WhatsAppStore::quote($country)));
        $last = 0;
        do {
            $rows = self::storedPhones('v.entry_id > ' . $last, 'v.entry_id', self::BATCH, true);
            $values = [];
            foreach ($rows as $row) {
                $last = max($last, (int) $row['entry_id']);
                $international = WhatsAppPhoneNumber::international($row['value'], $country);
                if ($international !== null) {
                    $values[] = sprintf('(%s, %s, %d, %s)', WhatsAppStore::quote($country), WhatsAppStore::quote($international), $row['user_id'], WhatsAppStore::quote($row['source']));
                }
            }
            if ($values) {
                db_query(sprintf('INSERT IGNORE INTO `%s` (country, phone, user_id, source) VALUES %s', $table, implode(', ', $values)));
            }
        } while (count($rows) === self::BATCH);
        // The plugin's own users and agents' links from other countries' indexes hold here too.
        db_query(sprintf("INSERT IGNORE INTO `%s` (country, phone, user_id, source) SELECT %s, phone, user_id, source FROM `%s` WHERE source IN ('whatsapp', 'agent')",
            $table, WhatsAppStore::quote($country), $table));
        self::state()->set('built_for', implode(',', array_merge(self::builtCountries(), [(string) $country])));
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
        $rows = [];
        $result = db_query(sprintf('SELECT * FROM `%s` WHERE %s ORDER BY user_id', WhatsAppSchema::phoneIndexTable(), $where));
        while ($result && ($row = db_fetch_array($result))) {
            $rows[] = $row;
        }
        return $rows;
    }

    /**
     * Users' phone values as osTicket stores them (form_entry_values of the user form's phone field);
     * with $judge, each with the source a number from before the plugin gets (see the class comment).
     */
    private static function storedPhones($where, $order = 'e.object_id', $limit = null, $judge = false)
    {
        $p = TABLE_PREFIX;
        $source = $judge ? ", CASE
                WHEN ue.address LIKE 'whatsapp+%' THEN 'whatsapp'
                WHEN EXISTS (SELECT 1 FROM `{$p}user_account` a WHERE a.user_id = e.object_id AND a.status & 1) THEN 'account'
                WHEN EXISTS (SELECT 1 FROM `{$p}ticket` t WHERE t.user_id = e.object_id AND t.source IN ('Web', 'API')
                             AND t.created BETWEEN u.created - INTERVAL 1 MINUTE AND u.created + INTERVAL 1 MINUTE) THEN 'claim'
                ELSE 'staff' END AS source" : '';
        $result = db_query(sprintf(
            "SELECT e.object_id AS user_id, v.entry_id, v.value%s
               FROM `{$p}form_entry` e
               JOIN `{$p}form_entry_values` v ON v.entry_id = e.id
               JOIN `{$p}form_field` f ON f.id = v.field_id
               %s
              WHERE e.object_type = 'U' AND f.name = 'phone' AND f.type = 'phone' AND v.value <> '' AND %s
              ORDER BY %s%s",
            $source,
            $judge ? "JOIN `{$p}user` u ON u.id = e.object_id LEFT JOIN `{$p}user_email` ue ON ue.id = u.default_email_id" : '',
            $where, $order, $limit ? ' LIMIT ' . (int) $limit : ''
        ));
        $rows = [];
        while ($result && ($row = db_fetch_array($result))) {
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
