-- Asterline schema v14: an inbound call forwarded by the dialplan is answered when the forward is.
--
-- answered_at of an inbound call came only from the agent's AudioSocket leg connecting, so a call on the forward
-- route (Dial(PJSIP/<tenant's number>), no agent) ended with answered_at empty although the caller talked to
-- somebody. Asterisk's Dial sets ANSWEREDTIME (seconds from the answer to the Dial's end); in the forward route the
-- call hangs up as soon as that Dial returns, so call-end's sixth argument (the ANSWEREDTIME variable) dates the
-- answer: the end's time less those seconds, never before the call was created.
-- It is used only when nothing dated the answer before (answered_at empty), the call was not sent to the agent
-- (p_agent false: after a failed agent leg the caller was answered by the dialplan's Answer() long before the
-- failure route's forward answered) and the Dial answered (DIALSTATUS ANSWER).
--
-- The outcome rules are V9's, unchanged. The six-argument function stays, as the seven-argument one without
-- answered times, for nodes not yet upgraded while a cluster rolls over.

CREATE FUNCTION call_end_batch(
  p_calls uuid[], p_outcomes text[], p_causes text[], p_files text[], p_at timestamptz[], p_agent boolean[],
  p_answered_secs integer[])
RETURNS TABLE (ord integer, tenant_id bigint, recording_file text, direction text, outcome text)
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
           -- never before the start or the answer: the end may come from another node, whose clock may be a
           -- little behind, and its time was taken before the batch ran
           ended_at = greatest(p_at[i], c.created_at, c.answered_at),
           answered_at = CASE
             WHEN c.answered_at IS NULL AND NOT coalesce(p_agent[i], false) AND p_outcomes[i] = 'ANSWER'
                  AND p_answered_secs[i] >= 0
               THEN greatest(c.created_at, p_at[i] - make_interval(secs => p_answered_secs[i]))
             ELSE c.answered_at END,
           outcome = CASE
             WHEN coalesce(p_agent[i], false) AND c.agent_connected_at IS NULL AND p_outcomes[i] IS NOT NULL
               THEN 'agent_unavailable'
             WHEN c.outcome IN ('machine_hangup', 'voicemail') THEN c.outcome
             WHEN coalesce(p_agent[i], false) AND c.agent_connected_at IS NULL THEN 'ABANDONED'
             -- no Dial at all (the voicemail route, a caller gone during it): what the caller got
             ELSE coalesce(p_outcomes[i], c.outcome,
                           CASE WHEN c.voicemail_file IS NOT NULL THEN 'voicemail' ELSE 'ABANDONED' END) END,
           hangup_cause = p_causes[i],
           recording_file = p_files[i]
     WHERE c.id = p_calls[i] AND c.ended_at IS NULL
    RETURNING c.tenant_id, c.recording_file, c.direction, c.outcome INTO tenant_id, recording_file, direction, outcome;
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

CREATE OR REPLACE FUNCTION call_end_batch(
  p_calls uuid[], p_outcomes text[], p_causes text[], p_files text[], p_at timestamptz[], p_agent boolean[])
RETURNS TABLE (ord integer, tenant_id bigint, recording_file text, direction text, outcome text)
LANGUAGE sql
AS $$
  SELECT * FROM call_end_batch(p_calls, p_outcomes, p_causes, p_files, p_at, p_agent, NULL::integer[])
$$;
