-- Asterline schema v7: inbound admission and call ends in batches.
--
-- Under load many FastAGI requests arrive at once. Each one used to be its own transaction, and every admission
-- and release updates the same counter rows (admission_tenant_usage, admission_total), so the transactions
-- queued behind each other's row locks one at a time. The FastAGI server now hands the requests waiting at
-- the same moment to one call of the functions below: one statement, one transaction, one pass over the locks.
-- Each request in a batch still gets exactly the verdict it would have got on its own, in arrival order, and a
-- batch of one is the old behaviour.
--
-- Lock order, the same as admission_reserve/admission_release so nothing here can deadlock with them: the
-- tenant counter rows a batch needs, by tenant id, then the total row.

-- Where each dialled number (or dialplan-named tenant) goes, and for the calls that may start, the slot and the
-- call row. Parallel arrays, one element per request; p_tenants[i] is the static tenant of the dialplan's
-- DID -> tenant lines (then p_dids[i] is only stored), else null and p_dids[i] is looked up.
-- verdict: UNKNOWN (no such number or tenant), NOT_ROUTABLE (the number is out of service), TENANT_DISABLED,
-- REJECT (the tenant refuses inbound calls: no call row), then admission_reserve's OK, TENANT_FULL or
-- GLOBAL_FULL (a refused call is stored as failed with the verdict as its outcome, as before).
CREATE FUNCTION inbound_admit_batch(
  p_calls uuid[], p_dids text[], p_tenants bigint[], p_remote text[], p_uniqueids text[], p_channels text[],
  p_created timestamptz[], p_global_max integer, p_hold_seconds integer)
RETURNS TABLE (ord integer, verdict text, tenant_id bigint, did_id uuid, did_status text, trunk text,
               tenant_active boolean, inbound_route text, transfer_number text, recording_enabled boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  r record;
  v_verdict text;
  v_tenants bigint[];
BEGIN
  -- the tenants whose counters this batch will change, locked in the one order every admission function uses
  SELECT array_agg(DISTINCT t.id ORDER BY t.id) INTO v_tenants
    FROM unnest(p_dids, p_tenants) AS i (did, tenant)
    LEFT JOIN did d ON i.tenant IS NULL AND d.number = i.did
    JOIN tenant t ON t.id = coalesce(i.tenant, d.tenant_id)
   WHERE t.status = 'active' AND t.inbound_route <> 'reject'
     AND (i.tenant IS NOT NULL OR d.status IN ('active', 'available'));
  IF v_tenants IS NOT NULL THEN
    INSERT INTO admission_tenant_usage (tenant_id) SELECT unnest(v_tenants) ON CONFLICT (tenant_id) DO NOTHING;
    PERFORM 1 FROM admission_tenant_usage u WHERE u.tenant_id = ANY (v_tenants) ORDER BY u.tenant_id FOR UPDATE;
    PERFORM 1 FROM admission_total FOR UPDATE;
  END IF;

  FOR r IN
    SELECT i.ord::integer AS ord, i.call_id, i.tenant AS static_tenant, d.id AS did_id, t.id AS tenant_id,
           d.status AS did_status, d.trunk, t.status = 'active' AS tenant_active, t.inbound_route,
           t.transfer_number, t.recording_enabled
      FROM unnest(p_calls, p_dids, p_tenants) WITH ORDINALITY AS i (call_id, did, tenant, ord)
      LEFT JOIN did d ON i.tenant IS NULL AND d.number = i.did
      LEFT JOIN tenant t ON t.id = coalesce(i.tenant, d.tenant_id)
     ORDER BY i.ord
  LOOP
    IF r.tenant_id IS NULL THEN
      v_verdict := 'UNKNOWN';
    ELSIF r.static_tenant IS NULL AND r.did_status NOT IN ('active', 'available') THEN
      v_verdict := 'NOT_ROUTABLE';
    ELSIF NOT r.tenant_active THEN
      v_verdict := 'TENANT_DISABLED';
    ELSIF r.inbound_route = 'reject' THEN
      v_verdict := 'REJECT';
    ELSE
      v_verdict := admission_reserve(r.call_id, r.tenant_id, p_global_max, p_hold_seconds);
      -- created_at is when the request arrived, not when this ran
      INSERT INTO call (id, tenant_id, direction, did_id, remote_number, asterisk_uniqueid, asterisk_channel,
                        created_at, state, ended_at, outcome)
      VALUES (r.call_id, r.tenant_id, 'inbound', r.did_id, p_remote[r.ord], p_uniqueids[r.ord], p_channels[r.ord],
              p_created[r.ord],
              CASE WHEN v_verdict IN ('OK', 'HELD') THEN 'created' ELSE 'failed' END,
              CASE WHEN v_verdict IN ('OK', 'HELD') THEN NULL ELSE p_created[r.ord] END,
              CASE WHEN v_verdict IN ('OK', 'HELD') THEN NULL ELSE lower(v_verdict) END)
      ON CONFLICT (id) DO NOTHING;
      IF v_verdict = 'HELD' THEN
        v_verdict := 'OK';
      END IF;
    END IF;
    ord := r.ord;
    verdict := v_verdict;
    tenant_id := r.tenant_id;
    did_id := r.did_id;
    did_status := r.did_status;
    trunk := r.trunk;
    tenant_active := r.tenant_active;
    inbound_route := r.inbound_route;
    transfer_number := r.transfer_number;
    recording_enabled := r.recording_enabled;
    RETURN NEXT;
  END LOOP;
END
$$;

-- Ends calls and releases their slots: for each element, what call-end did on its own (only a call that has
-- not ended yet changes, so repeats and unknown ids change nothing). Returns a row for each call ended now.
CREATE FUNCTION call_end_batch(
  p_calls uuid[], p_outcomes text[], p_causes text[], p_files text[], p_at timestamptz[])
RETURNS TABLE (ord integer, tenant_id bigint, recording_file text, direction text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  i integer;
BEGIN
  PERFORM 1 FROM admission_tenant_usage u
   WHERE u.tenant_id IN (SELECT s.tenant_id FROM admission_slot s WHERE s.call_id = ANY (p_calls))
   ORDER BY u.tenant_id FOR UPDATE;
  IF FOUND THEN
    PERFORM 1 FROM admission_total FOR UPDATE;
  END IF;
  FOR i IN 1 .. coalesce(array_length(p_calls, 1), 0) LOOP
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
      PERFORM admission_release(p_calls[i]);
      ord := i;
      RETURN NEXT;
    END IF;
  END LOOP;
END
$$;
