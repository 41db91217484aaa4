<?php
// The plugin's classes: lib/ is plain PHP, glue/ talks to osTicket.
// No variables here or in any file whatsapp.php includes: osTicket includes the plugin from
// inside a method (Plugin::getImpl, PluginManager::allInstalled), so a file-level variable
// would overwrite that method's own (its $class), and the plugin would be "defunct".
// fault-injection.php exists only where the end-to-end suite put it (lib/Fault.php).
if (is_file(__DIR__ . '/fault-injection.php')) {
    require_once __DIR__ . '/fault-injection.php';
}
require_once __DIR__ . '/lib/PhoneNumber.php';
require_once __DIR__ . '/lib/PhoneTrust.php';
require_once __DIR__ . '/lib/Signature.php';
require_once __DIR__ . '/lib/CommandParser.php';
require_once __DIR__ . '/lib/Text.php';
require_once __DIR__ . '/lib/Templates.php';
require_once __DIR__ . '/lib/Conversation.php';
require_once __DIR__ . '/lib/ServiceClient.php';
require_once __DIR__ . '/lib/SettingsCheck.php';
require_once __DIR__ . '/lib/MessageCheck.php';
require_once __DIR__ . '/lib/Markup.php';
require_once __DIR__ . '/lib/Fault.php';
require_once __DIR__ . '/lib/LockName.php';
require_once __DIR__ . '/lib/FileType.php';
require_once __DIR__ . '/lib/LazyText.php';
require_once __DIR__ . '/lib/DeliveryState.php';
require_once __DIR__ . '/lib/StaffTexts.php';
require_once __DIR__ . '/glue/Schema.php';
require_once __DIR__ . '/glue/Store.php';
require_once __DIR__ . '/glue/PhoneIndex.php';
require_once __DIR__ . '/glue/Desk.php';
require_once __DIR__ . '/glue/Progress.php';
require_once __DIR__ . '/glue/Owner.php';
require_once __DIR__ . '/glue/Settings.php';
require_once __DIR__ . '/glue/ServiceHealth.php';
require_once __DIR__ . '/glue/Webhook.php';
require_once __DIR__ . '/glue/Outbound.php';
require_once __DIR__ . '/glue/MailGuard.php';
require_once __DIR__ . '/glue/Erasure.php';
require_once __DIR__ . '/glue/TicketFields.php';
require_once __DIR__ . '/glue/AgentChannel.php';
require_once __DIR__ . '/glue/StaffPages.php';
