-- title: Recording success
-- description: Per day (UTC) of the call: answered calls whose tenant records, how many recordings
--   call-end reported (recorded), were found complete and not empty (captured), were stored, and were
--   transcribed; transcription_off counts those whose tenant has transcription off; failed and
--   in_progress count the jobs that failed for good or are still queued.
-- params: tenant, from, to
SELECT (c.created_at AT TIME ZONE 'UTC')::date                                    AS day,
       count(*) FILTER (WHERE c.answered_at IS NOT NULL AND t.recording_enabled)   AS expected,
       count(j.id)                                                                AS recorded,
       count(j.captured_at)                                                       AS captured,
       count(j.stored_at)                                                         AS stored,
       count(*) FILTER (WHERE j.transcription = 'done')                           AS transcribed,
       count(*) FILTER (WHERE j.transcription = 'skipped')                        AS transcription_off,
       count(*) FILTER (WHERE j.state = 'failed')                                 AS failed,
       count(*) FILTER (WHERE j.state IN ('pending', 'running'))                  AS in_progress
FROM call c
JOIN tenant t ON t.id = c.tenant_id
-- the call's own recording; its voicemail (kind 'voicemail') is counted in barge_ins_and_voicemail
LEFT JOIN recording_job j ON j.call_id = c.id AND j.kind = 'call'
WHERE c.created_at >= :from AND c.created_at < :to
  AND (:tenant IS NULL OR c.tenant_id = :tenant)
GROUP BY 1
ORDER BY 1
