-- title: Time to first agent audio
-- description: How long callers waited to hear the agent, per day (UTC): milliseconds from the answer to
--   the first audio the agent played, as percentiles over the answered calls that heard it, and the
--   median from the AudioSocket connection (the part Asterline and the AI service account for).
-- params: tenant, from, to
-- chart: day -> p50_ms, p90_ms, p99_ms
WITH waits AS (
  SELECT (c.created_at AT TIME ZONE 'UTC')::date                         AS day,
         extract(epoch FROM c.first_audio_at - c.answered_at) * 1000        AS answer_ms,
         extract(epoch FROM c.first_audio_at - c.agent_connected_at) * 1000 AS connect_ms
  FROM call c
  WHERE c.created_at >= :from AND c.created_at < :to
    AND (:tenant IS NULL OR c.tenant_id = :tenant)
    AND c.first_audio_at IS NOT NULL AND c.answered_at IS NOT NULL
    AND c.first_audio_at >= c.answered_at
)
SELECT day::text                                                                   AS day,
       count(*)                                                                    AS calls,
       round(percentile_cont(0.50) WITHIN GROUP (ORDER BY answer_ms))::bigint       AS p50_ms,
       round(percentile_cont(0.90) WITHIN GROUP (ORDER BY answer_ms))::bigint       AS p90_ms,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY answer_ms))::bigint       AS p99_ms,
       round(max(answer_ms))::bigint                                                AS max_ms,
       round(percentile_cont(0.50) WITHIN GROUP (ORDER BY connect_ms))::bigint      AS connect_p50_ms
FROM waits
GROUP BY day
ORDER BY day
