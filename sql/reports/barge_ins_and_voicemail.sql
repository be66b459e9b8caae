-- title: Barge-ins and voicemail outcomes
-- description: Per day (UTC): calls, how many had the caller interrupt the agent (barge-in) and how
--   often, the slowest time the agent took to stop talking, calls the agent sent to voicemail, voicemails
--   callers left (and how many of them are stored and transcribed so far), and what answering-machine
--   detection found on outbound calls (human, machine, unknown).
-- params: tenant, from, to
SELECT (c.created_at AT TIME ZONE 'UTC')::date                   AS day,
       count(*)                                                  AS calls,
       count(*) FILTER (WHERE c.barge_in_count > 0)              AS calls_with_barge_in,
       sum(c.barge_in_count)                                     AS barge_ins,
       max(c.barge_in_max_stop_ms)                               AS max_stop_ms,
       count(*) FILTER (WHERE c.agent_decision = 'voicemail')    AS sent_to_voicemail,
       count(c.voicemail_file)                                   AS voicemails,
       count(j.stored_at)                                        AS voicemails_stored,
       count(c.voicemail_transcript)                             AS voicemails_transcribed,
       count(*) FILTER (WHERE c.voicemail_result = 'human')      AS amd_human,
       count(*) FILTER (WHERE c.voicemail_result = 'machine')    AS amd_machine,
       count(*) FILTER (WHERE c.voicemail_result = 'unknown')    AS amd_unknown
FROM call c
LEFT JOIN recording_job j ON j.call_id = c.id AND j.kind = 'voicemail'
WHERE c.created_at >= :from AND c.created_at < :to
  AND (:tenant IS NULL OR c.tenant_id = :tenant)
GROUP BY 1
ORDER BY 1
