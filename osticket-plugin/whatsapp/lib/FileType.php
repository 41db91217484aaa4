<?php
/**
 * The content type a customer's file is stored with in osTicket. osTicket serves a
 * file back with its stored type and shows anything whose type contains "image/"
 * inline on its own site, so the sender's word is taken only as far as it is safe:
 * the type osTicket's server recognises in the bytes decides; bytes it does not
 * recognise keep the claimed type without parameters ("text/html;image/png" is no
 * type); and only raster pictures may be shown inline (an SVG can carry script). Pure.
 */
final class WhatsAppFileType
{
    const INLINE_IMAGES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

    /**
     * @param string $claimed the type WhatsApp gave
     * @param string|null $detected what finfo found in the bytes, or null without finfo
     */
    public static function forOsTicket($claimed, $detected)
    {
        $recognised = $detected !== null && $detected !== '' && $detected !== 'application/octet-stream';
        $type = strtolower(trim((string) ($recognised ? $detected : explode(';', (string) $claimed)[0])));
        if (!preg_match('#^[a-z0-9][a-z0-9!\#$&^_.+-]*/[a-z0-9][a-z0-9!\#$&^_.+-]*$#', $type)) {
            return 'application/octet-stream';
        }
        if (strpos($type, 'image/') !== false && !in_array($type, self::INLINE_IMAGES, true)) {
            return 'application/octet-stream';
        }
        return $type;
    }
}
