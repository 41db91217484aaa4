<?php
/**
 * Fault injection for the end-to-end suite only: kills the PHP process at a
 * named step of a webhook request, as a web server restart or an FPM timeout
 * would. Inert unless the constant WHATSAPP_FAULT_FILE is defined (by a
 * fault-injection.php the tests copy next to the plugin; never a setting).
 * The file names one step; it is consumed when the fault fires, so the
 * service's retry runs through.
 */
final class WhatsAppFault
{
    /**
     * Our own steps, and three inside osTicket, reached through its signals (whatsapp.php):
     * in_ticket_create (Ticket::create has just saved the ticket row, no thread yet),
     * in_entry_create (an entry row is saved, its message id not yet) and
     * in_entry_done (the entry is complete; osTicket goes on with alerts and filters).
     * "step#n" fires the n-th time the step is reached in one request (e.g. the second entry).
     */
    const STEPS = ['after_log', 'after_user', 'after_ticket', 'after_message', 'after_mapping', 'before_processed',
        'in_ticket_create', 'in_entry_create', 'in_entry_done'];

    /** Whether the end-to-end suite's switch is there at all (never in production). */
    public static function installed()
    {
        return defined('WHATSAPP_FAULT_FILE');
    }

    public static function at($step)
    {
        static $reached = [];
        if (!defined('WHATSAPP_FAULT_FILE') || !is_file(WHATSAPP_FAULT_FILE)) {
            return;
        }
        $reached[$step] = isset($reached[$step]) ? $reached[$step] + 1 : 1;
        $armed = trim((string) @file_get_contents(WHATSAPP_FAULT_FILE));
        if (($armed !== $step && $armed !== $step . '#' . $reached[$step]) || !@unlink(WHATSAPP_FAULT_FILE)) {
            return;
        }
        // SIGKILL: no finally blocks, no shutdown functions, the connection just drops.
        if (function_exists('posix_kill')) {
            posix_kill(getmypid(), 9);
        }
        exit(1);
    }
}
