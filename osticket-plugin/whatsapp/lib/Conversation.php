<?php
/**
 * What to do with one customer message, decided without touching osTicket.
 * The webhook glue carries the decision out.
 */
final class WhatsAppConversation
{
    const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'];

    /**
     * @param array $message ['type' => ..., 'text' => ..., 'edited' => bool]
     * @param bool $hasActiveTicket whether the phone has an open, active ticket
     * @return array ['action' => 'open'|'append'|'close'|'nothing_to_close'|'switch'|'optout'|'optin', 'number' => ?string, 'media' => bool]
     */
    public static function decide(array $message, $hasActiveTicket, WhatsAppCommandParser $parser)
    {
        $type = isset($message['type']) ? $message['type'] : 'text';
        $media = self::isMedia($message);
        $edited = !empty($message['edited']);
        // Only a text the customer typed fresh is a command; captions and edits are content.
        $command = ($type === 'text' && !$edited) ? $parser->parse(isset($message['text']) ? $message['text'] : '') : ['type' => 'message'];

        if ($command['type'] === 'close') {
            return ['action' => $hasActiveTicket ? 'close' : 'nothing_to_close', 'number' => null, 'media' => false];
        }
        if ($command['type'] === 'optout' || $command['type'] === 'optin') {
            return ['action' => $command['type'], 'number' => null, 'media' => false];
        }
        if ($command['type'] === 'switch') {
            return ['action' => 'switch', 'number' => $command['number'], 'media' => false];
        }
        return ['action' => $hasActiveTicket ? 'append' : 'open', 'number' => null, 'media' => $media];
    }

    /**
     * A customer without an active ticket writes; their last ticket is closed. Whether it is
     * reopened ('reopen'), or why a new ticket is opened instead ('too_old', 'not_reopenable',
     * or 'off' when reopening is switched off, today's behaviour: no note either).
     * @param int $closedAt unix time of the close
     * @param int $days the setting "Reopen within" (0 = never)
     * @param bool $reopenable osTicket's Ticket::isReopenable() (status, department, topic)
     */
    public static function afterClose($closedAt, $now, $days, $reopenable)
    {
        if ($days <= 0) {
            return 'off';
        }
        if ($now - $closedAt > $days * 86400) {
            return 'too_old';
        }
        return $reopenable ? 'reopen' : 'not_reopenable';
    }

    /**
     * A rating from 1 to 5 when the message is only that ("5", "5/5", "4!", "⭐⭐⭐"), else null:
     * "5 stars please fix X" is a message.
     */
    public static function rating(array $message)
    {
        if ((isset($message['type']) ? $message['type'] : 'text') !== 'text' || !empty($message['edited'])) {
            return null;
        }
        $text = trim((string) (isset($message['text']) ? $message['text'] : ''));
        if (preg_match('/^([1-5])(?:\x{FE0F}?\x{20E3})?\s*(?:\/\s*5)?\s*[.!]*$/u', $text, $m)) {
            return (int) $m[1];
        }
        $stars = preg_replace('/\x{FE0F}/u', '', $text);
        return preg_match('/^(?:\x{2B50}){1,5}$/u', $stars) ? mb_strlen($stars, 'UTF-8') : null;
    }

    /** Whether the message is a file (picture, video, voice note, document, sticker). */
    public static function isMedia(array $message)
    {
        return in_array(isset($message['type']) ? $message['type'] : 'text', self::MEDIA_TYPES, true);
    }

    /** The file is on its way: the service sends it as a message of its own ("<id>.file") once WhatsApp hands it over. */
    public static function fileFollows(array $message)
    {
        return isset($message['media']['error']) && $message['media']['error'] === 'delayed';
    }

    /**
     * The ticket text in parts that each fit one thread entry (emoji named as
     * osTicket stores them); a long message is split, never cut, and each
     * part says so.
     * @return string[]
     */
    public static function ticketParts(array $message, array $texts, $locale, $note = null)
    {
        $text = self::ticketText($message, $texts, $locale) . ($note !== null ? "\n" . $note : '');
        $parts = WhatsAppText::parts(WhatsAppText::readable($text));
        if (count($parts) === 1) {
            return $parts;
        }
        foreach ($parts as $index => $part) {
            $parts[$index] = WhatsAppTemplates::render($texts['part_note'], ['part' => $index + 1, 'parts' => count($parts)]) . "\n" . $part;
        }
        return $parts;
    }

    /** The text that goes into the ticket for a message (captions, placeholders for files). */
    public static function ticketText(array $message, array $texts, $locale)
    {
        $text = trim(isset($message['text']) ? (string) $message['text'] : '');
        $type = isset($message['type']) ? $message['type'] : 'text';
        if ($type === 'unreadable') {
            // The service's notice for a message WhatsApp could not decrypt (docs/contract.md 2.1).
            return $texts['unreadable_notice'];
        }
        if ($type === 'call') {
            return $texts['call_notice'];
        }
        $parts = [];
        if (in_array($type, self::MEDIA_TYPES, true)) {
            $parts[] = WhatsAppTemplates::render($texts['media_placeholder'], ['type' => WhatsAppTemplates::mediaName($type, $locale)]);
        }
        if ($text !== '') {
            $parts[] = $text;
        }
        if (!$parts) {
            $parts[] = $texts['empty_placeholder'];
        }
        $body = implode("\n", $parts);
        return !empty($message['edited']) ? $texts['edited_prefix'] . $body : $body;
    }
}
