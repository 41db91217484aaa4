<?php
/**
 * Phone numbers as WhatsApp knows them: digits with country code, no "+".
 * osTicket stores what agents typed (digits only: "+49 171 ..." -> "49171...",
 * but also national "0171..."), so matching needs a default country code.
 */
final class WhatsAppPhoneNumber
{
    /** Digits only. */
    public static function digits($raw)
    {
        return preg_replace('/\D+/', '', (string) $raw);
    }

    /**
     * The international form of a stored or typed number, or null.
     * "+49 171 2345678", "0049 171 2345678", "0171 2345678" (country 49) -> "491712345678".
     */
    public static function international($raw, $defaultCountry)
    {
        $raw = trim((string) $raw);
        // osTicket appends extensions as "X123"
        $raw = preg_replace('/[xX]\d*$/', '', $raw);
        $digits = self::digits($raw);
        if ($digits === '') {
            return null;
        }
        if (strpos($raw, '+') === 0) {
            return $digits;
        }
        if (strpos($digits, '00') === 0) {
            return substr($digits, 2);
        }
        if (strpos($digits, '0') === 0) {
            $country = self::digits($defaultCountry);
            return $country === '' ? null : $country . substr($digits, 1);
        }
        return $digits;
    }

    /** Does a stored number denote the WhatsApp number (digits with country code)? */
    public static function matches($stored, $whatsapp, $defaultCountry)
    {
        $international = self::international($stored, $defaultCountry);
        return $international !== null && $international === self::digits($whatsapp);
    }

    /** The last digits, for a cheap LIKE pre-filter in SQL before matches(). */
    public static function tail($whatsapp, $length = 7)
    {
        return substr(self::digits($whatsapp), -$length);
    }
}
