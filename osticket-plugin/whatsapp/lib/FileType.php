<?php
/**
 * The content type a customer's file is stored with in osTicket. osTicket serves a
 * file back with its stored type and shows anything whose type contains "image/"
 * inline on its own site, so WhatsApp's (the sender's) word is not taken: the type
 * osTicket's server sees in the bytes decides, and only raster pictures are shown
 * inline (an SVG can carry script). Pure.
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
        $type = strtolower(trim((string) ($detected !== null && $detected !== '' ? $detected : $claimed)));
        if (!preg_match('#^[a-z0-9][a-z0-9!\#$&^_.+-]*/[a-z0-9][a-z0-9!\#$&^_.+-]*$#', $type)) {
            return 'application/octet-stream';
        }
        if (strpos($type, 'image/') !== false && !in_array($type, self::INLINE_IMAGES, true)) {
            return 'application/octet-stream';
        }
        return $type;
    }
}
