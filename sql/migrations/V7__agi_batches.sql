-- Asterline schema v7: inbound admission and call ends in batches.
--
-- Under load many FastAGI requests arrive at once. Each one used to be its own transaction, and every admission
-- and release updates the same counter rows (admission_tenant_usage, admission_total), so the transactions
-- queued behind each other's row locks one at a time. The FastAGI server now hands the requests waiting at
-- the same moment to one call of the functions below: one statement, one transaction, and set-based writes, so
-- a counter row changes once per batch (updating one row many times in a transaction makes every later update
-- walk the versions left behind). Each request in a batch gets the verdict it would have had alone, in arrival
-- order, and a batch of one is the old behaviour.
--
-- Lock order, the same as admission_reserve/admission_release so nothing here can deadlock with them: the
-- tenant counter rows a batch needs, by tenant id, then the total row.

-- Where each dialled number (or dialplan-named tenant) goes, and for the calls that may start, the slot and the
-- call row. Parallel arrays, one element per request; p_tenants[i] is the static tenant of the dialplan's
-- DID -> tenant lines (the number is then not looked up), else null and p_dids[i] is looked up.
-- verdict: UNKNOWN (no such number or tenant), NOT_ROUTABLE (the number is out of service), TENANT_DISABLED,
-- REJECT (the tenant refuses inbound calls: no call row), then OK, TENANT_FULL or GLOBAL_FULL as
-- admission_reserve decides them (a refused call is stored as failed with the verdict as its outcome).
-- one request of a batch as routed, before admission
CREATE TYPE inbound_batch_route AS (
  ord integer, call_id uuid, static_tenant bigint, did_id uuid, tenant_id bigint, did_status text, trunk text,
  tenant_active boolean, inbound_route text, transfer_number text, recording_enabled boolean, held boolean
);

CREATE FUNCTION inbound_admit_batch(
  p_calls uuid[], p_dids text[], p_tenants bigint[], p_remote text[], p_uniqueids text[], p_channels text[],
  p_created timestamptz[], p_global_max integer, p_hold_seconds integer)
RETURNS TABLE (ord integer, verdict text, tenant_id bigint, did_id uuid, did_status text, trunk text,
               tenant_active boolean, inbound_route text, transfer_number text, recording_enabled boolean)
LANGUAGE plpgsql
-- plan each statement once: their shape never changes, and re-planning them per call costs more than running them
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
  v_routes inbound_batch_route[];
  r inbound_batch_route;
  v_verdicts text[] := '{}';
  v_tenants bigint[];
  v_free integer[];
  v_taken integer[];
  v_global_free integer := 0;
  v_taken_total integer := 0;
  v_at integer;
  -- the call rows to write (every request that reached admission) and the slots to take
  c_ord integer[] := '{}';
  c_tenant bigint[] := '{}';
  c_did uuid[] := '{}';
  c_admitted boolean[] := '{}';
  c_outcome text[] := '{}';
  s_call uuid[] := '{}';
  s_tenant bigint[] := '{}';
BEGIN
  -- every request routed in one statement: one snapshot of the numbers and tenants for the whole batch
  SELECT array_agg(ROW(i.ord::integer, i.call_id, i.tenant, d.id, t.id, d.status, d.trunk, t.status = 'active',
                       t.inbound_route, t.transfer_number, t.recording_enabled,
                       EXISTS (SELECT 1 FROM admission_slot s WHERE s.call_id = i.call_id))::inbound_batch_route
                   ORDER BY i.ord)
    INTO v_routes
    FROM unnest(p_calls, p_dids, p_tenants) WITH ORDINALITY AS i (call_id, did, tenant, ord)
    LEFT JOIN did d ON i.tenant IS NULL AND d.number = i.did
    LEFT JOIN tenant t ON t.id = coalesce(i.tenant, d.tenant_id);

  FOREACH r IN ARRAY coalesce(v_routes, '{}') LOOP
    v_verdicts := v_verdicts || CASE
      WHEN r.tenant_id IS NULL THEN 'UNKNOWN'
      WHEN r.static_tenant IS NULL AND r.did_status NOT IN ('active', 'available') THEN 'NOT_ROUTABLE'
      WHEN NOT r.tenant_active THEN 'TENANT_DISABLED'
      WHEN r.inbound_route = 'reject' THEN 'REJECT'
      -- a retried request: its slot (and row) are already there
      WHEN r.held THEN 'OK'
      ELSE NULL END;
    IF v_verdicts[r.ord] IS NULL AND NOT r.tenant_id = ANY (coalesce(v_tenants, '{}')) THEN
      v_tenants := coalesce(v_tenants, '{}') || r.tenant_id;
    END IF;
  END LOOP;

  IF v_tenants IS NOT NULL THEN
    -- the counters this batch may change, locked in the one order every admission function uses
    SELECT array_agg(x ORDER BY x) INTO v_tenants FROM unnest(v_tenants) AS x;
    INSERT INTO admission_tenant_usage (tenant_id) SELECT unnest(v_tenants) ON CONFLICT (tenant_id) DO NOTHING;
    PERFORM 1 FROM admission_tenant_usage u WHERE u.tenant_id = ANY (v_tenants) ORDER BY u.tenant_id FOR UPDATE;
    SELECT greatest(0, p_global_max - a.in_use) INTO v_global_free FROM admission_total a FOR UPDATE;
    -- with the locks held these cannot change until the end of the transaction
    SELECT array_agg(t.max_concurrent_calls - u.in_use ORDER BY x.n), array_agg(0 ORDER BY x.n)
      INTO v_free, v_taken
      FROM unnest(v_tenants) WITH ORDINALITY AS x (tenant_id, n)
      JOIN admission_tenant_usage u ON u.tenant_id = x.tenant_id
      JOIN tenant t ON t.id = x.tenant_id;
  END IF;

  FOREACH r IN ARRAY coalesce(v_routes, '{}') LOOP
    IF v_verdicts[r.ord] IS NULL THEN
      v_at := array_position(v_tenants, r.tenant_id);
      IF r.call_id = ANY (s_call) THEN
        -- the same call twice in one batch: admitted once
        v_verdicts[r.ord] := 'OK';
        CONTINUE;
      ELSIF v_free[v_at] <= 0 THEN
        v_verdicts[r.ord] := 'TENANT_FULL';
      ELSIF v_global_free <= 0 THEN
        v_verdicts[r.ord] := 'GLOBAL_FULL';
      ELSE
        v_verdicts[r.ord] := 'OK';
        v_free[v_at] := v_free[v_at] - 1;
        v_taken[v_at] := v_taken[v_at] + 1;
        v_global_free := v_global_free - 1;
        v_taken_total := v_taken_total + 1;
        s_call := s_call || r.call_id;
        s_tenant := s_tenant || r.tenant_id;
      END IF;
      c_ord := c_ord || r.ord;
      c_tenant := c_tenant || r.tenant_id;
      c_did := c_did || r.did_id;
      c_admitted := c_admitted || (v_verdicts[r.ord] = 'OK');
      c_outcome := c_outcome || CASE WHEN v_verdicts[r.ord] = 'OK' THEN NULL ELSE lower(v_verdicts[r.ord]) END;
    END IF;
  END LOOP;

  IF v_taken_total > 0 THEN
    UPDATE admission_tenant_usage u SET in_use = u.in_use + x.n
      FROM unnest(v_tenants, v_taken) AS x (tenant_id, n)
     WHERE u.tenant_id = x.tenant_id AND x.n > 0;
    UPDATE admission_total SET in_use = in_use + v_taken_total;
    INSERT INTO admission_slot (call_id, tenant_id, expires_at)
    SELECT s.call_id, s.tenant_id, now() + make_interval(secs => p_hold_seconds)
      FROM unnest(s_call, s_tenant) AS s (call_id, tenant_id);
  END IF;
  -- created_at is when the request arrived, not when this ran; a refused call is failed and ended at once
  INSERT INTO call (id, tenant_id, direction, did_id, remote_number, asterisk_uniqueid, asterisk_channel,
                    created_at, state, ended_at, outcome)
  SELECT p_calls[c.ord], c.tenant_id, 'inbound', c.did_id, p_remote[c.ord], p_uniqueids[c.ord], p_channels[c.ord],
         p_created[c.ord], CASE WHEN c.admitted THEN 'created' ELSE 'failed' END,
         CASE WHEN c.admitted THEN NULL ELSE p_created[c.ord] END, c.outcome
    FROM unnest(c_ord, c_tenant, c_did, c_admitted, c_outcome) AS c (ord, tenant_id, did_id, admitted, outcome)
  ON CONFLICT (id) DO NOTHING;

  RETURN QUERY
  SELECT x.ord, v_verdicts[x.ord], x.tenant_id, x.did_id, x.did_status, x.trunk, x.tenant_active, x.inbound_route,
         x.transfer_number, x.recording_enabled
    FROM unnest(coalesce(v_routes, '{}')) AS x
   ORDER BY x.ord;
END
$$;

-- Ends calls and releases their slots: for each element, what call-end does on its own (only a call that has
-- not ended yet changes, so repeats, also within one batch, and unknown ids change nothing). Returns a row for
-- each call ended now.
CREATE FUNCTION call_end_batch(
  p_calls uuid[], p_outcomes text[], p_causes text[], p_files text[], p_at timestamptz[])
RETURNS TABLE (ord integer, tenant_id bigint, recording_file text, direction text)
LANGUAGE plpgsql
-- plan each statement once: their shape never changes, and re-planning them per call costs more than running them
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
  i integer;
  v_ended uuid[] := '{}';
BEGIN
  PERFORM 1 FROM admission_tenant_usage u
   WHERE u.tenant_id IN (SELECT s.tenant_id FROM admission_slot s WHERE s.call_id = ANY (p_calls))
   ORDER BY u.tenant_id FOR UPDATE;
  IF FOUND THEN
    PERFORM 1 FROM admission_total FOR UPDATE;
  END IF;
  FOR i IN 1 .. coalesce(array_length(p_calls, 1), 0) LOOP
    -- by primary key, one call at a time: a second end of the same call (also in this batch) finds it ended
    UPDATE call c
       SET state = 'ended',
           -- never before the start: the end may come from another node, whose clock may be a little behind
           ended_at = greatest(p_at[i], c.created_at),
           outcome = p_outcomes[i],
           hangup_cause = p_causes[i],
           recording_file = p_files[i]
     WHERE c.id = p_calls[i] AND c.ended_at IS NULL
    RETURNING c.tenant_id, c.recording_file, c.direction INTO tenant_id, recording_file, direction;
    IF FOUND THEN
      v_ended := v_ended || p_calls[i];
      ord := i;
      RETURN NEXT;
    END IF;
  END LOOP;
  IF cardinality(v_ended) > 0 THEN
    -- the slots of the calls ended now, released together: each counter row changes once
    WITH freed AS (
      DELETE FROM admission_slot s WHERE s.call_id = ANY (v_ended) RETURNING s.tenant_id
    ), per_tenant AS (
      UPDATE admission_tenant_usage u SET in_use = u.in_use - f.n
        FROM (SELECT f.tenant_id, count(*)::integer AS n FROM freed f GROUP BY f.tenant_id) f
       WHERE u.tenant_id = f.tenant_id
    )
    UPDATE admission_total SET in_use = in_use - (SELECT count(*) FROM freed)
     WHERE EXISTS (SELECT 1 FROM freed);
  END IF;
END
$$;

-- The reaper, set-based and in the same lock order (V2's version locked the total row, then tenant rows one
-- by one, which could deadlock with an admission of one of those tenants).
CREATE OR REPLACE FUNCTION admission_reclaim()
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_count integer;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('asterline.admission_reclaim')) THEN
    RETURN 0;
  END IF;
  PERFORM 1 FROM admission_tenant_usage u
   WHERE u.tenant_id IN (SELECT s.tenant_id FROM admission_slot s WHERE s.expires_at < now())
   ORDER BY u.tenant_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  PERFORM 1 FROM admission_total FOR UPDATE;
  WITH freed AS (
    DELETE FROM admission_slot s WHERE s.expires_at < now() RETURNING s.tenant_id
  ), per_tenant AS (
    UPDATE admission_tenant_usage u SET in_use = u.in_use - f.n
      FROM (SELECT f.tenant_id, count(*)::integer AS n FROM freed f GROUP BY f.tenant_id) f
     WHERE u.tenant_id = f.tenant_id
  ), total AS (
    UPDATE admission_total SET in_use = in_use - (SELECT count(*) FROM freed)
     WHERE EXISTS (SELECT 1 FROM freed)
  )
  SELECT count(*) INTO v_count FROM freed;
  RETURN v_count;
END
$$;
