<?php
// The plugin's classes: lib/ is plain PHP, glue/ talks to osTicket.
foreach (['PhoneNumber', 'Signature', 'CommandParser', 'Text', 'Templates', 'Conversation', 'ServiceClient', 'SettingsCheck'] as $class) {
    require_once __DIR__ . "/lib/$class.php";
}
foreach (['Schema', 'Store', 'Desk', 'Settings', 'Webhook', 'Outbound'] as $class) {
    require_once __DIR__ . "/glue/$class.php";
}
