<?php
/**
 * Whether the plugin can hand replies to a number's service, and when that
 * service last called, remembered in osTicket's config table: the settings page
 * shows a problem as a banner, and the system log gets it once an hour, not once per reply.
 */
final class WhatsAppServiceHealth
{
    const LOG_EVERY_SECONDS = 3600;

    public static function problem($instanceId, $reason)
    {
        $state = self::state($instanceId);
        $now = time();
        if ($state->get('problem') !== $reason) {
            $state->set('problem', $reason);
            $state->set('since', $now);
        }
        if ($now - (int) $state->get('logged', 0) >= self::LOG_EVERY_SECONDS) {
            $state->set('logged', $now);
            global $ost;
            $ost && $ost->logWarning('WhatsApp: replies are waiting', $reason, false);
        }
    }

    public static function ok($instanceId)
    {
        $state = self::state($instanceId);
        if ($state->get('problem')) {
            $state->set('problem', '');
            $state->set('logged', 0);
        }
    }

    /** The service called this number's webhook, signed: remembered (at most once a minute) for the settings page. */
    public static function heard($instanceId)
    {
        $state = self::state($instanceId);
        if (time() - (int) $state->get('heard', 0) >= 60) {
            $state->set('heard', time());
        }
    }

    /** The service's hello names its transport: remembered, so agents are told what a first message means on it. */
    public static function hello($instanceId, $transport)
    {
        $state = self::state($instanceId);
        if (in_array($transport, ['baileys', 'cloud', 'sandbox'], true) && $state->get('transport') !== $transport) {
            $state->set('transport', $transport);
        }
    }

    /** 'baileys', 'cloud', 'sandbox', or '' before the first hello. */
    public static function transport($instanceId)
    {
        return (string) self::state($instanceId)->get('transport', '');
    }

    /** When this number's service last called its webhook (unix time, to the minute), or null. */
    public static function lastHeard($instanceId)
    {
        $heard = (int) self::state($instanceId)->get('heard', 0);
        return $heard > 0 ? $heard : null;
    }

    /** @return array|null ['reason' => ..., 'since' => unix time] */
    public static function current($instanceId)
    {
        $state = self::state($instanceId);
        return $state->get('problem') ? ['reason' => $state->get('problem'), 'since' => (int) $state->get('since')] : null;
    }

    /** One state per number (plugin instance). */
    private static function state($instanceId)
    {
        return new Config('plugin.whatsapp.service.' . (int) $instanceId);
    }
}
