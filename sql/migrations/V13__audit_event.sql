-- Who changed which DID, tenant or journey, and when: written by the HTTP API after a change succeeds,
-- read by the admin through GET /api/audit. changes holds the fields the request set, never a secret
-- (a tenant's OpenAI key appears as "(set)" or null, tokens never).
CREATE TABLE audit_event (
  id        bigserial   PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  actor     text        NOT NULL CHECK (actor = 'admin' OR actor ~ '^tenant:[0-9]+$'),
  action    text        NOT NULL CHECK (action ~ '^[a-z_]{1,32}$'),
  entity    text        NOT NULL CHECK (entity ~ '^[a-z_]{1,32}$'),
  entity_id text        NOT NULL,
  changes   jsonb       NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX audit_event_entity_at ON audit_event (entity, at DESC);
CREATE INDEX audit_event_at ON audit_event (at DESC);
