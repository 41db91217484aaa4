<?php
/**
 * Webhook signature, see docs/contract.md:
 * X-Signature = "sha256=" . hex(HMAC-SHA256(secret, timestamp . "." . raw body)).
 */
final class WhatsAppSignature
{
    const MAX_SKEW_SECONDS = 300;

    public static function sign($secret, $timestamp, $body)
    {
        return 'sha256=' . hash_hmac('sha256', $timestamp . '.' . $body, $secret);
    }

    /**
     * Returns 'ok', or why not: 'no_secret', 'missing', 'stale', 'mismatch'.
     * Fails closed: without a secret nothing is accepted.
     */
    public static function verify($secret, $timestamp, $signature, $body, $now)
    {
        if ((string) $secret === '') {
            return 'no_secret';
        }
        if (!is_string($timestamp) || !is_string($signature) || !preg_match('/^\d{1,12}$/', $timestamp)) {
            return 'missing';
        }
        if (abs($now - (int) $timestamp) > self::MAX_SKEW_SECONDS) {
            return 'stale';
        }
        return hash_equals(self::sign($secret, $timestamp, $body), $signature) ? 'ok' : 'mismatch';
    }
}
