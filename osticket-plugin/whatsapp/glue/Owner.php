<?php
/**
 * A WhatsApp conversation belongs to its ticket's owner. An agent who changes
 * the owner (to fix a wrong match, or because someone wrote for someone else)
 * thereby decides where replies go: to the new owner's own WhatsApp number
 * when they have one (a conversation of theirs on this number, or a trusted
 * number in their profile), else the conversation's number becomes theirs.
 * Looked at whenever the conversation is used, so no reply follows a stale mapping.
 */
final class WhatsAppOwner
{
    /** The conversation (mapping row) as it is after following the ticket's owner. */
    public static function follow(array $mapping, Ticket $ticket, array $settings)
    {
        $owner = (int) $ticket->getOwnerId();
        if (!$owner || $owner === (int) $mapping['user_id']) {
            return $mapping;
        }
        $numbers = self::numbersOf($owner, $mapping['instance_id'], $settings);
        $name = (string) $ticket->getOwner()->getName();
        if ($numbers && !in_array($mapping['phone'], $numbers, true)) {
            $moved = WhatsAppStore::moveConversation($mapping, $numbers[0], $owner);
            WhatsAppDesk::note($ticket, $settings['staff']['whatsapp_title'], WhatsAppTemplates::render($settings['staff']['owner_moved_note'], ['user' => $name, 'phone' => '+' . $numbers[0]]),
                'SYSTEM', self::noteId($mapping, $owner));
            return $moved;
        }
        if (!$numbers && ctype_digit($mapping['phone'])) {
            WhatsAppPhoneIndex::remember($mapping['phone'], $owner, 'agent');
        }
        WhatsAppDesk::note($ticket, $settings['staff']['whatsapp_title'], WhatsAppTemplates::render($settings['staff']['owner_linked_note'], [
            'user' => $name, 'phone' => ctype_digit($mapping['phone']) ? '+' . $mapping['phone'] : $mapping['phone'],
        ]), 'SYSTEM', self::noteId($mapping, $owner));
        return WhatsAppStore::setMappingUser($mapping['id'], $owner);
    }

    /** A user's own WhatsApp numbers on this number (instance): the ones they wrote from, else their trusted ones. */
    public static function numbersOf($userId, $instanceId, array $settings)
    {
        return WhatsAppStore::phonesOfUser($instanceId, $userId) ?: WhatsAppPhoneIndex::numbersOf($userId, $settings['default_country_code']);
    }

    /** One note per conversation and new owner, also when a killed request follows again. */
    private static function noteId(array $mapping, $owner)
    {
        return WhatsAppDesk::messageId(sprintf('owner.%d.%d', $mapping['id'], $owner), 'note');
    }
}
