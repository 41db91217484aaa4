<?php
/**
 * An agent's actions through osTicket's own classes, for the end-to-end
 * suite: php agent.php <osticket-root> reply|replyfiles|replyzip|replyall|note|close|delete|newticket <ticket-id> [text]
 *        php agent.php <osticket-root> user <phone> <name>   (a customer entered by hand)
 *        php agent.php <osticket-root> edit <entry-id> <text>    (as the staff panel's "Edit" does)
 *        php agent.php <osticket-root> files <entry-id>          (attachments of an entry, with sha256)
 *        php agent.php <osticket-root> owner <ticket-id> <user-id>  (the ticket's owner changed, as "Change Owner" does)
 *        php agent.php <osticket-root> task <ticket-id>          (an open task on the ticket)
 *        php agent.php <osticket-root> shown <entry-id>          (the entry's text as the staff panel shows it)
 *        php agent.php <osticket-root> deleteuser <user-id>
 *        php agent.php <osticket-root> clientprofile <email> <phone>  (a confirmed client account saves its own profile phone)
 *        php agent.php <osticket-root> ticketfor <user-id>          (a ticket an agent opened for an existing user, by phone)
 *        php agent.php <osticket-root> limitedagent <username> <password> [dept:role]  (an agent of one department only: Sales, All Access by default)
 *        php agent.php <osticket-root> search <field> <value>   (ticket ids whose ticket field has the value, as osTicket's search filters)
 *        php agent.php <osticket-root> cron
 * Runs inside osTicket, so its signals reach the plugin as in the staff panel.
 */
list(, $root, $action, $ticketId) = $argv + [null, null, null, null];
$text = isset($argv[4]) ? $argv[4] : '';
$_SERVER['REMOTE_ADDR'] = '127.0.0.1';
$_SERVER['HTTP_HOST'] = 'localhost';
$_SERVER['REQUEST_URI'] = '/';
chdir($root);
require $root . '/main.inc.php';

$thisstaff = Staff::objects()->filter(['isactive' => 1])->order_by('staff_id')->first();
if ($action === 'cron') {
    Signal::send('cron', null);
    exit(0);
}
if ($action === 'user') {
    // customer<digits of the phone>@example.com, or one named after the customer when there is no phone;
    // a second user with the same phone: customer<digits>.<name hash>@example.com (argument "another")
    $local = preg_replace('/\D/', '', $ticketId) ?: substr(md5($text), 0, 12);
    if (isset($argv[5]) && $argv[5] === 'another') {
        $local .= '.' . substr(md5($text), 0, 6);
    }
    $user = User::fromVars(['name' => $text, 'email' => 'customer' . $local . '@example.com', 'phone' => $ticketId]);
    echo json_encode(['id' => $user ? $user->getId() : null]), "\n";
    exit($user ? 0 : 1);
}
if ($action === 'search') {
    // What Advanced Search and queue columns read: the field in osTicket's search data (cdata__<name>).
    $ids = [];
    foreach (Ticket::objects()->filter(['cdata__' . $ticketId => $text])->values_flat('ticket_id') as $row) {
        $ids[] = (int) $row[0];
    }
    echo json_encode(['ids' => $ids]), "\n";
    exit(0);
}
if ($action === 'limitedagent') {
    // An agent who works in one department only (Sales by default): tickets of the others are not theirs to see.
    list($dept, $role) = array_map('intval', explode(':', isset($argv[5]) ? $argv[5] : '2:1'));
    $agent = Staff::lookup(['username' => $ticketId]) ?: Staff::create(['username' => $ticketId, 'firstname' => 'Limited', 'lastname' => 'Agent',
        'email' => $ticketId . '@example.com', 'dept_id' => $dept, 'role_id' => $role, 'isactive' => 1, 'phone' => '', 'mobile' => '', 'signature' => '',
        'notes' => '', 'default_signature_type' => 'none', 'default_paper_size' => 'A4', 'timezone' => 'UTC', 'permissions' => '[]']);
    $agent->save();
    $agent->setPassword($text);
    $agent->save();
    echo json_encode(['id' => $agent->getId()]), "\n";
    exit(0);
}
if ($action === 'ticketfor') {
    $user = User::lookup((int) $ticketId);
    $errors = [];
    $ticket = $user ? Ticket::create(['uid' => $user->getId(), 'name' => (string) $user->getName(), 'email' => $user->getEmail()->address, 'subject' => 'Anruf', 'message' => 'Anruf',
        'source' => 'Phone', 'topicId' => 10], $errors, 'staff', false, false) : null;
    echo json_encode(['ticket' => $ticket ? $ticket->getId() : null]), "\n";
    exit($ticket ? 0 : 1);
}
if ($action === 'clientprofile') {
    // A client registered and confirmed (user_account status 1) saves a phone in their own profile: no staff in this request.
    $thisstaff = null;
    $user = User::fromVars(['name' => 'Client ' . $ticketId, 'email' => $ticketId]);
    $account = new UserAccount(['user_id' => $user->getId(), 'status' => UserAccountStatus::CONFIRMED, 'timezone' => 'UTC', 'registered' => SqlFunction::NOW()]);
    $account->save(true);
    $thisclient = new EndUser($user);
    foreach ($user->getForms() as $entry) {
        if ($entry->getField('phone')) {
            $entry->setAnswer('phone', preg_replace('/\D/', '', $text)); // digits only, as osTicket's phone field stores it
            $entry->save();
        }
    }
    echo json_encode(['id' => $user->getId()]), "\n";
    exit(0);
}
if ($action === 'files') {
    // The files attached to a thread entry, with the sha256 of what osTicket stored.
    $entry = ThreadEntry::lookup((int) $ticketId);
    $files = [];
    foreach ($entry ? $entry->getAttachments() : [] as $attachment) {
        $file = $attachment->getFile();
        $files[] = ['name' => $attachment->getFilename(), 'type' => $file->getType(), 'size' => (int) $file->getSize(), 'sha256' => hash('sha256', $file->getData())];
    }
    echo json_encode($files), "\n";
    exit(0);
}
if ($action === 'edit') {
    // What class.thread_actions.php does: a new entry whose parent is the edited one.
    $old = ThreadEntry::lookup((int) $ticketId);
    $entry = ThreadEntry::create(['poster' => $old->poster, 'userId' => $old->user_id, 'staffId' => $old->staff_id, 'type' => $old->type,
        'threadId' => $old->thread_id, 'recipients' => $old->recipients, 'pid' => $old->id, 'title' => '',
        'body' => new HtmlThreadEntryBody($text), 'ip_address' => '127.0.0.1']);
    $entry->flags = ThreadEntry::FLAG_EDITED;
    $entry->save(true);
    echo json_encode(['entry' => $entry->getId()]), "\n";
    exit(0);
}
if ($action === 'deleteuser') {
    // As the staff panel's "Delete User" (osTicket refuses while the user has tickets).
    $user = User::lookup((int) $ticketId);
    echo json_encode(['ok' => $user && $user->delete()]), "\n";
    exit(0);
}
if ($action === 'shown') {
    // The staff panel's thread view: the body as HTML, read as a browser shows its text.
    $entry = ThreadEntry::lookup((int) $ticketId);
    $html = $entry->getBody()->display('html');
    echo json_encode(['text' => html_entity_decode(strip_tags($html), ENT_QUOTES | ENT_HTML5, 'UTF-8')]), "\n";
    exit(0);
}
$ticket = Ticket::lookup((int) $ticketId);
if (!$ticket || !$thisstaff) {
    fwrite(STDERR, "no ticket $ticketId or no staff\n");
    exit(2);
}
$errors = [];
switch ($action) {
    case 'reply':
        $entry = $ticket->postReply(['response' => $text, 'reply-to' => 'none', 'emailcollab' => false], $errors, false, false);
        break;
    case 'replyfiles':
    case 'replyzip':
        // A reply with two files (or a ZIP archive), as the staff panel's upload field hands them over.
        $files = [];
        $list = $action === 'replyzip' ? [['Logs.zip', 'application/zip', 3000]]
            : [['screenshot.png', 'image/png', 40000], ['Anleitung.pdf', 'application/pdf', 60000]];
        foreach ($list as list($name, $type, $size)) {
            $data = substr(str_repeat(hash('sha256', $name . $ticketId, true), (int) ceil($size / 32)), 0, $size);
            $file = ['name' => $name, 'type' => $type, 'data' => $data];
            $saved = AttachmentFile::create($file);
            $files[] = ['id' => $saved->getId(), 'name' => $name];
            $sent[] = ['name' => $name, 'sha256' => hash('sha256', $data)];
        }
        $entry = $ticket->postReply(['response' => $text, 'reply-to' => 'none', 'files' => $files], $errors, false, false);
        if ($entry) {
            echo json_encode(['ok' => true, 'entry' => $entry->getId(), 'files' => $sent]), "\n";
            exit(0);
        }
        break;
    case 'replyall':
        // The staff panel's defaults: reply to all active recipients, with alerts.
        $entry = $ticket->postReply(['response' => $text, 'reply-to' => 'all', 'emailreply' => 1], $errors, true, false);
        break;
    case 'note':
        $entry = $ticket->postNote(['note' => $text, 'title' => 'Internal'], $errors, $thisstaff, false);
        break;
    case 'delete':
        $entry = $ticket->delete();
        break;
    case 'owner':
        $entry = $ticket->changeOwner(User::lookup((int) $text));
        break;
    case 'task':
        $entry = Task::create(['object_id' => $ticket->getId(), 'object_type' => 'T', 'description' => 'Ersatzteil bestellen',
            'internal_formdata' => ['dept_id' => $ticket->getDeptId()], 'default_formdata' => ['title' => 'Ersatzteil bestellen', 'description' => 'Ersatzteil bestellen']]);
        break;
    case 'close':
        $status = TicketStatus::objects()->filter(['state' => 'closed'])->order_by('sort')->first();
        $entry = $ticket->setStatus($status, '', $errors, true, true);
        break;
    case 'newticket':
        $user = $ticket->getOwner();
        $entry = Ticket::create(['uid' => $user->getId(), 'name' => $user->getName()->getOriginal(), 'email' => $user->getEmail()->address,
            'subject' => $text, 'message' => $text, 'source' => 'Phone', 'topicId' => $ticket->getTopicId()], $errors, 'staff', false, false);
        if ($entry) {
            echo json_encode(['id' => $entry->getId(), 'number' => $entry->getNumber()]), "\n";
            exit(0);
        }
        break;
    default:
        fwrite(STDERR, "unknown action $action\n");
        exit(2);
}
if (!$entry) {
    fwrite(STDERR, json_encode($errors) . "\n");
    exit(1);
}
echo json_encode(['ok' => true, 'entry' => is_object($entry) ? $entry->getId() : null]), "\n";
