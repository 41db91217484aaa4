<?php
/**
 * No e-mail to an address that exists only because WhatsApp customers need
 * one. osTicket 1.17/1.18 have no hook before mail goes out and no per-user
 * "no e-mail" flag (class.mailer.php, class.ticket.php getRecipients), so:
 * - tickets and messages we create are posted without autoresponse;
 * - an agent's reply in the staff panel to a WhatsApp-only customer is
 *   turned, before osTicket reads the form, from "reply to all" into "reply
 *   to the CCs" (or "no one"): the reply is saved and goes out over WhatsApp.
 * What is left (e.g. a resend, the access link) goes to the generated
 * domain, which the README tells administrators to make undeliverable.
 */
final class WhatsAppMailGuard
{
    /** At plugin bootstrap, before scp/tickets.php handles the POST. */
    public static function onRequest($emailDomain)
    {
        // (OSTSCPINC is defined only after main.inc.php, which bootstraps plugins.)
        if (($_SERVER['REQUEST_METHOD'] ?? '') !== 'POST'
                || !preg_match('#/scp/tickets\.php$#', (string) ($_SERVER['SCRIPT_NAME'] ?? ''))
                || strtolower((string) ($_POST['a'] ?? '')) !== 'reply' || empty($_REQUEST['id'])) {
            return;
        }
        $replyTo = strtolower((string) ($_POST['reply-to'] ?? ''));
        if ($replyTo !== 'all' && $replyTo !== 'user') {
            return;
        }
        $ticket = Ticket::lookup((int) $_REQUEST['id']);
        if ($ticket && self::isWhatsAppOnly($ticket->getEmail(), $emailDomain)) {
            $_POST['reply-to'] = ($replyTo === 'all' && !empty($_POST['ccs'])) ? 'collabs' : 'none';
        }
    }

    /** A generated address (whatsapp+NUMBER@the configured domain), not one the customer gave. */
    public static function isWhatsAppOnly($address, $emailDomain)
    {
        return (bool) preg_match('/^whatsapp\+[0-9a-z]+@' . preg_quote((string) $emailDomain, '/') . '$/i', trim((string) $address));
    }
}
