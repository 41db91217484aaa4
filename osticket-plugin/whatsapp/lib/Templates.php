<?php
/**
 * The plugin's texts in German (as in the specification) and English, and
 * the placeholder substitution. Texts for customers follow the "Customer
 * language" setting; what goes into tickets for agents (notes, placeholders)
 * follows osTicket's language. Both languages' commands work by default:
 * customers write in their language, whatever the staff's.
 */
final class WhatsAppTemplates
{
    const DE = [
        'confirm_message' => "Vielen Dank für Ihre Nachricht, {name}!\n\nIhr Ticket wurde erstellt.\nTicket-Nummer: #{ticket_number}\n\n*Wichtig:* Sie können über WhatsApp immer nur ein Ticket gleichzeitig bearbeiten.\nAlle Ihre Nachrichten werden diesem Ticket zugeordnet.\n\nUm zu einem anderen Ticket zu wechseln, senden Sie:\n{switch_keyword} #[Ihre-Ticketnummer]\n\nUm dieses Ticket zu schließen, senden Sie:\n{close_keyword}\n\nWir melden uns schnellstmöglich bei Ihnen.",
        'close_keyword' => 'SCHLIESSEN',
        'close_keywords_alt' => "Danke\nErledigt\nGelöst\nCLOSE\nThanks\nThank you\nDone\nSolved",
        'switch_keyword' => 'Ticket-Wechsel',
        'switch_keywords_alt' => 'Switch-Ticket',
        'switch_success' => "Sie sind jetzt bei Ticket #{ticket_number} - {ticket_subject}.\nAlle weiteren Nachrichten werden diesem Ticket zugeordnet.",
        'switch_error' => "Das Ticket #{ticket_number} wurde nicht gefunden oder gehört nicht zu Ihrer Telefonnummer.",
        'close_refused' => "Ihr Ticket #{ticket_number} kann gerade nicht geschlossen werden. Ein Mitarbeiter schließt es für Sie.",
        'switch_closed' => "Das Ticket #{ticket_number} ist bereits geschlossen.\nSchreiben Sie uns einfach Ihr Anliegen, dann eröffnen wir ein neues Ticket – oder ein Mitarbeiter öffnet das Ticket wieder für Sie.",
        'close_success' => "Ihr Ticket #{ticket_number} wurde geschlossen. Vielen Dank!\n\n{write_again}",
        'nothing_to_close' => "Sie haben derzeit kein offenes Ticket.\nSchreiben Sie uns einfach Ihr Anliegen, dann eröffnen wir ein neues Ticket.",
        'media_not_taken' => "Ihre Datei „{file}“ konnte leider nicht in Ihr Ticket #{ticket_number} übernommen werden: {reason}.\n\nBitte senden Sie sie per E-Mail an {support_email} mit dem Betreff „{mail_subject}“, oder tippen Sie hier:\n{email_link}",
        'media_reply' => "Dateien (Bilder, Dokumente, Videos) können leider nicht über WhatsApp eingereicht werden.\n\nBitte senden Sie Ihre Datei per E-Mail an:\n{support_email}\n\nOder klicken Sie hier:\n{email_link}\n\nIhre Ticketnummer #{ticket_number} wird automatisch zugeordnet.",
        'reply_message' => "*Antwort zu Ticket #{ticket_number} - {ticket_subject}*\n\n{message}\n\n_Ihr Support-Team_",
        'closed_message' => "Ihr Ticket #{ticket_number} - {ticket_subject} wurde geschlossen.\n\n{write_again}",
        'csat_question' => "Wie zufrieden waren Sie mit unserer Hilfe zu Ticket #{ticket_number}?\nAntworten Sie einfach mit einer Zahl von 1 (gar nicht) bis 5 (sehr).",
        'csat_thanks' => "Vielen Dank für Ihre Bewertung!",
        'reopened_message' => "Ihre Nachricht wurde Ihrem Ticket #{ticket_number} - {ticket_subject} hinzugefügt; es ist wieder geöffnet.",
        'write_again_new' => 'Wenn Sie wieder schreiben, eröffnen wir ein neues Ticket.',
        'write_again_reopen' => 'Schreiben Sie uns innerhalb von {days} Tagen wieder, öffnen wir es wieder; danach eröffnen wir ein neues Ticket.',
        'merged_message' => "Ihr Ticket #{old_ticket_number} wurde mit Ticket #{ticket_number} - {ticket_subject} zusammengeführt.\nSchreiben Sie einfach hier weiter; Ihre Nachrichten gehen jetzt an Ticket #{ticket_number}.",
        'optout_keywords' => "STOPP\nABMELDEN\nSTOP\nUNSUBSCRIBE",
        'optin_keywords' => "ANMELDEN\nSTART",
        'optout_message' => "Sie erhalten von uns keine Nachrichten mehr über WhatsApp, um die Sie nicht selbst gebeten haben.\n\nSchreiben Sie uns jederzeit wieder oder senden Sie ANMELDEN, dann sind Sie wieder angemeldet.",
        'optin_message' => "Sie sind wieder angemeldet: Wir antworten Ihnen wieder über WhatsApp.",
        'mail_subject' => 'Anhang zu Ticket #{ticket_number}',
        'media_placeholder' => '[{type} per WhatsApp gesendet]',
        'empty_placeholder' => '[Nachricht ohne Text per WhatsApp gesendet]',
        'unreadable_notice' => '[Eine WhatsApp-Nachricht des Kunden konnte nicht entschlüsselt werden. Bitte bitten Sie ihn, sie noch einmal zu senden.]',
        'refused_message' => "Ihre Nachricht konnte leider nicht angenommen werden.\n\nBitte schreiben Sie uns per E-Mail an:\n{support_email}",
        'part_note' => '[Teil {part} von {parts}: Die Nachricht war zu lang für einen Eintrag]',
        'media_not_attached' => '[Datei „{file}“ ({size}) nicht angehängt: {reason}]',
        'failed_note' => "Die WhatsApp-Nachricht hat den Kunden nicht erreicht: {reason}\n\nBitte erreichen Sie ihn auf anderem Weg (Telefon, E-Mail).\n\n{message}",
        'merged_note' => 'Die WhatsApp-Unterhaltung von Ticket #{old_ticket_number} geht jetzt hier weiter: Antworten in diesem Ticket erreichen den Kunden über WhatsApp.',
        'merge_not_moved_note' => 'Ticket #{old_ticket_number} war eine WhatsApp-Unterhaltung mit {user}. Sie geht hier nicht weiter (dieses Ticket gehört jemand anderem, ist geschlossen oder hat die Unterhaltung dieser Nummer über eine andere WhatsApp-Nummer) und endet mit dem Zusammenführen. Antworten in diesem Ticket gehen nicht über WhatsApp an diesen Kunden.',
        'no_conversation_reason' => 'die WhatsApp-Unterhaltung dieses Tickets gibt es nicht mehr (nach der Aufbewahrungsfrist oder auf Wunsch gelöscht)',
        'subject_fallback' => 'WhatsApp-Nachricht von {name}',
        'edited_prefix' => '(bearbeitet) ',
        'closed_by_customer' => 'Vom Kunden über WhatsApp geschlossen: „{text}“',
        'close_refused_note' => "Der Kunde hat über WhatsApp gebeten, das Ticket zu schließen („{text}“), aber osTicket hat es nicht erlaubt: {reason}\nBitte schließen Sie es, sobald es geht.",
        'ambiguous_note' => 'Diese WhatsApp-Nummer ist bei mehreren Benutzern hinterlegt ({users}); die Unterhaltung wurde keinem davon zugeordnet. Ändern Sie den Besitzer des Tickets, um sie zu verknüpfen.',
        'claim_note' => 'Diese WhatsApp-Nummer haben {users} selbst angegeben (im Kundenprofil oder einem Formular der Website). Das ist kein Nachweis; die Unterhaltung wurde darum keinem davon zugeordnet. Gehört sie doch dazu, ändern Sie den Besitzer des Tickets, um sie zu verknüpfen.',
        'owner_moved_note' => 'Der Besitzer des Tickets ist jetzt {user}: WhatsApp-Antworten gehen an dessen WhatsApp-Nummer {phone}.',
        'owner_linked_note' => 'Der Besitzer des Tickets ist jetzt {user}: die WhatsApp-Nummer {phone} dieser Unterhaltung gehört nun zu ihm.',
        'pending_note' => "Diese WhatsApp-Antwort wartet: {reason}\n\nSie wird gesendet, sobald der WhatsApp-Dienst sie annimmt; diese Notiz sagt es dann.\n\n{message}",
        'pending_sent_note' => "Diese WhatsApp-Antwort hat gewartet und wurde am {time} an den WhatsApp-Dienst übergeben.\n\n{message}",
        'held_note' => "Diese WhatsApp-Antwort ist noch nicht beim Kunden: {reason}\n\nSie wird automatisch gesendet, sobald der Kunde schreibt.\n\n{message}",
        'call_notice' => '[Der Kunde hat versucht, über WhatsApp anzurufen. Anrufe kann das Ticketsystem nicht annehmen; bitte rufen Sie ihn bei Bedarf zurück.]',
        'edit_note' => "Der Kunde hat seine WhatsApp-Nachricht „{before}“ bearbeitet. Neuer Wortlaut:\n{text}",
        'delete_note' => 'Der Kunde hat seine WhatsApp-Nachricht „{before}“ für alle gelöscht; im Ticket bleibt sie stehen.',
        'reaction_note' => 'Der Kunde hat auf die Antwort „{before}“ mit {text} reagiert.',
        'unknown_message' => 'eine Nachricht, die nicht im Ticket steht',
        'rating_asked_note' => 'Der Kunde wurde über WhatsApp um eine Bewertung (1 bis 5) gebeten.',
        'rated_note' => 'Der Kunde hat die Hilfe zu diesem Ticket über WhatsApp mit {stars} von 5 bewertet.',
        'follows_note' => 'Der Kunde schrieb nach dem geschlossenen Ticket #{old_ticket_number} (geschlossen {closed}); es wurde nicht wieder geöffnet: {why}.',
        'not_reopenable' => 'osTicket erlaubt es nicht (Status, Abteilung oder Hilfethema)',
        'too_old' => 'es wurde vor mehr als {days} Tagen geschlossen',
        'opened_opted_out_note' => '„Antwort über WhatsApp“ war angekreuzt, aber Antworten gehen nicht über WhatsApp: {reason}.',
        'optout_note' => 'Der Kunde hat sich von WhatsApp-Nachrichten abgemeldet („{text}“): Antworten und Hinweise gehen nicht mehr über WhatsApp an {phone}, bis er wieder schreibt.',
        'optin_note' => 'Der Kunde hat wieder geschrieben und ist damit wieder für WhatsApp angemeldet ({phone}).',
        'optout_reason' => 'der Kunde hat sich am {time} von WhatsApp-Nachrichten abgemeldet (STOP); sie gehen wieder, sobald er selbst schreibt',
        'continued_note' => '{agent} hat dieses Ticket auf WhatsApp fortgesetzt: öffentliche Antworten gehen an {phone} (WhatsApp-Nummer „{instance}“).',
        'continued_switched_note' => '{agent} hat dieses Ticket auf WhatsApp fortgesetzt: öffentliche Antworten gehen an {phone} (WhatsApp-Nummer „{instance}“). Bisher war Ticket #{ticket_number} die aktive Unterhaltung dieser Nummer; der Kunde wurde informiert.',
        'opened_note' => 'Von {agent} mit „Antwort über WhatsApp“ eröffnet: Antworten gehen an {phone} (WhatsApp-Nummer „{instance}“).',
        'opened_no_number_note' => '„Antwort über WhatsApp“ war angekreuzt, aber {user} hat keine WhatsApp-Nummer, der das Plugin traut: Antworten gehen nicht über WhatsApp.',
        'owner_kept_note' => 'Der Besitzer des Tickets ist jetzt {user}; {agent} hat die WhatsApp-Unterhaltung bei {phone} belassen.',
        'whatsapp_title' => 'WhatsApp',
    ];

    const EN = [
        'confirm_message' => "Thank you for your message, {name}!\n\nYour ticket has been created.\nTicket number: #{ticket_number}\n\n*Important:* Over WhatsApp you can work on only one ticket at a time.\nAll your messages are added to this ticket.\n\nTo switch to another ticket, send:\n{switch_keyword} #[your-ticket-number]\n\nTo close this ticket, send:\n{close_keyword}\n\nWe will get back to you as soon as possible.",
        'close_keyword' => 'CLOSE',
        'close_keywords_alt' => "Thanks\nThank you\nDone\nSolved\nSCHLIESSEN\nDanke\nErledigt\nGelöst",
        'switch_keyword' => 'Switch-Ticket',
        'switch_keywords_alt' => 'Ticket-Wechsel',
        'switch_success' => "You are now on ticket #{ticket_number} - {ticket_subject}.\nAll further messages are added to this ticket.",
        'switch_error' => "Ticket #{ticket_number} was not found or does not belong to your phone number.",
        'close_refused' => "Your ticket #{ticket_number} cannot be closed right now. An agent will close it for you.",
        'switch_closed' => "Ticket #{ticket_number} is already closed.\nJust write to us and we will open a new ticket, or an agent can reopen it for you.",
        'close_success' => "Your ticket #{ticket_number} has been closed. Thank you!\n\n{write_again}",
        'nothing_to_close' => "You have no open ticket at the moment.\nJust tell us what you need and we will open a new ticket.",
        'media_not_taken' => "Unfortunately, your file \"{file}\" could not be added to your ticket #{ticket_number}: {reason}.\n\nPlease send it by e-mail to {support_email} with the subject \"{mail_subject}\", or tap here:\n{email_link}",
        'media_reply' => "Unfortunately, files (pictures, documents, videos) cannot be submitted via WhatsApp.\n\nPlease send your file by e-mail to:\n{support_email}\n\nOr click here:\n{email_link}\n\nYour ticket number #{ticket_number} will be assigned automatically.",
        'reply_message' => "*Reply to ticket #{ticket_number} - {ticket_subject}*\n\n{message}\n\n_Your support team_",
        'closed_message' => "Your ticket #{ticket_number} - {ticket_subject} has been closed.\n\n{write_again}",
        'csat_question' => "How satisfied were you with our help on ticket #{ticket_number}?\nJust answer with a number from 1 (not at all) to 5 (very).",
        'csat_thanks' => "Thank you for your rating!",
        'reopened_message' => "Your message was added to your ticket #{ticket_number} - {ticket_subject}, which is open again.",
        'write_again_new' => 'If you write again, we will open a new ticket.',
        'write_again_reopen' => 'If you write again within {days} days, we reopen it; after that we open a new ticket.',
        'merged_message' => "Your ticket #{old_ticket_number} was merged into ticket #{ticket_number} - {ticket_subject}.\nJust keep writing here; your messages now go to ticket #{ticket_number}.",
        'optout_keywords' => "STOP\nUNSUBSCRIBE\nSTOPP\nABMELDEN",
        'optin_keywords' => "START\nANMELDEN",
        'optout_message' => "You will no longer get messages from us over WhatsApp that you did not ask for.\n\nWrite to us any time, or send START, and you are signed up again.",
        'optin_message' => "You are signed up again: we answer you over WhatsApp again.",
        'mail_subject' => 'Attachment for ticket #{ticket_number}',
        'media_placeholder' => '[{type} sent via WhatsApp]',
        'empty_placeholder' => '[message without text sent via WhatsApp]',
        'unreadable_notice' => '[A WhatsApp message from the customer could not be decrypted. Please ask them to send it again.]',
        'refused_message' => "Unfortunately, your message could not be accepted.\n\nPlease write to us by e-mail:\n{support_email}",
        'part_note' => '[Part {part} of {parts}: the message was too long for one entry]',
        'media_not_attached' => '[File "{file}" ({size}) not attached: {reason}]',
        'failed_note' => "The WhatsApp message did not reach the customer: {reason}\n\nPlease reach them another way (phone, e-mail).\n\n{message}",
        'merged_note' => 'The WhatsApp conversation of ticket #{old_ticket_number} continues here: replies in this ticket reach the customer over WhatsApp.',
        'merge_not_moved_note' => 'Ticket #{old_ticket_number} was a WhatsApp conversation with {user}. It does not continue here (this ticket belongs to someone else, is closed, or has that number\'s conversation on another WhatsApp number) and ends with the merge. Replies in this ticket do not go to this customer over WhatsApp.',
        'no_conversation_reason' => 'this ticket\'s WhatsApp conversation no longer exists (removed after the retention period or erased on request)',
        'subject_fallback' => 'WhatsApp message from {name}',
        'edited_prefix' => '(edited) ',
        'closed_by_customer' => 'Closed by the customer over WhatsApp: "{text}"',
        'close_refused_note' => "The customer asked over WhatsApp to close the ticket (\"{text}\"), but osTicket did not allow it: {reason}\nPlease close it when you can.",
        'ambiguous_note' => 'This WhatsApp number is stored for several users ({users}); the conversation was linked to none of them. Change the ticket\'s owner to link it.',
        'claim_note' => 'This WhatsApp number was typed by {users} themselves (in their client profile or a form on the website), which proves nothing; the conversation was therefore linked to none of them. If it does belong to one of them, change the ticket\'s owner to link it.',
        'owner_moved_note' => 'The ticket\'s owner is now {user}: WhatsApp replies go to their WhatsApp number {phone}.',
        'owner_linked_note' => 'The ticket\'s owner is now {user}: this conversation\'s WhatsApp number {phone} is theirs now.',
        'pending_note' => "This WhatsApp reply is waiting: {reason}\n\nIt is sent as soon as the WhatsApp service takes it; this note will say so.\n\n{message}",
        'pending_sent_note' => "This WhatsApp reply waited and was handed to the WhatsApp service on {time}.\n\n{message}",
        'held_note' => "This WhatsApp reply has not reached the customer yet: {reason}\n\nIt is sent by itself as soon as the customer writes.\n\n{message}",
        'call_notice' => '[The customer tried to call over WhatsApp. The help desk cannot take calls; please call them back if needed.]',
        'edit_note' => "The customer edited their WhatsApp message \"{before}\". New wording:\n{text}",
        'delete_note' => 'The customer deleted their WhatsApp message "{before}" for everyone; it stays in the ticket.',
        'reaction_note' => 'The customer reacted with {text} to the reply "{before}".',
        'unknown_message' => 'a message that is not in the ticket',
        'rating_asked_note' => 'The customer was asked over WhatsApp to rate the help (1 to 5).',
        'rated_note' => 'The customer rated the help on this ticket {stars} out of 5 over WhatsApp.',
        'follows_note' => 'The customer wrote after the closed ticket #{old_ticket_number} (closed {closed}); it was not reopened: {why}.',
        'not_reopenable' => 'osTicket does not allow it (its status, department or help topic)',
        'too_old' => 'it was closed more than {days} days ago',
        'opened_opted_out_note' => '"Reply on WhatsApp" was ticked, but replies do not go over WhatsApp: {reason}.',
        'optout_note' => 'The customer opted out of WhatsApp messages ("{text}"): replies and notices no longer go to {phone} over WhatsApp until they write again.',
        'optin_note' => 'The customer wrote again and so opted in to WhatsApp messages again ({phone}).',
        'optout_reason' => 'the customer opted out of WhatsApp messages on {time} (STOP); they go again once the customer writes',
        'continued_note' => '{agent} continued this ticket on WhatsApp: public replies go to {phone} (WhatsApp number "{instance}").',
        'continued_switched_note' => '{agent} continued this ticket on WhatsApp: public replies go to {phone} (WhatsApp number "{instance}"). Until now ticket #{ticket_number} was this number\'s active conversation; the customer was told.',
        'opened_note' => 'Opened by {agent} with "Reply on WhatsApp": replies go to {phone} (WhatsApp number "{instance}").',
        'opened_no_number_note' => '"Reply on WhatsApp" was ticked, but {user} has no WhatsApp number the plugin trusts: replies do not go over WhatsApp.',
        'owner_kept_note' => 'The ticket\'s owner is now {user}; {agent} kept the WhatsApp conversation on {phone}.',
        'whatsapp_title' => 'WhatsApp',
    ];

    /** The texts an administrator edits, shown to customers (the rest goes into tickets). */
    const CUSTOMER_KEYS = [
        'confirm_message', 'close_keyword', 'close_keywords_alt', 'switch_keyword', 'switch_keywords_alt', 'switch_success', 'switch_error',
        'switch_closed', 'close_success', 'close_refused', 'nothing_to_close', 'media_reply', 'media_not_taken', 'reply_message', 'closed_message', 'merged_message', 'refused_message',
        'optout_keywords', 'optin_keywords', 'optout_message', 'optin_message', 'reopened_message', 'csat_question', 'csat_thanks',
    ];

    /** Why a customer's file is not in the ticket, by the service's or our code; osTicket's own reasons pass through. */
    const MEDIA_REASONS = [
        'de' => [
            'too_large' => 'größer als erlaubt ({max})',
            'download_failed' => 'konnte von WhatsApp nicht geladen werden',
            'expired' => 'bei WhatsApp nicht mehr verfügbar',
            'delayed' => 'folgt als eigene Nachricht, sobald WhatsApp sie liefert',
            'disabled' => 'osTicket nimmt keine Anhänge an (Admin-Panel › Settings › Tickets)',
        ],
        'en' => [
            'too_large' => 'larger than allowed ({max})',
            'download_failed' => 'could not be downloaded from WhatsApp',
            'expired' => 'no longer available at WhatsApp',
            'delayed' => 'follows as a message of its own once WhatsApp hands it over',
            'disabled' => 'osTicket accepts no attachments (Admin panel › Settings › Tickets)',
        ],
    ];

    /** Why a customer's file is not in their ticket, as the customer reads it (what an admin would change is not theirs). */
    const CUSTOMER_MEDIA_REASONS = [
        'de' => [
            'too_large' => 'sie ist {size} groß, erlaubt sind {max} ({over} zu viel)',
            'too_large_plain' => 'sie ist größer als erlaubt',
            'download_failed' => 'WhatsApp hat sie uns nicht übergeben',
            'expired' => 'sie ist bei WhatsApp nicht mehr verfügbar',
            'refused' => 'das Ticketsystem nimmt diese Art Datei nicht an',
            'purged' => 'sie ist nicht mehr verfügbar',
        ],
        'en' => [
            'too_large' => 'it is {size}, the limit is {max} ({over} too large)',
            'too_large_plain' => 'it is larger than allowed',
            'download_failed' => 'WhatsApp did not hand it over to us',
            'expired' => 'it is no longer available at WhatsApp',
            'refused' => 'the help desk does not accept this kind of file',
            'purged' => 'it is no longer available',
        ],
    ];

    const MEDIA_NAMES = [
        'de' => ['image' => 'Bild', 'video' => 'Video', 'audio' => 'Sprachnachricht', 'document' => 'Dokument', 'sticker' => 'Sticker'],
        'en' => ['image' => 'Picture', 'video' => 'Video', 'audio' => 'Voice message', 'document' => 'Document', 'sticker' => 'Sticker'],
    ];

    /** "de", "de_DE", "de-AT" -> German; anything else -> English. */
    public static function language($locale)
    {
        return stripos((string) $locale, 'de') === 0 ? 'de' : 'en';
    }

    public static function defaults($locale)
    {
        return self::language($locale) === 'de' ? self::DE : self::EN;
    }

    /**
     * Whether a text is one of the defaults of any language (line breaks as a
     * browser sends them aside): saved as "the default", so that it follows
     * the language instead of freezing the one shown when it was saved.
     */
    public static function isDefault($key, $text)
    {
        $text = self::lines($text);
        return $text === self::DE[$key] || $text === self::EN[$key];
    }

    /** Line breaks as "\n", whatever the browser sent ("\r\n" from a textarea). */
    public static function lines($text)
    {
        return str_replace(["\r\n", "\r"], "\n", (string) $text);
    }

    /** Replaces {placeholders}; unknown ones stay as they are. */
    public static function render($template, array $vars)
    {
        $pairs = [];
        foreach ($vars as $key => $value) {
            $pairs['{' . $key . '}'] = (string) $value;
        }
        return strtr((string) $template, $pairs);
    }

    /** mailto link with the subject filled in, as in the specification's example (texts name address and subject plainly too). */
    public static function emailLink($email, $subject)
    {
        return 'mailto:' . $email . '?subject=' . rawurlencode($subject);
    }

    /** Why the customer's file is not in their ticket, in the customer's language; null: no reason to give them. */
    public static function customerMediaReason($code, $locale, array $vars = [])
    {
        $reasons = self::CUSTOMER_MEDIA_REASONS[self::language($locale)];
        return isset($reasons[$code]) ? self::render($reasons[$code], $vars) : null;
    }

    public static function mediaReason($code, $locale, array $vars = [])
    {
        $reasons = self::MEDIA_REASONS[self::language($locale)];
        return isset($reasons[$code]) ? self::render($reasons[$code], $vars) : $code;
    }

    /** 2300000 -> "2.2 MB", 900 -> "900 bytes". */
    public static function fileSize($bytes)
    {
        if ($bytes === null) {
            return '?';
        }
        $bytes = (int) $bytes;
        return $bytes < 1024 ? "$bytes bytes" : ($bytes < 1048576 ? round($bytes / 1024) . ' KB' : round($bytes / 1048576, 1) . ' MB');
    }

    public static function mediaName($type, $locale)
    {
        $names = self::MEDIA_NAMES[self::language($locale)];
        return isset($names[$type]) ? $names[$type] : $type;
    }
}
