-- Asterline schema v22: inbound calls through Twilio (issue #15).
--
-- A Twilio number's voice webhook (POST /twilio/voice) admits its call exactly as the inbound AGI script admits an
-- Asterisk call: the same number -> tenant lookup, verdicts, admission slot and call row, by calling
-- inbound_admit_batch (V7) for a batch of one, so the two providers can never disagree on who is admitted. In the
-- same statement the row is marked as Twilio's, with the CallSid its later webhooks and its Media Stream name it by.
--
-- Twilio may send the same voice webhook again (a retry after a timeout, a replay): a CallSid already stored is not
-- admitted a second time. Its call is answered as it was (verdict OK while it is live, its refusal when it was
-- refused over capacity), or ENDED once it is over; nothing changes.
--
-- Beside the route, the answer carries what the TwiML needs of the tenant (consent announcement, voicemail
-- greeting, language), so the webhook makes one round trip to the database.

CREATE FUNCTION twilio_inbound_admit(
  p_call uuid, p_call_sid text, p_did text, p_remote text, p_created timestamptz, p_global_max integer,
  p_hold_seconds integer)
RETURNS TABLE (call_id uuid, verdict text, tenant_id bigint, did_id uuid, did_status text, trunk text,
               tenant_active boolean, inbound_route text, transfer_number text, recording_enabled boolean,
               consent_sound text, consent_order text, voicemail_greeting_sound text, language text)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_call uuid;
  v_ended timestamptz;
  v_outcome text;
  a record;
BEGIN
  IF p_call_sid IS NULL OR p_call_sid !~ '^CA[0-9a-f]{32}$' THEN
    RAISE EXCEPTION 'not a Twilio call sid: %', p_call_sid USING ERRCODE = '22023';
  END IF;
  -- two copies of the same webhook at once: the second waits and finds the first one's row
  PERFORM pg_advisory_xact_lock(hashtext('asterline.twilio_inbound.' || p_call_sid));
  SELECT c.id, c.ended_at, c.outcome INTO v_call, v_ended, v_outcome FROM call c WHERE c.provider_call_sid = p_call_sid;

  IF v_call IS NOT NULL THEN
    RETURN QUERY
    SELECT v_call,
           CASE WHEN v_ended IS NULL THEN 'OK'
                WHEN v_outcome IN ('tenant_full', 'global_full') THEN upper(v_outcome)
                ELSE 'ENDED' END,
           t.id, d.id, d.status, d.trunk, t.status = 'active', t.inbound_route, t.transfer_number::text,
           t.recording_enabled, t.consent_sound, t.consent_order, t.voicemail_greeting_sound, t.ai_language
      FROM call c
      JOIN tenant t ON t.id = c.tenant_id
      LEFT JOIN did d ON d.id = c.did_id
     WHERE c.id = v_call;
    RETURN;
  END IF;

  SELECT * INTO a
    FROM inbound_admit_batch(ARRAY[p_call], ARRAY[p_did], ARRAY[NULL::bigint], ARRAY[p_remote], ARRAY[NULL::text],
                             ARRAY[NULL::text], ARRAY[p_created], p_global_max, p_hold_seconds);
  -- a row was written for every request that reached admission (OK, TENANT_FULL, GLOBAL_FULL)
  UPDATE call c SET provider = 'twilio', provider_call_sid = p_call_sid WHERE c.id = p_call;

  RETURN QUERY
  SELECT p_call, a.verdict, a.tenant_id, a.did_id, a.did_status, a.trunk, a.tenant_active, a.inbound_route,
         a.transfer_number::text, a.recording_enabled, t.consent_sound, t.consent_order, t.voicemail_greeting_sound,
         t.ai_language
    FROM (SELECT 1) AS one
    LEFT JOIN tenant t ON t.id = a.tenant_id;
END
$$;
