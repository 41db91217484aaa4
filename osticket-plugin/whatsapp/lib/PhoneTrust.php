<?php
/**
 * Whether a phone in a user's profile is someone's word for it. A number counts
 * only when staff or an administrator entered it, the plugin created the user for
 * it, or an agent linked a conversation to the user; a number a guest typed on a
 * form or a client typed into their own profile is a claim (confirming an account
 * proves the e-mail address, not the phone). Pure.
 */
final class WhatsAppPhoneTrust
{
    /** Sources that identify a WhatsApp customer (see glue/PhoneIndex.php). */
    const TRUSTED = ['staff', 'whatsapp', 'agent'];

    /** Who is saving a phone now: an agent's word is trusted, anyone else's is a claim. */
    public static function ofSaver($byStaff)
    {
        return $byStaff ? 'staff' : 'claim';
    }

    /**
     * A number saved before anyone watched (the index built at install, or after the
     * plugin was disabled), judged by what osTicket still knows about its user:
     * - the plugin's own user (whatsapp+…@ one of the configured e-mail domains): whatsapp;
     * - a user with a client account may have typed it: claim;
     * - a user that came with a guest's web or API ticket: claim;
     * - a user without any ticket (a guest whose ticket was deleted looks so): claim;
     * - otherwise (e-mail or staff tickets only) only staff can have entered it.
     *
     * @param string[] $domains the e-mail domains of the plugin's generated addresses
     */
    public static function ofExisting($email, array $domains, $hasAccount, $cameWithGuestTicket, $tickets)
    {
        foreach ($domains as $domain) {
            if ($domain !== '' && preg_match('/^whatsapp\+[^@]+@' . preg_quote($domain, '/') . '$/i', (string) $email)) {
                return 'whatsapp';
            }
        }
        if ($hasAccount || $cameWithGuestTicket || (int) $tickets === 0) {
            return 'claim';
        }
        return 'staff';
    }

    public static function trusted($source)
    {
        return in_array($source, self::TRUSTED, true);
    }
}
