-- Asterline schema v9: every ended call keeps an outcome a report can count.
--
-- call_end_batch (V7) wrote the DIALSTATUS it was given over whatever the call had, and the time call-end was
-- asked as the end. Three things went wrong with that:
--   * an outbound call that AMD found to be a machine (outcome machine_hangup / voicemail, set by
--     outbound-answered) ends without a Dial, so call-end's empty DIALSTATUS erased its outcome (null);
--   * a call whose agent leg failed (Dial(AudioSocket) CHANUNAVAIL, then the failure route's forward or the
--     outbound transfer answered) kept the last Dial's status, e.g. ANSWER, as if the agent had taken it;
--   * the end's time comes from the node that ran call-end, taken before its batch ran, while answered_at comes
--     from the database clock; a call answered and ended at almost the same moment (AMD missing or failed) could
--     end before it was answered.
-- The new argument p_agent says, per call, that the dialplan sent it to the agent (call-end's fifth AGI argument,
-- the ASTERLINE_AUDIOSOCKET the call was given). Asterline itself knows whether the agent's leg ever reached it:
-- agent_connected_at is set when the AudioSocket leg connects (chan_audiosocket answers the Dial exactly then).
--
-- Outcome at the end, first rule that applies:
--   agent_unavailable   sent to the agent, a Dial ran, and the agent's leg never connected
--   machine_hangup, voicemail   kept: what outbound-answered decided for an answering machine
--   ABANDONED           sent to the agent, no Dial ran: the caller (or callee) left before the agent was dialled
--   the DIALSTATUS given, else the outcome the call already had
--   voicemail           no Dial ran and the caller left a message (the voicemail route)
--   ABANDONED           no Dial ran and nothing else happened: the caller left
-- The function also returns the outcome stored, so asterline_calls_ended_total counts what the row says.

DROP FUNCTION call_end_batch(uuid[], text[], text[], text[], timestamptz[]);

CREATE FUNCTION call_end_batch(
  p_calls uuid[], p_outcomes text[], p_causes text[], p_files text[], p_at timestamptz[], p_agent boolean[])
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
