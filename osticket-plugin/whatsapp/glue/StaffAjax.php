<?php
/**
 * The plugin's staff routes under scp/ajax.php/whatsapp/ (osTicket's `ajax.scp`
 * signal): dialogs in osTicket's own popup ($.dialog: a form that answers 201
 * when done) and the delivery states the ticket view polls. Staff only; each
 * ticket route checks the agent's access to the ticket (403), each POST the
 * CSRF token (osTicket checks only POSTs with a body).
 * Loaded by the signal's handler, after osTicket's AjaxController exists.
 */
class WhatsAppStaffAjax extends AjaxController
{
    /** GET: what WhatsApp made of the ticket's messages, per thread entry; and an open question after Change Owner. */
    public function states($id)
    {
        $ticket = $this->ticket($id);
        $ui = WhatsAppStaffPages::ui();
        $delivery = WhatsAppStore::deliveryOfTicket($ticket->getId());
        $states = WhatsAppDeliveryState::forTicket($delivery['out'], $delivery['answered'], $ui, function ($unix) {
            return Format::datetime($unix, false); // (a true epoch, not a database time)
        });
        // Asked of agents who may change the owner (osTicket's Change Owner needs Ticket::PERM_EDIT) and reply.
        $question = self::may($ticket, Ticket::PERM_EDIT) && self::may($ticket, Ticket::PERM_REPLY) ? WhatsAppAgentChannel::ownerQuestion($ticket) : null;
        // A customer who wrote STOP: the agent sees it above the thread.
        $mapping = WhatsAppStore::mappingForTicket($ticket->getId());
        $optedOut = $mapping ? WhatsAppStore::optedOutAt($mapping['instance_id'], $mapping['phone']) : null;
        return $this->encode(['entries' => $states['entries'] ?: new stdClass(), 'last' => $states['last'], 'owner' => $question ? $question['new'] : null,
            'notice' => $optedOut !== null ? WhatsAppTemplates::render($ui['opted_out_banner'], ['time' => Format::datetime($optedOut, false)]) : null]);
    }

    /** GET: the confirmation dialog; POST: the ticket goes on over WhatsApp (201), or the dialog again with why not. */
    public function continueOn($id)
    {
        global $thisstaff;
        $ticket = $this->ticket($id, Ticket::PERM_REPLY);
        $ui = WhatsAppStaffPages::ui();
        $options = WhatsAppAgentChannel::options($ticket);
        $error = null;
        if ($_SERVER['REQUEST_METHOD'] === 'POST') {
            $this->csrf();
            list($instanceId, $phone) = array_pad(explode(':', (string) (isset($_POST['target']) ? $_POST['target'] : ''), 2), 2, '');
            $error = WhatsAppAgentChannel::continueOn($ticket, $thisstaff, (int) $instanceId, $phone, $ui);
            if ($error === null) {
                Http::response(201, $this->encode(['ok' => true, 'message' => WhatsAppTemplates::render($ui['done'], ['phone' => '+' . $phone])]), 'application/json');
            }
        }
        return $this->continueDialog($ticket, $options, $ui, $error);
    }

    /** GET: after Change Owner, where the conversation goes; POST move=1|0 (201). */
    public function owner($id)
    {
        global $thisstaff;
        $ticket = $this->ticket($id, Ticket::PERM_REPLY);
        if (!self::may($ticket, Ticket::PERM_EDIT)) {
            Http::response(403, WhatsAppStaffPages::ui()['not_allowed']);
        }
        $ui = WhatsAppStaffPages::ui();
        if ($_SERVER['REQUEST_METHOD'] === 'POST') {
            $this->csrf();
            WhatsAppAgentChannel::decideOwner($ticket, $thisstaff, !empty($_POST['move']));
            Http::response(201, $this->encode(['ok' => true]), 'application/json');
        }
        $question = WhatsAppAgentChannel::ownerQuestion($ticket);
        if (!$question) {
            Http::response(404, 'nothing to decide');
        }
        $vars = ['user' => $question['user'], 'old' => '+' . $question['old'], 'new' => '+' . $question['new']];
        return self::dialog($ui['owner_title'], '#whatsapp/tickets/' . $ticket->getId() . '/owner',
            '<p>' . Format::htmlchars(WhatsAppTemplates::render($ui['owner_text'], $vars)) . '</p>',
            sprintf('<button type="submit" class="button" name="move" value="0">%s</button> <button type="submit" class="button action-button" name="move" value="1">%s</button>',
                Format::htmlchars(WhatsAppTemplates::render($ui['owner_keep'], $vars)), Format::htmlchars(WhatsAppTemplates::render($ui['owner_move'], $vars))),
            $ui);
    }

    /**
     * GET: name and number of a customer who has only a phone; POST: the plugin's user for that
     * number (the one it identifies, or a new one with a generated address), 201 with
     * {id, name, email} as osTicket's own Add New User answers, so the open-ticket form takes it.
     */
    public function newCustomer()
    {
        global $thisstaff;
        $this->staffOnly();
        $ui = WhatsAppStaffPages::ui();
        if (!$thisstaff->hasPerm(User::PERM_CREATE)) {
            Http::response(403, 'Access denied');
        }
        $instanceIds = WhatsAppPlugin::instanceIds();
        $settings = $instanceIds ? WhatsAppPlugin::settings($instanceIds[0]) : null;
        $error = null;
        $name = isset($_POST['name']) ? trim((string) $_POST['name']) : '';
        $typed = isset($_POST['phone']) ? trim((string) $_POST['phone']) : '';
        if ($settings && $_SERVER['REQUEST_METHOD'] === 'POST') {
            $this->csrf();
            $phone = WhatsAppPhoneNumber::international($typed, $settings['default_country_code']);
            $found = $phone !== null ? WhatsAppPhoneIndex::match($phone, $settings['default_country_code']) : null;
            if ($phone === null) {
                $error = $ui['bad_phone'];
            } elseif ($found['ambiguous']) {
                // Never guessed between: the agent chooses one of them with the form's user search.
                $error = WhatsAppTemplates::render($ui['ambiguous'], ['phone' => '+' . $phone, 'users' => implode(', ', $found['ambiguous'])]);
            } else {
                $user = WhatsAppDesk::customer($phone, $phone, $name, $settings)['user'];
                Http::response(201, $this->encode(['id' => $user->getId(), 'name' => (string) $user->getName(), 'email' => (string) $user->getEmail()]), 'application/json');
            }
        }
        if (!$settings) {
            return self::dialog($ui['new_customer'], '#whatsapp/users/new', self::banner($ui['no_instance']), '', $ui);
        }
        $body = ($error !== null ? self::banner($error) : '') . sprintf('<table class="form_table" width="100%%">'
            . '<tr><td width="160">%s:</td><td><input type="text" name="name" size="40" maxlength="128" value="%s" autofocus></td></tr>'
            . '<tr><td>%s:</td><td><input type="tel" name="phone" size="20" maxlength="32" value="%s" placeholder="+49 151 …"> <span class="error">*</span></td></tr></table>',
            Format::htmlchars($ui['name']), Format::htmlchars($name), Format::htmlchars($ui['number']), Format::htmlchars($typed));
        return self::dialog($ui['new_customer'], '#whatsapp/users/new', $body, sprintf('<input type="submit" value="%s">', Format::htmlchars($ui['create'])), $ui);
    }

    private function continueDialog(Ticket $ticket, array $options, array $ui, $error)
    {
        $title = $ui['continue'];
        $action = '#whatsapp/tickets/' . $ticket->getId() . '/continue';
        if (!WhatsAppPlugin::instanceIds() || !$options) {
            return self::dialog($title, $action, self::banner(WhatsAppPlugin::instanceIds() ? $ui['no_number'] : $ui['no_instance']), '', $ui);
        }
        $current = WhatsAppAgentChannel::current($ticket);
        $body = $error !== null ? self::banner($error) : '';
        $body .= '<p>' . Format::htmlchars(WhatsAppTemplates::render($ui['continue_intro'], ['user' => (string) $ticket->getOwner()->getName()])) . '</p>';
        $body .= '<table class="form_table" width="100%"><tr><td width="160">' . Format::htmlchars($ui['number']) . ':</td><td><select name="target">';
        $warnings = [];
        foreach ($options as $option) {
            foreach ($option['phones'] as $phone) {
                $chosen = $current && $current['instance'] === $option['instance'] && $current['phone'] === $phone;
                $body .= sprintf('<option value="%d:%s"%s>+%s — %s %s</option>', $option['instance'], Format::htmlchars($phone), $chosen ? ' selected' : '',
                    Format::htmlchars($phone), Format::htmlchars($ui['instance']), Format::htmlchars($option['name']));
            }
            $warnings[$option['transport'] === 'cloud' ? 'warn_cloud' : (in_array($option['transport'], ['baileys', 'sandbox'], true) ? 'warn_baileys' : 'warn_unknown')] = true;
        }
        $body .= '</select></td></tr></table>';
        if ($current) {
            $body .= '<p class="faded">' . Format::htmlchars(WhatsAppTemplates::render($ui['already'], ['phone' => '+' . $current['phone']])) . '</p>';
        }
        foreach ($options as $option) {
            $previous = $option['phones'] ? WhatsAppStore::activeMapping($option['instance'], $option['phones'][0]) : null;
            if ($previous && (int) $previous['ticket_id'] !== (int) $ticket->getId()) {
                $body .= '<p>' . Format::htmlchars(WhatsAppTemplates::render($ui['switch_told'], ['ticket_number' => $previous['ticket_number']])) . '</p>';
                break;
            }
        }
        foreach (array_keys($warnings) as $warning) {
            $body .= '<div class="warning-banner">' . Format::htmlchars($ui[$warning]) . '</div>';
        }
        return self::dialog($title, $action, $body, sprintf('<input type="submit" value="%s">', Format::htmlchars($ui['continue'])), $ui);
    }

    /** osTicket's popup markup: title, close, the form with the CSRF token, Cancel left and the action right. */
    private static function dialog($title, $action, $body, $submit, array $ui)
    {
        return sprintf('<h3 class="drag-handle"><i class="icon-comments"></i> %s</h3><b><a class="close" href="#"><i class="icon-remove-circle"></i></a></b><hr/>'
            . '<form method="post" action="%s" id="whatsapp-dialog">%s%s<hr/><p class="full-width"><span class="buttons pull-left">'
            . '<input type="button" name="cancel" class="close" value="%s"></span><span class="buttons pull-right">%s</span></p></form><div class="clear"></div>',
            Format::htmlchars($title), Format::htmlchars($action), self::csrfInput(), $body, Format::htmlchars($ui['cancel']), $submit);
    }

    private static function banner($text)
    {
        return '<p id="msg_error">' . Format::htmlchars($text) . '</p>';
    }

    private static function csrfInput()
    {
        ob_start();
        csrf_token();
        return ob_get_clean();
    }

    /**
     * The ticket, when this agent may see it (and has `$perm` on it, for what changes where replies
     * go): else 404 or 403, as osTicket's own ticket routes answer.
     */
    private function ticket($id, $perm = null)
    {
        global $thisstaff;
        $this->staffOnly();
        $ticket = Ticket::lookup((int) $id);
        if (!$ticket) {
            Http::response(404, 'No such ticket');
        }
        if (!$ticket->checkStaffPerm($thisstaff)) {
            Http::response(403, 'Access denied');
        }
        if ($perm !== null && !self::may($ticket, $perm)) {
            Http::response(403, WhatsAppStaffPages::ui()['not_allowed']);
        }
        return $ticket;
    }

    /** Whether the agent's role on the ticket's department has this permission. */
    private static function may(Ticket $ticket, $perm)
    {
        global $thisstaff;
        $role = $ticket->getRole($thisstaff);
        return $role && $role->hasPerm($perm);
    }

    /** Every POST carries the page's CSRF token, also one without a body (which osTicket itself does not check). */
    private function csrf()
    {
        global $ost;
        if (!$ost->checkCSRFToken()) {
            Http::response(400, __('Valid CSRF Token Required'));
        }
    }
}
