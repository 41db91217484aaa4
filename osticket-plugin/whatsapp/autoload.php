<?php
// The plugin's classes: lib/ is plain PHP, glue/ talks to osTicket.
// fault-injection.php exists only where the end-to-end suite put it (lib/Fault.php).
if (is_file(__DIR__ . '/fault-injection.php')) {
    require_once __DIR__ . '/fault-injection.php';
}
foreach (['PhoneNumber', 'Signature', 'CommandParser', 'Text', 'Templates', 'Conversation', 'ServiceClient', 'SettingsCheck', 'MessageCheck', 'Markup', 'Fault'] as $class) {
    require_once __DIR__ . "/lib/$class.php";
}
foreach (['Schema', 'Store', 'PhoneIndex', 'Desk', 'Settings', 'ServiceHealth', 'Webhook', 'Outbound', 'MailGuard'] as $class) {
    require_once __DIR__ . "/glue/$class.php";
}
