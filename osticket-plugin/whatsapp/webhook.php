<?php
/**
 * The specification's endpoint file. Not needed: the plugin serves
 * /api/whatsapp/webhook.php itself. It still works when copied to
 * osTicket's api/whatsapp/ folder, for web servers that do not route api/.
 */
if (!defined('INCLUDE_DIR')) {
    // Copied to <osticket>/api/whatsapp/: bootstrap osTicket's API from there.
    chdir(dirname(__DIR__));
    require dirname(__DIR__) . '/api.inc.php';
}
if (!class_exists('WhatsAppPlugin')) {
    http_response_code(503);
    header('X-WhatsApp-Plugin: 1'); // the plugin's file answers: a retry, not a wrong URL
    header('Content-Type: application/json');
    echo json_encode(['error' => ['code' => 'not_configured', 'message' => 'the WhatsApp plugin is not enabled']]);
    exit;
}
WhatsAppPlugin::handleWebhook();
