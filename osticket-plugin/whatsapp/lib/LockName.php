<?php
/**
 * A name for MySQL's GET_LOCK. Those names are global to the whole server (every
 * database on it shares them) and at most 64 characters long: a chat id such as a
 * long "bsuid:…" would fail every time. So: a short prefix for reading the process
 * list, then a hash of the database and the name. Pure.
 */
final class WhatsAppLockName
{
    public static function of($database, $name)
    {
        return 'whatsapp:' . substr(hash('sha256', $database . "\0" . $name), 0, 40);
    }
}
