<?php
/**
 * Conversations agents start: a ticket from any channel continued on WhatsApp,
 * a ticket an agent opens with "Reply on WhatsApp", and the agent's word on
 * where a conversation goes after Change Owner. Only to numbers the plugin
 * trusts for the ticket's owner (glue/PhoneIndex.php): never one typed here.
 */
final class WhatsAppAgentChannel
{
    /**
     * Where this ticket's replies can go: per enabled number (instance) the owner's
     * trusted WhatsApp numbers, the ones they wrote from on it first.
     * @return array [['instance' => id, 'name' => the instance's name, 'phones' => [digits], 'transport' => 'baileys'|'cloud'|'']]
     */
    public static function options(Ticket $ticket)
    {
        $owner = (int) $ticket->getOwnerId();
        $options = [];
        foreach (WhatsAppPlugin::instanceIds() as $instanceId) {
            $settings = WhatsAppPlugin::settings($instanceId);
            $phones = array_values(array_unique(array_merge(
                WhatsAppStore::phonesOfUser($instanceId, $owner),
                $owner ? WhatsAppPhoneIndex::numbersOf($owner, $settings['default_country_code']) : []
            )));
            if ($phones) {
                $options[] = ['instance' => $instanceId, 'name' => WhatsAppPlugin::instanceName($instanceId), 'phones' => $phones,
                    'transport' => WhatsAppServiceHealth::transport($instanceId)];
            }
        }
        return $options;
    }

    /** The conversation replies go to now, when it is active: ['instance' => id, 'phone' => digits] or null. */
    public static function current(Ticket $ticket)
    {
        $mapping = WhatsAppStore::mappingForTicket($ticket->getId());
        return $mapping && $mapping['status'] === 'open' ? ['instance' => (int) $mapping['instance_id'], 'phone' => $mapping['phone']] : null;
    }

    /**
     * The agent continues the ticket on WhatsApp with one of its options. The ticket becomes
     * the phone's active one on that number; a customer whose active ticket was another is
     * told, as the switch command tells them. Idempotent (a second click changes nothing).
     * Returns null when done, else why not (the agent's words).
     */
    public static function continueOn(Ticket $ticket, $staff, $instanceId, $phone, array $ui)
    {
        $settings = WhatsAppPlugin::settings((int) $instanceId);
        if ($ticket->isClosed()) {
            return $ui['closed'];
        }
        if (!$settings) {
            return $ui['no_instance'];
        }
        $offered = false;
        foreach (self::options($ticket) as $option) {
            $offered = $offered || ($option['instance'] === (int) $instanceId && in_array((string) $phone, $option['phones'], true));
        }
        if (!$offered) {
            return $ui['no_number'];
        }
        if (($at = WhatsAppStore::optedOutAt((int) $instanceId, $phone)) !== null) {
            return WhatsAppTemplates::render($ui['opted_out'], ['time' => Format::datetime($at, false)]);
        }
        $mine = WhatsAppStore::mappingForPhoneAndTicket($phone, $ticket->getId());
        if ($mine && (int) $mine['instance_id'] !== (int) $instanceId) {
            return $ui['other_instance'];
        }
        self::activate($ticket, $settings, $phone, $staff, 'continued');
        return null;
    }

    /**
     * An agent opened the ticket with "Reply on WhatsApp" ticked (osTicket's `ticket.created`,
     * before the opening response is posted): the response and every later reply go to the
     * owner's WhatsApp number, through the number they wrote to before.
     */
    public static function onTicketCreated(Ticket $ticket)
    {
        global $thisstaff;
        $role = $thisstaff instanceof Staff ? $ticket->getRole($thisstaff) : null;
        // (osTicket posts the agent's opening response only with the reply permission, too)
        if (!$role || !$role->hasPerm(Ticket::PERM_REPLY) || !WhatsAppTicketFields::wantsWhatsApp($ticket)) {
            return;
        }
        $options = self::options($ticket);
        if (!$options) {
            $instanceIds = WhatsAppPlugin::instanceIds();
            $settings = $instanceIds ? WhatsAppPlugin::settings($instanceIds[0]) : null;
            $texts = $settings ? $settings['staff'] : WhatsAppTemplates::defaults(WhatsAppDesk::language());
            WhatsAppDesk::note($ticket, $texts['whatsapp_title'], WhatsAppTemplates::render($texts['opened_no_number_note'], ['user' => (string) $ticket->getOwner()->getName()]),
                $thisstaff, WhatsAppDesk::messageId('opened.' . $ticket->getId(), 'note'));
            return;
        }
        $settings = WhatsAppPlugin::settings($options[0]['instance']);
        $phone = $options[0]['phones'][0];
        if (($at = WhatsAppStore::optedOutAt($settings['instance_id'], $phone)) !== null) {
            WhatsAppDesk::note($ticket, $settings['staff']['whatsapp_title'], WhatsAppTemplates::render($settings['staff']['opened_opted_out_note'], [
                'reason' => WhatsAppTemplates::render($settings['staff']['optout_reason'], ['time' => Format::datetime($at, false)]),
            ]), $thisstaff, WhatsAppDesk::messageId('opened.' . $ticket->getId(), 'note'));
            return;
        }
        self::activate($ticket, $settings, $phone, $thisstaff, 'opened');
        // A filter's canned reply was posted inside Ticket::create, before this conversation existed.
        WhatsAppOutbound::sendEarlierReplies($ticket, ['WhatsAppPlugin', 'settings']);
    }

    /**
     * After Change Owner: the question for the agent when the new owner has a WhatsApp number
     * of their own on this conversation's number, or null.
     * @return array|null ['user' => name, 'old' => digits, 'new' => digits]
     */
    public static function ownerQuestion(Ticket $ticket)
    {
        $mapping = WhatsAppStore::mappingForTicket($ticket->getId());
        $owner = (int) $ticket->getOwnerId();
        if (!$mapping || !$owner || $owner === (int) $mapping['user_id'] || !($settings = WhatsAppPlugin::settings((int) $mapping['instance_id']))) {
            return null;
        }
        $numbers = WhatsAppOwner::numbersOf($owner, $mapping['instance_id'], $settings);
        if (!$numbers || in_array($mapping['phone'], $numbers, true)) {
            return null; // nothing to decide: the conversation's number simply becomes theirs (WhatsAppOwner::follow)
        }
        return ['user' => (string) $ticket->getOwner()->getName(), 'old' => $mapping['phone'], 'new' => $numbers[0]];
    }

    /** The agent's answer to ownerQuestion(): move to the new owner's number, or keep the conversation's. */
    public static function decideOwner(Ticket $ticket, $staff, $move)
    {
        $question = self::ownerQuestion($ticket);
        if (!$question) {
            return; // decided meanwhile (by another agent, or a reply that followed the owner)
        }
        $mapping = WhatsAppStore::mappingForTicket($ticket->getId());
        $settings = WhatsAppPlugin::settings((int) $mapping['instance_id']);
        if ($move) {
            WhatsAppOwner::follow($mapping, $ticket, $settings);
            return;
        }
        WhatsAppStore::setMappingUser($mapping['id'], (int) $ticket->getOwnerId());
        // The agent's word links this number to the new owner, as WhatsAppOwner::follow links one (glue/PhoneIndex.php).
        if (ctype_digit($question['old'])) {
            WhatsAppPhoneIndex::remember($question['old'], (int) $ticket->getOwnerId(), 'agent');
        }
        WhatsAppDesk::note($ticket, $settings['staff']['whatsapp_title'], WhatsAppTemplates::render($settings['staff']['owner_kept_note'], [
            'user' => $question['user'], 'agent' => self::agentName($staff), 'phone' => '+' . $question['old'],
        ]), $staff);
    }

    /**
     * The ticket becomes the phone's active conversation on this number; the customer hears of a
     * switch; a note says who did it. Under the phone's lock, as a customer message is handled
     * (glue/Webhook.php): a message arriving meanwhile lands in one ticket or the other, whole. The
     * switch message and the note are keyed by the conversation it switched away from, as it was
     * then: two agents' clicks tell the customer once, a switch back tells them again.
     */
    private static function activate(Ticket $ticket, array $settings, $phone, $staff, $why)
    {
        $instanceId = $settings['instance_id'];
        $locked = WhatsAppStore::lock('chat:' . $phone, 10); // (not taken in 10 s: done without it rather than fail the agent)
        try {
            $previous = WhatsAppStore::activeMapping($instanceId, $phone);
            if ($previous && (int) $previous['ticket_id'] === (int) $ticket->getId()) {
                return; // already so
            }
            $owner = (int) $ticket->getOwnerId();
            $mapping = WhatsAppStore::activate($instanceId, $phone, $ticket->getId(), $ticket->getNumber(), $owner);
        } finally {
            if ($locked) {
                WhatsAppStore::unlock('chat:' . $phone);
            }
        }
        $key = sprintf('%s:%d:%s', $why, $ticket->getId(), $previous ? $previous['id'] . ':' . preg_replace('/\D/', '', $previous['updated']) : 'new:' . time());
        $switchedFrom = $previous ? WhatsAppDesk::ticket($previous['ticket_id']) : null;
        if ($switchedFrom) {
            WhatsAppOutbound::tell($mapping, WhatsAppTemplates::render($settings['texts']['switch_success'], [
                'ticket_number' => $ticket->getNumber(), 'ticket_subject' => WhatsAppText::withEmoji($ticket->getSubject()),
            ]), $key, $settings);
        }
        $note = $why === 'opened' ? 'opened_note' : ($switchedFrom ? 'continued_switched_note' : 'continued_note');
        WhatsAppDesk::note($ticket, $settings['staff']['whatsapp_title'], WhatsAppTemplates::render($settings['staff'][$note], [
            'agent' => self::agentName($staff), 'phone' => '+' . $phone, 'instance' => WhatsAppPlugin::instanceName($instanceId),
            'ticket_number' => $switchedFrom ? $switchedFrom->getNumber() : '',
        ]), $staff, WhatsAppDesk::messageId($key, 'note'));
    }

    private static function agentName($staff)
    {
        return $staff instanceof Staff ? (string) $staff->getName() : 'SYSTEM';
    }
}
