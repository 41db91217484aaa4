<?php
/**
 * osTicket talks to MySQL in 3-byte "utf8": a 4-byte character (most emoji)
 * would cut off everything after it. These keep every character.
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

    /** A customer's plain text as an HTML thread body that survives the utf8 connection. */
    public static function toHtml($text)
    {
        $escaped = htmlspecialchars((string) $text, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
        return nl2br(self::safeForUtf8mb3($escaped), false);
    }

    /** A short subject line from the first message. */
    public static function subject($text, $fallback, $length = 60)
    {
        $line = trim(preg_split('/\R/u', trim((string) $text))[0]);
        if ($line === '') {
            return $fallback;
        }
        if (mb_strlen($line, 'UTF-8') > $length) {
            $line = rtrim(mb_substr($line, 0, $length - 1, 'UTF-8')) . '…';
        }
        return self::safeForUtf8mb3($line);
    }
}
