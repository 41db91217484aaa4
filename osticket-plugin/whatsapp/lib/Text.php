<?php
/**
 * osTicket talks to MySQL in 3-byte "utf8" and its columns are utf8mb3: a
 * 4-byte character (most emoji) would cut off everything after it, and its
 * HTML cleaner strips some emoji outright. Our own tables keep the exact text
 * as entities; what agents read in osTicket names each emoji instead.
 */
final class WhatsAppText
{
    /** 4-byte characters as numeric HTML entities ("😀" -> "&#x1F600;"). */
    public static function safeForUtf8mb3($text)
    {
        return preg_replace_callback('/[\x{10000}-\x{10FFFF}]/u', function ($m) {
            return sprintf('&#x%X;', mb_ord($m[0], 'UTF-8'));
        }, (string) $text);
    }

    /** The reverse, for text read back from our tables. */
    public static function fromUtf8mb3($text)
    {
        return preg_replace_callback('/&#x(1[0-9A-F]{4}|[2-9A-F][0-9A-F]{4}|10[0-9A-F]{4});/i', function ($m) {
            return mb_chr(hexdec($m[1]), 'UTF-8');
        }, (string) $text);
    }

    /** 4-byte characters by name: "Danke 😀" -> "Danke [grinning face]"; skin tones dropped. */
    public static function readable($text)
    {
        return preg_replace_callback('/[\x{10000}-\x{10FFFF}]/u', function ($m) {
            $code = mb_ord($m[0], 'UTF-8');
            if ($code >= 0x1F3FB && $code <= 0x1F3FF) {
                return ''; // skin tone modifier of the emoji before it
            }
            $name = class_exists('IntlChar') ? IntlChar::charName($code) : null;
            return '[' . ($name ? strtolower($name) : sprintf('U+%X', $code)) . ']';
        }, (string) $text);
    }

    /** A customer's plain text as an HTML thread body osTicket stores whole. */
    public static function toHtml($text)
    {
        return nl2br(htmlspecialchars(self::readable($text), ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8'), false);
    }

    /** A short subject line from the first message. */
    public static function subject($text, $fallback, $length = 60)
    {
        $line = trim(preg_split('/\R/u', self::readable(trim((string) $text)))[0]);
        if ($line === '') {
            return $fallback;
        }
        if (mb_strlen($line, 'UTF-8') > $length) {
            $line = rtrim(mb_substr($line, 0, $length - 1, 'UTF-8')) . '…';
        }
        return self::readable($line);
    }
}
