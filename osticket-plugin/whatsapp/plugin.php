<?php
return [
    'id' => 'osticket:whatsapp',
    'version' => '1.1.0',
    // Supported: osTicket 1.17 and 1.18. Older versions (no plugin instances) are refused when enabling.
    'ost_version' => '1.17',
    'name' => 'WhatsApp Integration',
    'author' => 'osTicket WhatsApp Integration contributors',
    'description' => 'Customers write on WhatsApp: their messages become tickets, agent replies go back to WhatsApp, and simple commands close and switch tickets.',
    'url' => 'https://github.com/your-username/osticket-whatsapp',
    'plugin' => 'whatsapp.php:WhatsAppPlugin',
];
