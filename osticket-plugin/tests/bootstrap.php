<?php
// The plain classes only: none of them needs osTicket.
foreach (glob(__DIR__ . '/../whatsapp/lib/*.php') as $file) {
    require_once $file;
}
