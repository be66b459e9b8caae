-- The admin API token `serve` generates when admin.token is not configured: at most one row, holding only the
-- token's SHA-256 hash. It lives in the database rather than the data directory so that every node sharing this
-- database accepts the same token, and so that `asterline token admin --rotate` on any host retires it everywhere.
CREATE TABLE admin_token (
  id          boolean     PRIMARY KEY DEFAULT true CHECK (id),
  token_hash  text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
