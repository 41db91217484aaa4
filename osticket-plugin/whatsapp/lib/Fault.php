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
    const STEPS = ['after_log', 'after_user', 'after_ticket', 'after_message', 'after_mapping', 'before_processed'];

    public static function at($step)
    {
        if (!defined('WHATSAPP_FAULT_FILE') || !is_file(WHATSAPP_FAULT_FILE)) {
            return;
        }
        if (trim((string) @file_get_contents(WHATSAPP_FAULT_FILE)) !== $step || !@unlink(WHATSAPP_FAULT_FILE)) {
            return;
        }
        // SIGKILL: no finally blocks, no shutdown functions, the connection just drops.
        if (function_exists('posix_kill')) {
            posix_kill(getmypid(), 9);
        }
        exit(1);
    }
}
