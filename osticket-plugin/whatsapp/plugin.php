<?php
return [
    'id' => 'osticket:whatsapp',
    'version' => '1.1.0',
    // Supported: osTicket 1.17 and 1.18. Older versions (no plugin instances) are refused when enabling.
    'ost_version' => '1.17',
    // Named so on older versions, whose admin panel says only "Unable to enable <name>" (no variables here: see autoload.php).
    'name' => 'WhatsApp Integration' . (class_exists('PluginInstance') ? '' : ' (needs osTicket 1.17 or newer)'),
    'author' => 'osTicket WhatsApp Integration contributors',
    'description' => 'Customers write on WhatsApp: their messages become tickets, agent replies go back to WhatsApp, and simple commands close and switch tickets.',
    'url' => 'https://github.com/your-username/osticket-whatsapp',
    'plugin' => 'whatsapp.php:WhatsAppPlugin',
];
