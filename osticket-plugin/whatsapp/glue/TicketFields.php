<?php
/**
 * The plugin's fields on osTicket's "Ticket Details" form, for agents only
 * (clients never see them): "Reply on WhatsApp", a checkbox on the staff's
 * open-ticket form; "WhatsApp", what became of the ticket's last reply; and
 * "WhatsApp rating", the customer's 1-5 after a close. The last two are set by
 * the plugin, read-only for agents, and like any ticket field available in
 * advanced search and as queue columns ("WhatsApp is failed", "rating is 1").
 */
final class WhatsAppTicketFields
{
    const SEND = 'whatsapp_reply';
    const STATE = 'whatsapp_state';
    const RATING = 'whatsapp_rating';
    const ALL = [self::SEND, self::STATE, self::RATING];
    /**
     * Adds the fields when missing: from the settings page and osTicket's real cron (never from
     * the staff's auto-cron), under a lock, so that two requests never add a field twice. The rows
     * are written directly and osTicket's search table (ticket__cdata) gets their columns: new
     * fields have no answers, so nothing is rebuilt (osTicket's own field save drops and rebuilds
     * that table, during which its ticket lists stop with "Missing CDATA table").
     */
    public static function ensure($deskLanguage)
    {
        $form = TicketForm::objects()->one();
        if (!$form || self::missing($form->id) === [] || !WhatsAppStore::lock('ticket-fields', 0)) {
            return;
        }
        try {
            $ui = WhatsAppStaffTexts::of($deskLanguage);
            $choices = [];
            foreach (WhatsAppDeliveryState::STATES as $state) {
                $choices[] = $state . ':' . $ui['state_' . $state];
            }
            $definitions = [
                // Agents see and tick it (0x3001: enabled, agent view, agent edit).
                self::SEND => ['bool', $ui['send_field'], 0x3001, '', ['desc' => $ui['send_field_desc']]],
                // Agents see it; only the plugin writes it (0x1001: enabled, agent view).
                self::STATE => ['choices', $ui['state_field'], 0x1001, $ui['state_field_hint'], ['choices' => implode("\n", $choices), 'prompt' => '']],
                self::RATING => ['choices', $ui['rating_field'], 0x1001, $ui['rating_field_hint'], ['choices' => "1:1\n2:2\n3:3\n4:4\n5:5", 'prompt' => '']],
            ];
            foreach (self::missing($form->id) as $name) {
                list($type, $label, $flags, $hint, $configuration) = $definitions[$name];
                db_query(sprintf("INSERT INTO `%sform_field` (form_id, flags, type, label, name, configuration, sort, hint, created, updated)
                    VALUES (%d, %d, %s, %s, %s, %s, 90, %s, NOW(), NOW())", TABLE_PREFIX, $form->id, $flags, WhatsAppStore::quote($type),
                    WhatsAppStore::quote($label), WhatsAppStore::quote($name), WhatsAppStore::quote(json_encode($configuration)), WhatsAppStore::quote($hint)));
            }
            foreach (self::ALL as $name) {
                // (a table osTicket has not built yet is built with every field when it is)
                $column = db_query(sprintf("SHOW COLUMNS FROM `%sticket__cdata` LIKE '%s'", TABLE_PREFIX, $name));
                if ($column && db_num_rows($column) === 0) {
                    db_query(sprintf('ALTER TABLE `%sticket__cdata` ADD `%s` mediumtext', TABLE_PREFIX, $name));
                }
            }
        } finally {
            WhatsAppStore::unlock('ticket-fields');
        }
    }

    /** The plugin's fields the Ticket Details form does not have. */
    private static function missing($formId)
    {
        $have = array_column(WhatsAppStore::rows(sprintf("SELECT name FROM `%sform_field` WHERE form_id = %d AND name IN ('%s')",
            TABLE_PREFIX, $formId, implode("', '", self::ALL))), 'name');
        return array_values(array_diff(self::ALL, $have));
    }

    /** Whether the agent who opened the ticket ticked "Reply on WhatsApp". */
    public static function wantsWhatsApp(Ticket $ticket)
    {
        $answer = $ticket->getAnswer(self::SEND);
        return $answer && (bool) $answer->getValue();
    }

    /** The ticket's "WhatsApp" field says what became of its last reply. */
    public static function recordLastReply($ticketId, $state)
    {
        self::record($ticketId, self::STATE, $state);
    }

    /** The ticket's "WhatsApp rating" field: the customer's 1-5. */
    public static function recordRating($ticketId, $stars)
    {
        self::record($ticketId, self::RATING, (string) (int) $stars);
    }

    private static function record($ticketId, $name, $value)
    {
        $entry = DynamicFormEntry::forTicket((int) $ticketId, true)->filter(['form__type' => 'T'])->first();
        if (!$entry) {
            return;
        }
        $entry->addMissingFields();
        foreach ($entry->getAnswers() as $answer) {
            $field = $answer->getField();
            if ($field && $field->get('name') === $name) {
                $value = $field->to_database($value);
                if ($answer->get('value') !== $value) {
                    $answer->setValue($value); // saved with osTicket's search data (ticket__cdata) at once
                    $answer->save();
                }
                return;
            }
        }
    }

    /** The plugin's data goes: its fields, their answers and their search columns too. */
    public static function remove()
    {
        $fields = sprintf("SELECT id FROM `%sform_field` WHERE name IN ('%s')", TABLE_PREFIX, implode("', '", self::ALL));
        $ids = array_map('intval', array_column(WhatsAppStore::rows($fields), 'id'));
        if (!$ids) {
            return;
        }
        db_query(sprintf('DELETE FROM `%sform_entry_values` WHERE field_id IN (%s)', TABLE_PREFIX, implode(',', $ids)));
        db_query(sprintf('DELETE FROM `%sform_field` WHERE id IN (%s)', TABLE_PREFIX, implode(',', $ids)));
        foreach (self::ALL as $name) {
            $column = db_query(sprintf("SHOW COLUMNS FROM `%sticket__cdata` LIKE '%s'", TABLE_PREFIX, $name));
            if ($column && db_num_rows($column) > 0) {
                db_query(sprintf('ALTER TABLE `%sticket__cdata` DROP `%s`', TABLE_PREFIX, $name));
            }
        }
    }
}
