<?php
/**
 * What WhatsApp made of the messages sent in a ticket, arranged for the ticket
 * view: per thread entry (an agent's reply and its files, or the customer message
 * the plugin answered) the state of each message, in the agent's words, with
 * the times for the hover. Pure: rows and texts in, plain arrays out.
 */
final class WhatsAppDeliveryState
{
    /** A message's state as the ticket view shows it (the plugin's row status; 'pending' waits for the service). */
    const STATES = ['pending', 'queued', 'held', 'sent', 'delivered', 'read', 'failed'];

    /**
     * @param array $out rows: message_id, type, content, status, error, created_at, sent_at, delivered_at, read_at (unix or null)
     * @param array $answered inbound WhatsApp message id => the customer's thread entry id
     * @param array $texts WhatsAppStaffTexts::of(...)
     * @param callable $time unix seconds -> a date and time as the agent reads them
     * @return array ['entries' => [entry id => [['state', 'label', 'title', 'kind']]], 'last' => state of the newest reply or null]
     */
    public static function forTicket(array $out, array $answered, array $texts, callable $time)
    {
        $entries = [];
        $last = null;
        foreach ($out as $row) {
            list($entryId, $kind) = self::entryOf($row['message_id'], $answered);
            if ($entryId === null) {
                continue; // a close or merge notice: no entry of its own
            }
            $state = in_array($row['status'], self::STATES, true) ? $row['status'] : 'queued';
            $entries[$entryId][] = [
                'state' => $state,
                'kind' => $kind,
                'label' => ($kind === 'file' ? $texts['file'] . ' ' : ($kind === 'answer' ? $texts['answer'] . ' ' : '')) . $texts['state_' . $state],
                'title' => self::title($row, $state, $kind === 'file' ? (string) $row['content'] : null, $texts, $time),
            ];
            if ($kind === 'reply') {
                $last = $state;
            }
        }
        return ['entries' => $entries, 'last' => $last];
    }

    /** "entry:12" and "entry:12:file:3" belong to entry 12; "reply:<inbound id>:0" to the customer's entry it answered. */
    private static function entryOf($key, array $answered)
    {
        if (preg_match('/^entry:(\d+)(:file:\d+)?$/', $key, $m)) {
            return [(int) $m[1], empty($m[2]) ? 'reply' : 'file'];
        }
        if (preg_match('/^reply:(.+):\d+$/', $key, $m) && isset($answered[$m[1]])) {
            return [$answered[$m[1]], 'answer'];
        }
        return [null, null];
    }

    /** The hover: the file's name, each time WhatsApp reported, and why it failed or waits. */
    private static function title(array $row, $state, $fileName, array $texts, callable $time)
    {
        $lines = $fileName !== null && $fileName !== '' ? [$fileName] : [];
        foreach (['sent_at', 'delivered_at', 'read_at'] as $column) { // (each text has its column's name)
            if (!empty($row[$column])) {
                $lines[] = WhatsAppTemplates::render($texts[$column], ['time' => $time((int) $row[$column])]);
            }
        }
        if (in_array($state, ['failed', 'held', 'pending'], true) && (string) $row['error'] !== '') {
            $lines[] = WhatsAppTemplates::render($texts['reason'], ['reason' => $row['error']]);
        } elseif ($state === 'pending') {
            $lines[] = $texts['pending_hint'];
        }
        return implode("\n", $lines);
    }
}
