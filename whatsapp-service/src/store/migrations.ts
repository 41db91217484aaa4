/**
 * Numbered schema migrations; PRAGMA user_version records the last applied.
 * Append new entries, never edit applied ones.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: events for the plugin's webhook (inbound messages and status reports) and the outbox.
  `
  CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('message', 'status')),
    dedupe_key      TEXT    NOT NULL UNIQUE,
    chat            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
  );
  CREATE INDEX events_by_state ON events (state, id);

  CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT    NOT NULL UNIQUE,
    chat            TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'delivered', 'read', 'failed')),
    whatsapp_id     TEXT    UNIQUE,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
  );
  CREATE INDEX outbox_by_state ON outbox (state, id);
  `,

  // 2: messages WhatsApp could not decrypt, held back a while in case the real one follows.
  `
  CREATE TABLE unreadable (
    whatsapp_id TEXT    PRIMARY KEY,
    chat        TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    due_at      INTEGER NOT NULL
  );
  CREATE INDEX unreadable_by_due ON unreadable (due_at);
  `,

  // 3: customers' media files. An event whose media still has to be downloaded keeps where
  // from in media_source and is not delivered until the file is stored (or given up).
  `
  ALTER TABLE events ADD COLUMN media_source TEXT;
  CREATE TABLE media (
    id         TEXT    PRIMARY KEY,
    sha256     TEXT    NOT NULL,
    mimetype   TEXT    NOT NULL,
    filename   TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX media_by_created ON media (created_at);
  `,

  // 4: files agents send: the outbox row points to the file in the media store.
  `
  ALTER TABLE outbox ADD COLUMN media_id TEXT;
  `,

  // 5: forgetting a customer (POST /forget) finds their rows by chat.
  `
  CREATE INDEX events_by_chat ON events (chat);
  CREATE INDEX outbox_by_chat ON outbox (chat);
  CREATE INDEX unreadable_by_chat ON unreadable (chat);
  `,

  // 6: a customer's file that took too long: its message went on without it, the download goes on here,
  // and the file follows as a message of its own (id "<message id>.file").
  `
  CREATE TABLE late_files (
    id         INTEGER PRIMARY KEY,
    chat       TEXT    NOT NULL,
    message    TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX late_files_by_chat ON late_files (chat);
  `,

  // 7: a reply that may not go now (outside WhatsApp's 24-hour window on the Cloud API) waits, held, until the
  // customer writes; `ticket` is the ticket number the plugin sends along, for the template that invites an answer.
  `
  ALTER TABLE outbox ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE outbox ADD COLUMN ticket TEXT;
  `,

  // 8: which transport last used this folder: the sandbox's messages never go to real customers (store/folder-use.ts).
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,

  // 9: the message as the transport sent it: a retry request from the customer's phone gets it again, file included.
  `
  ALTER TABLE outbox ADD COLUMN sent_message BLOB;
  `,
];
