-- Asterline schema v16: short-lived playback tickets for a call's recording or voicemail.
--
-- A browser's <audio> element fetches its source itself, with range requests, and cannot add an Authorization
-- header; the API token must never appear in a URL. So the console asks the API (with its token) for a ticket:
-- a random value valid for a few minutes that opens one call's one audio file and nothing else, the same idea
-- as an S3 presigned URL for local storage. Stored in PostgreSQL (SHA-256 only) so any node accepts it.
CREATE TABLE recording_ticket (
  ticket_hash text        PRIMARY KEY CONSTRAINT recording_ticket_hash_format CHECK (ticket_hash ~ '^[0-9a-f]{64}$'),
  call_id     uuid        NOT NULL REFERENCES call (id) ON DELETE CASCADE,
  kind        text        NOT NULL CONSTRAINT recording_ticket_kind_known CHECK (kind IN ('call', 'voicemail')),
  expires_at  timestamptz NOT NULL
);

CREATE INDEX recording_ticket_expires_idx ON recording_ticket (expires_at);
