<?php
/**
 * Two fields of the plugin's on osTicket's "Ticket Details" form, for agents
 * only (clients never see them): "Reply on WhatsApp", a checkbox on the staff's
 * open-ticket form, and "WhatsApp", what became of the ticket's last reply —
 * set by the plugin, read-only for agents, and like any ticket field available
 * in advanced search and as a queue column ("WhatsApp is failed").
 */
final class WhatsAppTicketFields
{
    const SEND = 'whatsapp_reply';
    const STATE = 'whatsapp_state';
    /** Adds the fields when missing (the settings page and cron call this: two cheap queries once done). */
    public static function ensure($deskLanguage)
    {
        $form = TicketForm::objects()->one();
        $columns = db_query(sprintf("SHOW COLUMNS FROM `%sticket__cdata` WHERE Field IN ('%s', '%s')", TABLE_PREFIX, self::SEND, self::STATE));
        if (!$form || ($columns && db_num_rows($columns) === 2)) {
            return;
        }
        $ui = WhatsAppStaffTexts::of($deskLanguage);
        $choices = [];
        foreach (WhatsAppDeliveryState::STATES as $state) {
            $choices[] = $state . ':' . $ui['state_' . $state];
        }
        $fields = [
            // Agents see and tick it (0x3001: enabled, agent view, agent edit).
            self::SEND => ['type' => 'bool', 'label' => $ui['send_field'], 'flags' => 0x3001, 'configuration' => ['desc' => $ui['send_field_desc']]],
            // Agents see it; only the plugin writes it (0x1001: enabled, agent view).
            self::STATE => ['type' => 'choices', 'label' => $ui['state_field'], 'flags' => 0x1001, 'hint' => $ui['state_field_hint'],
                'configuration' => ['choices' => implode("\n", $choices), 'prompt' => '']],
        ];
        foreach ($fields as $name => $definition) {
            if (!DynamicFormField::objects()->filter(['form_id' => $form->id, 'name' => $name])->count()) {
                DynamicFormField::create($definition + ['form_id' => $form->id, 'name' => $name, 'sort' => 90])->save();
            }
        }
        // osTicket rebuilds its search table (ticket__cdata) for each new field, from a form it may hold
        // in its cache without the newest one: built once more, from the database.
        ModelInstanceManager::flushCache();
        TicketForm::dropDynamicDataView(true);
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
        $entry = DynamicFormEntry::forTicket((int) $ticketId, true)->filter(['form__type' => 'T'])->first();
        if (!$entry) {
            return;
        }
        $entry->addMissingFields();
        foreach ($entry->getAnswers() as $answer) {
            $field = $answer->getField();
            if ($field && $field->get('name') === self::STATE) {
                $value = $field->to_database($state);
                if ($answer->get('value') !== $value) {
                    $answer->setValue($value); // saved with osTicket's search data (ticket__cdata) at once
                    $answer->save();
                }
                return;
            }
        }
    }

    /** The plugin's data goes: its fields (and their answers) too. */
    public static function remove()
    {
        foreach (DynamicFormField::objects()->filter(['name__in' => [self::SEND, self::STATE], 'form__type' => 'T']) as $field) {
            $field->delete();
        }
    }
}
