<?php
/**
 * Customer-facing texts: the defaults (German as in the specification,
 * English otherwise) and the placeholder substitution.
 */
final class WhatsAppTemplates
{
    const DE = [
        'confirm_message' => "Vielen Dank fuer Ihre Nachricht, {name}!\n\nIhr Ticket wurde erstellt.\nTicket-Nummer: #{ticket_number}\n\n*Wichtig:* Sie koennen via WhatsApp immer nur ein Ticket gleichzeitig bearbeiten.\nAlle Ihre Nachrichten werden diesem Ticket zugeordnet.\n\nUm zu einem anderen Ticket zu wechseln, senden Sie:\n{switch_keyword} #[Ihre-Ticketnummer]\n\nUm dieses Ticket zu schliessen, senden Sie:\n{close_keyword}\n\nWir melden uns schnellstmoeglich bei Ihnen.",
        'close_keyword' => 'SCHLIESSEN',
        'close_keywords_alt' => "Danke\nErledigt\nGeloest",
        'switch_keyword' => 'Ticket-Wechsel',
        'switch_success' => "Sie sind jetzt bei Ticket #{ticket_number} - {ticket_subject}.\nAlle weiteren Nachrichten werden diesem Ticket zugeordnet.",
        'switch_error' => "Das Ticket #{ticket_number} wurde nicht gefunden oder gehoert nicht zu Ihrer Telefonnummer.",
        'close_success' => "Ihr Ticket #{ticket_number} wurde geschlossen. Vielen Dank!\n\nWenn Sie wieder schreiben, eroeffnen wir ein neues Ticket.",
        'nothing_to_close' => "Sie haben derzeit kein offenes Ticket.\nSchreiben Sie uns einfach Ihr Anliegen, dann eroeffnen wir ein neues Ticket.",
        'media_reply' => "Dateien (Bilder, Dokumente, Videos) koennen leider nicht via WhatsApp eingereicht werden.\n\nBitte senden Sie Ihre Datei per Email an:\n{support_email}\n\nOder klicken Sie hier:\n{email_link}\n\nIhre Ticketnummer #{ticket_number} wird automatisch zugeordnet.",
        'reply_message' => "*Antwort zu Ticket #{ticket_number} - {ticket_subject}*\n\n{message}\n\n_Ihr Support-Team_",
        'closed_message' => "Ihr Ticket #{ticket_number} - {ticket_subject} wurde geschlossen.\n\nWenn Sie wieder schreiben, eroeffnen wir ein neues Ticket.",
        'mail_subject' => 'Anhang zu Ticket #{ticket_number}',
        'media_placeholder' => '[{type} per WhatsApp gesendet]',
        'empty_placeholder' => '[Nachricht ohne Text per WhatsApp gesendet]',
        'unreadable_notice' => '[Eine WhatsApp-Nachricht des Kunden konnte nicht entschlüsselt werden. Bitte bitten Sie ihn, sie noch einmal zu senden.]',
        'subject_fallback' => 'WhatsApp-Nachricht von {name}',
        'edited_prefix' => '(bearbeitet) ',
    ];

    const EN = [
        'confirm_message' => "Thank you for your message, {name}!\n\nYour ticket has been created.\nTicket number: #{ticket_number}\n\n*Important:* Over WhatsApp you can work on only one ticket at a time.\nAll your messages are added to this ticket.\n\nTo switch to another ticket, send:\n{switch_keyword} #[your-ticket-number]\n\nTo close this ticket, send:\n{close_keyword}\n\nWe will get back to you as soon as possible.",
        'close_keyword' => 'CLOSE',
        'close_keywords_alt' => "Thanks\nThank you\nDone\nSolved",
        'switch_keyword' => 'Switch-Ticket',
        'switch_success' => "You are now on ticket #{ticket_number} - {ticket_subject}.\nAll further messages are added to this ticket.",
        'switch_error' => "Ticket #{ticket_number} was not found or does not belong to your phone number.",
        'close_success' => "Your ticket #{ticket_number} has been closed. Thank you!\n\nIf you write again, we will open a new ticket.",
        'nothing_to_close' => "You have no open ticket at the moment.\nJust tell us what you need and we will open a new ticket.",
        'media_reply' => "Unfortunately, files (pictures, documents, videos) cannot be submitted via WhatsApp.\n\nPlease send your file by e-mail to:\n{support_email}\n\nOr click here:\n{email_link}\n\nYour ticket number #{ticket_number} will be assigned automatically.",
        'reply_message' => "*Reply to ticket #{ticket_number} - {ticket_subject}*\n\n{message}\n\n_Your support team_",
        'closed_message' => "Your ticket #{ticket_number} - {ticket_subject} has been closed.\n\nIf you write again, we will open a new ticket.",
        'mail_subject' => 'Attachment for ticket #{ticket_number}',
        'media_placeholder' => '[{type} sent via WhatsApp]',
        'empty_placeholder' => '[message without text sent via WhatsApp]',
        'unreadable_notice' => '[A WhatsApp message from the customer could not be decrypted. Please ask them to send it again.]',
        'subject_fallback' => 'WhatsApp message from {name}',
        'edited_prefix' => '(edited) ',
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

    /** Replaces {placeholders}; unknown ones stay as they are. */
    public static function render($template, array $vars)
    {
        $pairs = [];
        foreach ($vars as $key => $value) {
            $pairs['{' . $key . '}'] = (string) $value;
        }
        return strtr((string) $template, $pairs);
    }

    /** mailto link with the subject filled in, as in the specification's example. */
    public static function emailLink($email, $subject)
    {
        return 'mailto:' . $email . '?subject=' . rawurlencode($subject);
    }

    public static function mediaName($type, $locale)
    {
        $names = self::MEDIA_NAMES[self::language($locale)];
        return isset($names[$type]) ? $names[$type] : $type;
    }
}
