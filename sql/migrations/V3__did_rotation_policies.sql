-- Caller-ID rotation policies on top of v1's did table: an optional daily cap and cooldown per number,
-- the per-day use counter the cap is checked against, and the area code local presence matches on.
-- The pick is one UPDATE (see DidRepository): every rule it applies is a column of the row it locks, so a
-- concurrent pick on another node re-checks the same rule against the committed row.

ALTER TABLE did
  -- at most this many picks per day (the day as configured by did.day-time-zone); NULL = the configured default
  ADD COLUMN daily_cap         integer CONSTRAINT did_daily_cap_positive CHECK (daily_cap > 0),
  -- at least this long between two picks of this number; NULL = the configured default, 0 = none
  ADD COLUMN cooldown_seconds  integer CONSTRAINT did_cooldown_not_negative CHECK (cooldown_seconds >= 0),
  -- picks on daily_usage_date; a pick on a later day starts the count again at 1
  ADD COLUMN daily_usage_count integer NOT NULL DEFAULT 0
                               CONSTRAINT did_daily_usage_not_negative CHECK (daily_usage_count >= 0),
  ADD COLUMN daily_usage_date  date,
  -- North American numbers only (+1 NPA NXX XXXX): elsewhere area codes have no fixed length
  ADD COLUMN area_code         text GENERATED ALWAYS AS
                               (CASE WHEN number ~ '^\+1[2-9][0-9]{9}$' THEN substr(number, 3, 3) END) STORED;

-- A pick rewrites usage_count and last_used_at many times a second on a small set of rows. With either
-- column in an index every pick would leave a dead index entry behind, and the dead entries of a busy pool
-- (all with lower counts, so all ahead of the live rows in usage order) slowed each following pick until a
-- vacuum ran. Indexed on the pool alone, a pick is a HOT update: no index entry, and the old row version is
-- pruned from its page as the page is next read. The pick sorts the pool's usable rows itself.
-- Replaces v1's did_rotation_idx (tenant_id, segment, usage_count, last_used_at).
DROP INDEX did_rotation_idx;
CREATE INDEX did_rotation_idx ON did (tenant_id, segment) WHERE status IN ('active', 'available');
-- rotation over all of a tenant's usable numbers (no segment given)
CREATE INDEX did_tenant_rotation_idx ON did (tenant_id) WHERE status IN ('active', 'available');
-- room on each page for the new versions HOT updates write next to the old
ALTER TABLE did SET (fillfactor = 50);
