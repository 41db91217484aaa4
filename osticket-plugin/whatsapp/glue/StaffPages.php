<?php
/**
 * What the plugin adds to osTicket's staff pages, through osTicket's own
 * extension points (no core file changed): "Continue on WhatsApp" in a
 * ticket's More menu (`ticket.view.more`), the delivery states on the ticket
 * view (`object.view`, polling the plugin's staff route), and the routes
 * themselves (`ajax.scp`, glue/StaffAjax.php). A ticket view costs a few
 * indexed queries per WhatsApp number (bench: npm run bench:ticket-view).
 */
final class WhatsAppStaffPages
{
    public static function connect()
    {
        Signal::connect('ajax.scp', function ($dispatcher) {
            require_once __DIR__ . '/StaffAjax.php';
            $dispatcher->append(url('^/whatsapp/', patterns('',
                url_get('^tickets/(?P<id>\d+)/states$', ['WhatsAppStaffAjax', 'states']),
                url('^tickets/(?P<id>\d+)/continue$', ['WhatsAppStaffAjax', 'continueOn']),
                url('^tickets/(?P<id>\d+)/owner$', ['WhatsAppStaffAjax', 'owner']),
                url('^users/new$', ['WhatsAppStaffAjax', 'newCustomer'])
            )));
        });
        // The open-ticket page has no signal of its own: its output gets the link to add a phone-only customer.
        // (Decided at shutdown, while osTicket's globals still exist; the output is passed on after that.)
        if (self::isOpenTicketPage()) {
            ob_start([__CLASS__, 'withNewCustomerLink']);
            register_shutdown_function([__CLASS__, 'decideNewCustomerLink']);
        }
        Signal::connect('ticket.view.more', function ($ticket) {
            WhatsAppStaffPages::moreMenu($ticket);
        });
        Signal::connect('object.view', function ($object) {
            if ($object instanceof Ticket) {
                WhatsAppStaffPages::ticketView($object);
            }
        });
    }

    /** The agent's texts, in the agent's language. */
    public static function ui()
    {
        return WhatsAppStaffTexts::of(Internationalization::getCurrentLanguage());
    }

    private static function isOpenTicketPage()
    {
        return isset($_SERVER['SCRIPT_NAME'], $_GET['a']) && $_GET['a'] === 'open' && $_SERVER['REQUEST_METHOD'] === 'GET'
            && preg_match('#/scp/tickets\.php$#', $_SERVER['SCRIPT_NAME']);
    }

    /** The link's text when the agent may create users, else null (no link). */
    private static $newCustomerLabel = null;

    public static function decideNewCustomerLink()
    {
        global $thisstaff;
        if ($thisstaff instanceof Staff && $thisstaff->hasPerm(User::PERM_CREATE)) {
            self::$newCustomerLabel = self::ui()['new_customer'];
        }
    }

    /** The open-ticket form (a whole page or its pjax part) with its script appended; any other output as it is. */
    public static function withNewCustomerLink($html)
    {
        if (self::$newCustomerLabel === null || strpos($html, 'tickets.php?a=open') === false || strpos($html, 'id="user-name"') === false) {
            return $html;
        }
        $label = json_encode(self::$newCustomerLabel, JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT);
        return $html . '<script type="text/javascript">var whatsappNewCustomer = ' . $label . ";\n" . file_get_contents(__DIR__ . '/../assets/open-ticket.js') . '</script>';
    }

    /** The More menu's item, for agents who may reply, when the owner has a WhatsApp number the plugin trusts. */
    public static function moreMenu(Ticket $ticket)
    {
        global $thisstaff;
        $role = $thisstaff ? $ticket->getRole($thisstaff) : null;
        if (!$role || !$role->hasPerm(Ticket::PERM_REPLY) || $ticket->isClosed() || !WhatsAppAgentChannel::options($ticket)) {
            return;
        }
        // scp.js opens a[data-dialog] in osTicket's popup and reloads the ticket when it answers 201.
        printf('<li><a class="no-pjax" id="whatsapp-continue" href="#" data-dialog="ajax.php/whatsapp/tickets/%d/continue"><i class="icon-comments"></i> %s</a></li>',
            $ticket->getId(), Format::htmlchars(self::ui()['continue']));
    }

    /** The ticket view of a WhatsApp ticket: its script and style, which fetch and show the states. */
    public static function ticketView(Ticket $ticket)
    {
        global $thisstaff;
        // osTicket sends object.view from the client portal's ticket page too: the script is for agents only.
        if (!defined('OSTSCPINC') || !$thisstaff instanceof Staff || !WhatsAppStore::mappingForTicket($ticket->getId())) {
            return;
        }
        $config = ['ticket' => (int) $ticket->getId(), 'url' => 'ajax.php/whatsapp/tickets/' . (int) $ticket->getId()];
        printf("<style>%s</style>\n<div id=\"whatsapp-delivery\" data-ticket=\"%d\" hidden></div>\n<script type=\"text/javascript\">var whatsappDelivery = %s;\n%s</script>\n",
            file_get_contents(__DIR__ . '/../assets/ticket-view.css'), $ticket->getId(),
            json_encode($config, JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT), file_get_contents(__DIR__ . '/../assets/ticket-view.js'));
    }
}
