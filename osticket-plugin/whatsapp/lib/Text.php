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

    /**
     * The reverse of readable() for what we send back to WhatsApp: "[printer]" in a
     * subject osTicket stored becomes the emoji again. Only names of characters
     * osTicket cannot store are turned back; other brackets stay as they are.
     */
    public static function withEmoji($text)
    {
        if (!class_exists('IntlChar')) {
            return (string) $text;
        }
        return preg_replace_callback('/\[([a-z0-9 \-]+)\]/', function ($m) {
            $code = IntlChar::charFromName(strtoupper($m[1]));
            return $code !== null && $code >= 0x10000 ? mb_chr($code, 'UTF-8') : $m[0];
        }, (string) $text);
    }

    /**
     * A thread body is a TEXT column (65,535 bytes) and osTicket stores text
     * bodies HTML-escaped ("<" is 4 bytes then). Leaves room for the part note.
     */
    const MAX_BODY_BYTES = 60000;

    /**
     * Plain text as a text thread body stores it: every "<", ">", "&" and '"' escaped,
     * also in what looks like an entity ("&lt;" typed stays "&lt;" on display).
     */
    public static function escaped($text)
    {
        return htmlspecialchars((string) $text, ENT_COMPAT | ENT_HTML401, 'UTF-8', true);
    }

    /** Bytes a text takes once escaped for a text thread body. */
    public static function storedBytes($text)
    {
        return strlen(self::escaped($text));
    }

    /**
     * Splits a text into parts that each fit a thread body, at a line break
     * or a space where there is one, never inside a character. Nothing is lost:
     * the parts joined are the text.
     * @return string[]
     */
    public static function parts($text, $maxBytes = self::MAX_BODY_BYTES)
    {
        $text = (string) $text;
        $parts = [];
        while (self::storedBytes($text) > $maxBytes) {
            // The longest prefix that fits, found by halving (escaping makes bytes per character uneven).
            $low = 1;
            $high = mb_strlen($text, 'UTF-8');
            while ($low < $high) {
                $mid = intdiv($low + $high + 1, 2);
                if (self::storedBytes(mb_substr($text, 0, $mid, 'UTF-8')) <= $maxBytes) {
                    $low = $mid;
                } else {
                    $high = $mid - 1;
                }
            }
            $head = mb_substr($text, 0, $low, 'UTF-8');
            $break = max(mb_strrpos($head, "\n", 0, 'UTF-8'), mb_strrpos($head, ' ', 0, 'UTF-8'));
            if ($break !== false && $break > $low / 2) {
                $head = mb_substr($head, 0, $break + 1, 'UTF-8');
            }
            $parts[] = $head;
            $text = mb_substr($text, mb_strlen($head, 'UTF-8'), null, 'UTF-8');
        }
        $parts[] = $text;
        return $parts;
    }

    /**
     * A short subject line from the first message. osTicket refuses text fields
     * that start with = + - @ (its spreadsheet-formula guard), so those lead
     * characters are left out of the subject; the message keeps them.
     */
    public static function subject($text, $fallback, $length = 60)
    {
        $line = self::safeLine(preg_split('/\R/u', self::readable(trim((string) $text)))[0]);
        if ($line === '') {
            return self::safeLine($fallback);
        }
        if (mb_strlen($line, 'UTF-8') > $length) {
            $line = rtrim(mb_substr($line, 0, $length - 1, 'UTF-8')) . '…';
        }
        return $line;
    }

    /**
     * A person's name as osTicket may store it: osTicket decodes entities in user names
     * and prints them as HTML in places (thread headers, events, alert mails), so no
     * character that makes or hides markup survives (< > & "), nor control characters.
     */
    public static function personName($name)
    {
        $decoded = html_entity_decode(html_entity_decode((string) $name, ENT_QUOTES | ENT_HTML5, 'UTF-8'), ENT_QUOTES | ENT_HTML5, 'UTF-8');
        $plain = preg_replace(['/[<>&"\x00-\x1F\x7F]+/u', '/\s+/u'], [' ', ' '], self::readable($decoded));
        return self::safeLine(mb_substr(trim((string) $plain), 0, 100, 'UTF-8'));
    }

    /** One line osTicket's form fields accept: no leading = + - @ (nor the spaces around them). */
    public static function safeLine($text)
    {
        return trim(preg_replace('/^[\s=+\-@]+/u', '', trim((string) $text)));
    }

    /** A message quoted in a note: one line, at most $length characters. */
    public static function excerpt($text, $length = 80)
    {
        $line = trim(preg_replace('/\s+/u', ' ', self::readable((string) $text)));
        return mb_strlen($line, 'UTF-8') > $length ? rtrim(mb_substr($line, 0, $length - 1, 'UTF-8')) . '…' : $line;
    }
}
