-- Asterline schema v2: how inbound calls are routed, and admission control.
--
-- Admission: every admitted call holds one slot until call-end releases it (or until it has run longer than
-- the maximum call duration, when the reaper reclaims it). A slot counts against its tenant's
-- max_concurrent_calls and against a cluster-wide maximum that the calling node passes in. The counters are
-- changed only by the functions below, each of which runs as one statement, so any number of nodes can admit
-- at once without ever letting a tenant or the cluster go over its limit.

-- what inbound does with a call to one of the tenant's numbers; 'forward' sends it to transfer_number
ALTER TABLE tenant
  ADD COLUMN inbound_route text NOT NULL DEFAULT 'agent'
    CONSTRAINT tenant_inbound_route_known CHECK (inbound_route IN ('agent', 'forward', 'voicemail', 'reject')),
  ADD CONSTRAINT tenant_forward_needs_number CHECK (inbound_route <> 'forward' OR transfer_number IS NOT NULL);

CREATE TABLE admission_slot (
  -- the call holding the slot; no foreign key: a slot may be reserved before its call row commits
  call_id    uuid        PRIMARY KEY,
  tenant_id  bigint      NOT NULL REFERENCES tenant (id),
  taken_at   timestamptz NOT NULL DEFAULT now(),
  -- when the reaper may take the slot back from a call whose end was never reported
  expires_at timestamptz NOT NULL,
  CONSTRAINT admission_slot_expires_after_taken CHECK (expires_at > taken_at)
);

CREATE INDEX admission_slot_expires_idx ON admission_slot (expires_at);

-- slots held per tenant (kept equal to count(*) of admission_slot by the functions below)
CREATE TABLE admission_tenant_usage (
  tenant_id bigint  PRIMARY KEY REFERENCES tenant (id) ON DELETE CASCADE,
  in_use    integer NOT NULL DEFAULT 0 CONSTRAINT admission_tenant_usage_not_negative CHECK (in_use >= 0)
);

-- slots held in the whole cluster: exactly one row
CREATE TABLE admission_total (
  id     boolean PRIMARY KEY DEFAULT true CONSTRAINT admission_total_single_row CHECK (id),
  in_use integer NOT NULL DEFAULT 0 CONSTRAINT admission_total_not_negative CHECK (in_use >= 0)
);
INSERT INTO admission_total (id, in_use) VALUES (true, 0);

-- Reserves a slot for p_call. Returns 'OK', 'TENANT_FULL' or 'GLOBAL_FULL' (nothing is held then), or
-- 'HELD' when p_call already holds a slot (a retried request). Counter rows are always locked tenant row
-- first, then the total row, in every function here, so reservations and releases cannot deadlock.
-- Each UPDATE re-checks its limit against the row it locked, so the limits hold under any concurrency.
CREATE FUNCTION admission_reserve(p_call uuid, p_tenant bigint, p_global_max integer, p_hold_seconds integer)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM admission_slot WHERE call_id = p_call) THEN
    RETURN 'HELD';
  END IF;
  INSERT INTO admission_tenant_usage (tenant_id) VALUES (p_tenant) ON CONFLICT (tenant_id) DO NOTHING;
  UPDATE admission_tenant_usage SET in_use = in_use + 1
   WHERE tenant_id = p_tenant
     AND in_use < (SELECT max_concurrent_calls FROM tenant WHERE id = p_tenant);
  IF NOT FOUND THEN
    RETURN 'TENANT_FULL';
  END IF;
  UPDATE admission_total SET in_use = in_use + 1 WHERE in_use < p_global_max;
  IF NOT FOUND THEN
    UPDATE admission_tenant_usage SET in_use = in_use - 1 WHERE tenant_id = p_tenant;
    RETURN 'GLOBAL_FULL';
  END IF;
  INSERT INTO admission_slot (call_id, tenant_id, expires_at)
  VALUES (p_call, p_tenant, now() + make_interval(secs => p_hold_seconds));
  RETURN 'OK';
END
$$;

-- Releases p_call's slot; false (and no change) when it holds none, so releasing twice is harmless.
CREATE FUNCTION admission_release(p_call uuid)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  v_tenant bigint;
BEGIN
  -- deleting first locks the slot: a concurrent release of the same call waits here, then finds nothing
  DELETE FROM admission_slot WHERE call_id = p_call RETURNING tenant_id INTO v_tenant;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  UPDATE admission_tenant_usage SET in_use = in_use - 1 WHERE tenant_id = v_tenant;
  UPDATE admission_total SET in_use = in_use - 1;
  RETURN true;
END
$$;

-- Takes back every slot whose call outlived the maximum call duration; returns how many. One node at a time
-- does it (the others return 0 at once) so reapers never wait on each other.
CREATE FUNCTION admission_reclaim()
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_slot record;
  v_count integer := 0;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('asterline.admission_reclaim')) THEN
    RETURN 0;
  END IF;
  FOR v_slot IN SELECT call_id FROM admission_slot WHERE expires_at < now() ORDER BY call_id LOOP
    IF admission_release(v_slot.call_id) THEN
      v_count := v_count + 1;
    END IF;
  END LOOP;
  RETURN v_count;
END
$$;
