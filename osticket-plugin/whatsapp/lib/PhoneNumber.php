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
     * "+49 171 2345678", "+49 (0) 171 2345678", "0049 171 2345678", "0171 2345678" (country 49)
     * -> "491712345678". Agrees with the service (libphonenumber-js) on
     * contract/fixtures/phone-numbers.json.
     */
    public static function international($raw, $defaultCountry)
    {
        $raw = trim((string) $raw);
        // osTicket appends extensions as "X123"
        $raw = preg_replace('/[xX]\d*$/', '', $raw);
        $compact = preg_replace('/[\s.\/-]+/', '', $raw);
        if (strpos($compact, '+') === 0 || strpos($compact, '00') === 0) {
            // "+49 (0) 171": the bracketed trunk zero is not dialled from abroad
            $digits = self::digits(str_replace('(0)', '', $compact));
            if (strpos($compact, '00') === 0) {
                $digits = substr($digits, 2);
            }
        } elseif (strpos(ltrim($compact, '('), '0') === 0) {
            $country = self::digits($defaultCountry);
            if ($country === '') {
                return null;
            }
            $digits = $country . substr(self::digits($compact), 1);
        } else {
            $digits = self::digits($compact);
        }
        $length = strlen($digits);
        return ($length >= 7 && $length <= 15) ? $digits : null;
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
