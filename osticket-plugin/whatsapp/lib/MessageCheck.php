<?php
/**
 * The fields of a `message` event (docs/contract.md 2.1), checked for type
 * and length before anything is stored. Pure.
 */
final class WhatsAppMessageCheck
{
    const TYPES = ['text', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contact', 'poll', 'event', 'call', 'other', 'unreadable',
        'edit', 'delete', 'reaction'];
    /** Types about an earlier message, named in `ref`. */
    const ABOUT_TYPES = ['edit', 'delete', 'reaction'];
    /** WhatsApp's limit for one text, in characters. */
    const MAX_TEXT_CHARS = 65536;

    /** @return string[] what is wrong, empty when the message is usable */
    public static function errors($message)
    {
        if (!is_array($message)) {
            return ['message must be an object'];
        }
        $errors = [];
        $string = function ($field, $max, $required = true) use ($message, &$errors) {
            if (!array_key_exists($field, $message) || $message[$field] === null) {
                if ($required) {
                    $errors[] = "$field is required";
                }
                return;
            }
            if (!is_string($message[$field])) {
                $errors[] = "$field must be a string";
            } elseif (!mb_check_encoding($message[$field], 'UTF-8')) {
                $errors[] = "$field must be UTF-8";
            } elseif (mb_strlen($message[$field], 'UTF-8') > $max) {
                $errors[] = "$field must be at most $max characters";
            }
        };
        $string('id', 191);
        $string('chat', 64);
        $string('phone', 15, false);
        $string('name', 256, false);
        $string('type', 16, false);
        $string('text', self::MAX_TEXT_CHARS, false);
        $string('ref', 191, false);
        $string('ref_key', 200, false);
        if ($errors) {
            return $errors;
        }
        if ($message['id'] === '') {
            $errors[] = 'id must not be empty';
        }
        if (!preg_match('/^(\d{6,15}|lid:\d{5,25}|bsuid:[A-Z]{2}\.[A-Za-z0-9.]{1,55})$/', $message['chat'])) {
            $errors[] = 'chat must be phone digits, lid:<digits> or bsuid:<id>';
        }
        if (isset($message['phone']) && !preg_match('/^\d{6,15}$/', $message['phone'])) {
            $errors[] = 'phone must be digits with country code, or null';
        }
        if (isset($message['type']) && !in_array($message['type'], self::TYPES, true)) {
            $errors[] = 'type must be one of ' . implode(', ', self::TYPES);
        }
        if (isset($message['type']) && in_array($message['type'], self::ABOUT_TYPES, true) && (!isset($message['ref']) || $message['ref'] === '')) {
            $errors[] = 'ref is required for ' . $message['type'];
        }
        if (isset($message['timestamp']) && !is_int($message['timestamp'])) {
            $errors[] = 'timestamp must be a whole number';
        }
        if (isset($message['edited']) && !is_bool($message['edited'])) {
            $errors[] = 'edited must be true or false';
        }
        if (isset($message['media']) && ($problem = self::mediaProblem($message['media']))) {
            $errors[] = $problem;
        }
        return $errors;
    }

    /** The media descriptor (docs/contract.md 2.1): a stored file, or why there is none. */
    private static function mediaProblem($media)
    {
        if (!is_array($media) || !isset($media['mimetype'], $media['filename']) || !is_string($media['mimetype']) || !is_string($media['filename'])
                || mb_strlen($media['filename'], 'UTF-8') > 255 || !array_key_exists('size', $media) || !($media['size'] === null || is_int($media['size']))) {
            return 'media must have mimetype, filename and size';
        }
        if (isset($media['error'])) {
            return is_string($media['error']) ? null : 'media.error must be a string';
        }
        if (!isset($media['id'], $media['sha256']) || !is_string($media['id']) || !preg_match('/^[0-9a-f]{32}$/', $media['id'])
                || !is_string($media['sha256']) || !preg_match('/^[0-9a-f]{64}$/', $media['sha256']) || !is_int($media['size'])) {
            return 'media must have an id, a sha256 and a size, or an error';
        }
        return null;
    }
}
